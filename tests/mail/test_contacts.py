"""agreements listens to the outbox: a bounce or an opt-out marks the tenant's contacts."""

import pytest

from agreements.choices import EmailStatus
from agreements.models import Contact
from slaweb.mail import services
from slaweb.mail.choices import SuppressionReason
from slaweb.tenancy.context import tenant_context
from tests.factories.agreements import ContactFactory
from tests.mail.conftest import answer_rcpt


def status(contact):
    with tenant_context(contact.tenant_id):
        return Contact.objects.get(pk=contact.pk).email_status


@pytest.mark.django_db(transaction=True)
def test_a_550_marks_the_tenants_contacts_with_that_address_bounced(tenant_a, tenant_b, smtp_inbox):
    answer_rcpt(smtp_inbox, {"ops@customer.example": ["550 No such user"]})
    first = ContactFactory(tenant=tenant_a, email="Ops@Customer.example")
    second = ContactFactory(tenant=tenant_a, email="ops@customer.example")
    unrelated = ContactFactory(tenant=tenant_a, email="boss@customer.example")
    elsewhere = ContactFactory(tenant=tenant_b, email="ops@customer.example")
    with tenant_context(tenant_a):
        message = services.enqueue(
            "password-reset", "ops@customer.example", {"reset_url": "u"}, key="k"
        )
    services.deliver(tenant_a.pk, message.pk)
    assert status(first) == status(second) == EmailStatus.BOUNCED
    assert status(unrelated) == status(elsewhere) == EmailStatus.OK


@pytest.mark.django_db
def test_an_opt_out_marks_the_contacts_opted_out(tenant_a):
    contact = ContactFactory(tenant=tenant_a, email="ops@customer.example")
    with tenant_context(tenant_a):
        services.suppress("OPS@customer.example", SuppressionReason.OPTED_OUT)
    assert status(contact) == EmailStatus.OPTED_OUT


@pytest.mark.django_db
def test_mailing_an_address_again_marks_its_contacts_ok(tenant_a):
    contact = ContactFactory(tenant=tenant_a, email="ops@customer.example")
    with tenant_context(tenant_a):
        services.suppress("ops@customer.example", SuppressionReason.BOUNCED)
        Contact.objects.filter(pk=contact.pk).update(email_status=EmailStatus.BOUNCED)
        assert services.unsuppress("OPS@customer.example")
    assert status(contact) == EmailStatus.OK
