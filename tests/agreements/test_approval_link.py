"""The review round: the customer's contact approves through a signed, expiring link that
works once; a manager may record it on their behalf with evidence; one user never approves
both sides; a version in review can be sent back to draft with a reason."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.core import signing
from django.core.exceptions import ValidationError
from django.urls import reverse

from agreements import services
from agreements.choices import AgreementStatus, Side
from agreements.forms import AgreementForm
from agreements.models import Agreement, AgreementApproval, Contact
from agreements.services.approval_link import SALT, make_token
from slaweb.mail.models import OutboxMessage
from slaweb.tenancy.context import tenant_context
from slaweb.tenancy.models import AuditEvent
from tests.factories import MembershipFactory
from tests.factories.agreements import AgreementFactory, ContactFactory, CustomerFactory
from tests.isolation import IsolationCoverage, PageIsolationTests

from .conftest import make_draft

pytestmark = pytest.mark.django_db

CALM = "This link cannot be used"


@pytest.fixture
def in_review(tenant_a):
    draft = make_draft(tenant_a, "SLA-L1")
    with tenant_context(tenant_a):
        return services.submit(draft)


def reload(agreement) -> Agreement:
    return Agreement.objects.get(pk=agreement.pk)


def link_of(agreement) -> str:
    with tenant_context(agreement.tenant_id):
        message = services.request_customer_approval(agreement, base_url="http://testserver/")
    found = re.search(r"http://testserver(/a/[^\s]+/)", message.body_text)
    assert found, message.body_text
    return found.group(1) + "?lang=en"  # the contact reads Chinese; the tests read English


class TestReviewPagesIsolation(PageIsolationTests):
    factory = AgreementFactory
    url_names = ["agreements:approval-record", "agreements:send-back"]
    post_url_names = [
        "agreements:approval-record",
        "agreements:send-back",
        "agreements:approval-link-send",
    ]


class TestTheEmailedLink:
    def test_the_contact_gets_one_email_in_their_language(self, in_review):
        path = link_of(in_review)
        assert path == link_of(in_review)  # asking twice sends one email per review round
        with tenant_context(in_review.tenant_id):
            message = OutboxMessage.objects.get()
            contact = in_review.customer_contact
        assert message.to_address == contact.email and message.language == contact.language
        assert message.kind == "agreement-approval-request"
        assert "SLA-L1" in message.subject

    def test_the_contact_reads_and_approves_once(self, client, in_review, manager_a):
        path = link_of(in_review)
        page = client.get(path)
        text = page.content.decode()
        assert page.status_code == 200
        assert "Server fault response" in text and "Approve the agreement" in text
        done = client.post(path, {"action": "approve", "comment": "Fine by us"})
        assert done.status_code == 200 and "your approval is recorded" in done.content.decode()
        with tenant_context(in_review.tenant_id):
            approval = AgreementApproval.objects.get(agreement=in_review)
            event = AuditEvent.objects.filter(model="agreements.agreementapproval").get()
        assert (approval.side, approval.method) == (Side.CUSTOMER, "link")
        assert approval.contact_id == in_review.customer_contact_id and approval.approved_by is None
        assert approval.comment == "Fine by us"
        assert event.via == "link" and "Li Lei" in event.actor_label
        # Used: the same calm page as any bad link, and nothing more is recorded.
        again = client.post(path, {"action": "approve"})
        assert again.status_code == 404 and CALM in again.content.decode()
        assert client.get(path).status_code == 404

    def test_declining_sends_the_agreement_back_with_the_reason(self, client, in_review):
        path = link_of(in_review)
        refused = client.post(path, {"action": "decline", "reason": "  "})
        assert refused.status_code == 400 and "This field is required" in refused.content.decode()
        client.post(path, {"action": "decline", "reason": "Response time for P1 too slow"})
        with tenant_context(in_review.tenant_id):
            fresh = reload(in_review)
        assert fresh.status == AgreementStatus.DRAFT
        assert fresh.sent_back_reason == "Declined by Li Lei: Response time for P1 too slow"
        assert client.get(path).status_code == 404

    @pytest.mark.parametrize("damage", ["tampered", "expired", "resubmitted", "other contact"])
    def test_a_bad_link_gets_the_same_calm_page(self, client, in_review, damage):
        path = link_of(in_review)
        token = path.split("/")[2]
        if damage == "tampered":
            path = path.replace(token, token[:-3] + ("aaa" if token[-3:] != "aaa" else "bbb"))
        elif damage == "expired":
            with time_machine.travel(dt.timedelta(days=15)):
                response = client.get(path)
            assert response.status_code == 404 and CALM in response.content.decode()
            return
        elif damage == "resubmitted":
            with tenant_context(in_review.tenant_id):
                services.withdraw(in_review)
                services.submit(in_review)
        else:
            with tenant_context(in_review.tenant_id):
                other = Contact.objects.create(
                    customer=in_review.customer, name="Han Meimei", email="han@customer.example"
                )
                Agreement.objects.filter(pk=in_review.pk).update(status=AgreementStatus.DRAFT)
                Agreement.objects.filter(pk=in_review.pk).update(customer_contact=other)
                Agreement.objects.filter(pk=in_review.pk).update(status=AgreementStatus.IN_REVIEW)
        response = client.get(path)
        assert response.status_code == 404 and CALM in response.content.decode()
        assert client.post(path, {"action": "approve"}).status_code == 404
        with tenant_context(in_review.tenant_id):
            assert not AgreementApproval.objects.exists()

    def test_a_link_signed_for_another_purpose_is_refused(self, client, in_review):
        with tenant_context(in_review.tenant_id):
            good = make_token(in_review)
        data = signing.loads(good, salt=SALT)
        forged = signing.dumps(data, salt="surveys.answer", compress=True)
        assert client.get(f"/a/{forged}/").status_code == 404

    def test_only_an_agreement_in_review_with_a_contact_gets_a_link(self, tenant_a):
        draft = make_draft(tenant_a, "SLA-L2")
        with tenant_context(tenant_a), pytest.raises(ValidationError, match="in review"):
            services.request_customer_approval(draft, base_url="http://testserver/")


class TestRecordedApprovals:
    def test_one_user_cannot_approve_both_sides(self, in_review, manager_a):
        with tenant_context(in_review.tenant_id):
            services.approve(in_review, side=Side.PROVIDER, user=manager_a.user)
            with pytest.raises(ValidationError) as caught:
                services.approve(
                    in_review,
                    side=Side.CUSTOMER,
                    user=manager_a.user,
                    evidence="Signed PDF received 2026-03-01",
                )
            assert "someone else" in str(caught.value)
            assert in_review.approvals.count() == 1

    def test_the_customer_side_recorded_on_behalf_needs_evidence(self, in_review, manager_a):
        with tenant_context(in_review.tenant_id):
            with pytest.raises(ValidationError) as caught:
                services.approve(in_review, side=Side.CUSTOMER, user=manager_a.user)
            assert "evidence" in caught.value.message_dict
            approval = services.approve(
                in_review,
                side=Side.CUSTOMER,
                user=manager_a.user,
                evidence="Signed PDF received by email on 2026-03-01",
            )
        assert approval.method == "on_behalf" and approval.recorded_by == manager_a.user
        assert approval.approved_by is None and approval.name == "Li Lei"

    def test_the_page_form_closes_once_both_sides_approved(
        self, client, in_review, manager_a, tenant_a
    ):
        other = MembershipFactory(tenant=tenant_a, role="manager")
        detail = reverse("agreements:detail", args=[tenant_a.slug, in_review.pk])
        record = reverse("agreements:approval-record", args=[tenant_a.slug, in_review.pk])
        client.force_login(manager_a.user)
        assert "Record an approval" in client.get(detail).content.decode()
        client.post(record, {"side": "provider"})
        # The customer side by the same manager: refused, the message beside the form.
        contact = in_review.customer_contact_id
        refused = client.post(
            record, {"side": "customer", "on_behalf_of": contact, "evidence": "Signed copy"}
        )
        assert refused.status_code == 400 and "someone else" in refused.content.decode()
        missing = client.post(record, {"side": "customer", "on_behalf_of": contact})
        assert missing.status_code == 400
        assert "Note the evidence of the contact" in missing.content.decode()
        client.force_login(other.user)
        client.post(
            record, {"side": "customer", "on_behalf_of": contact, "evidence": "Signed copy"}
        )
        page = client.get(detail).content.decode()
        assert "Record an approval" not in page
        assert "Recorded on behalf of Li Lei" in page and "Signed copy" in page
        assert "Both sides approved" in page

    def test_a_viewer_cannot_record_or_send_back(self, client, in_review, viewer_a, tenant_a):
        client.force_login(viewer_a.user)
        for name in ("approval-record", "send-back", "approval-link-send"):
            url = reverse(f"agreements:{name}", args=[tenant_a.slug, in_review.pk])
            assert client.post(url, {"side": "provider", "reason": "x"}).status_code == 403
        with tenant_context(tenant_a):
            assert reload(in_review).status == AgreementStatus.IN_REVIEW


class TestSendBack:
    def test_the_reason_is_required_and_shown_on_the_draft(
        self, client, in_review, manager_a, tenant_a
    ):
        client.force_login(manager_a.user)
        url = reverse("agreements:send-back", args=[tenant_a.slug, in_review.pk])
        refused = client.post(url, {"reason": ""})
        assert refused.status_code == 400 and "This field is required" in refused.content.decode()
        with tenant_context(tenant_a):
            assert reload(in_review).status == AgreementStatus.IN_REVIEW
            services.approve(in_review, side=Side.PROVIDER, name="Zhang Wei")
        response = client.post(url, {"reason": "Fee not agreed yet"}, follow=True)
        page = response.content.decode()
        assert "Fee not agreed yet" in page
        # The history on the page says it in words, in the tenant's time zone.
        assert '<th scope="row">Status</th><td>In review</td><td>Draft</td>' in page
        assert "Reason sent back to draft" in page and "sent_back_reason" not in page
        assert f"Times in {tenant_a.time_zone}." in page
        with tenant_context(tenant_a):
            fresh = reload(in_review)
            assert fresh.status == AgreementStatus.DRAFT and not fresh.approvals.exists()
            changes = [
                e.changes
                for e in AuditEvent.objects.filter(
                    model="agreements.agreement", object_id=str(in_review.pk)
                )
            ]
        assert any("sent_back_reason" in c for c in changes)

    def test_the_api_sends_back_and_refuses_a_missing_reason(self, api_manager, in_review):
        url = reverse("api:agreement-send-back", args=[in_review.pk])
        assert api_manager.post(url, {}, format="json").status_code == 400
        response = api_manager.post(url, {"reason": "Wrong tiers"}, format="json")
        assert response.status_code == 200 and response.json()["status"] == "draft"

    def test_the_api_refuses_one_user_on_both_sides(self, api_manager, in_review):
        url = reverse("api:agreement-approve", args=[in_review.pk])
        assert api_manager.post(url, {"side": "provider"}, format="json").status_code == 200
        response = api_manager.post(
            url, {"side": "customer", "evidence": "Signed copy"}, format="json"
        )
        assert response.status_code == 400 and "someone else" in response.content.decode()

    def test_the_api_emails_the_link(self, api_manager, in_review):
        url = reverse("api:agreement-request-approval", args=[in_review.pk])
        response = api_manager.post(url, format="json")
        assert response.status_code == 202
        assert response.json()["to"] == in_review.customer_contact.email


class TestContactChoices(IsolationCoverage):
    """The contact list of an agreement follows the chosen customer."""

    covers = ["agreements:contact-options"]  # test_options_are_the_customers_contacts_only

    def test_the_form_lists_only_the_chosen_customers_contacts(self, tenant_a):
        with tenant_context(tenant_a):
            mine = CustomerFactory(tenant=tenant_a, name="Mine")
            theirs = CustomerFactory(tenant=tenant_a, name="Theirs")
            li = ContactFactory(tenant=tenant_a, customer=mine, name="Li Lei")
            han = ContactFactory(tenant=tenant_a, customer=theirs, name="Han Meimei")
            form = AgreementForm(data={"customer": mine.pk}, tenant=tenant_a)
            assert list(form.fields["customer_contact"].queryset) == [li]
            unbound = AgreementForm(tenant=tenant_a)
            assert set(unbound.fields["customer_contact"].queryset) == {li, han}
            attrs = form.fields["customer"].widget.attrs
            assert (
                attrs["hx-target"] == "#id_customer_contact"
                and "contact-options" in attrs["hx-get"]
            )
            picked = AgreementForm(
                data={"customer": mine.pk, "customer_contact": han.pk}, tenant=tenant_a
            )
            assert not picked.is_valid() and "customer_contact" in picked.errors

    def test_options_are_the_customers_contacts_only(
        self, client, tenant_a, tenant_b, manager_a, viewer_a
    ):
        with tenant_context(tenant_a):
            mine = CustomerFactory(tenant=tenant_a, name="Mine")
            ContactFactory(tenant=tenant_a, customer=mine, name="Li Lei")
            ContactFactory(
                tenant=tenant_a, customer=CustomerFactory(tenant=tenant_a), name="Han Meimei"
            )
        with tenant_context(tenant_b):
            foreign = CustomerFactory(tenant=tenant_b, name="Foreign")
            ContactFactory(tenant=tenant_b, customer=foreign, name="Secret Person")
        url = reverse("agreements:contact-options", args=[tenant_a.slug])
        client.force_login(manager_a.user)
        options = client.get(url, {"customer": mine.pk}, HTTP_HX_REQUEST="true").content.decode()
        assert "Li Lei" in options and "Han Meimei" not in options
        assert "Secret Person" not in client.get(url, {"customer": foreign.pk}).content.decode()
        assert client.get(url, {"customer": "x"}).content.decode().count("<option") == 1
        client.force_login(viewer_a.user)
        assert client.get(url, {"customer": mine.pk}).status_code == 403
