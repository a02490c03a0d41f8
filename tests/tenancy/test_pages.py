import pytest
from django.urls import reverse

from slaweb.mail.models import OutboxMessage
from slaweb.tenancy.context import tenant_context
from slaweb.tenancy.models import ApiToken, AuditEvent, MemberInvitation, Membership
from tests.factories import ApiTokenFactory, AuditEventFactory, MembershipFactory
from tests.factories.tenancy import MemberInvitationFactory
from tests.isolation import PageIsolationTests

pytestmark = pytest.mark.django_db


class TestMembershipPagesIsolation(PageIsolationTests):
    factory = MembershipFactory
    post_url_names = ["tenancy:member-role", "tenancy:member-remove"]


class TestInvitationPagesIsolation(PageIsolationTests):
    factory = MemberInvitationFactory
    post_url_names = ["tenancy:invitation-revoke"]
    list_url_names = ["tenancy:members"]  # the pending invitations

    def marker(self, obj):
        return obj.email


class TestTokenPagesIsolation(PageIsolationTests):
    factory = ApiTokenFactory
    post_url_names = ["tenancy:token-revoke"]


def test_the_login_page_is_served(client):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert b'name="username"' in response.content


def test_logging_in_leads_to_the_only_tenant(client, manager_a):
    manager_a.user.set_password("secret-pass-1")
    manager_a.user.save()
    response = client.post(
        reverse("login"),
        {"username": manager_a.user.username, "password": "secret-pass-1"},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == reverse("tenancy:dashboard", args=["alpha"])
    assert "Alpha Ltd" in response.content.decode()


def test_a_wrong_password_gets_a_clear_message(client, manager_a):
    response = client.post(
        reverse("login"), {"username": manager_a.user.username, "password": "nope"}
    )
    assert response.status_code == 200
    assert "correct username and password" in response.content.decode()


def test_a_member_of_two_tenants_chooses_and_switches(client, tenant_a, tenant_b, manager_a):
    MembershipFactory(tenant=tenant_b, user=manager_a.user, role="viewer")
    client.force_login(manager_a.user)
    home = client.get(reverse("home")).content.decode()
    assert "Alpha Ltd" in home and "Bravo GmbH" in home
    page = client.get(reverse("tenancy:dashboard", args=["bravo"])).content.decode()
    assert "Bravo GmbH" in page and "Viewer" in page
    # the switcher on a tenant page lists both tenants
    assert reverse("tenancy:dashboard", args=["alpha"]) in page


def test_anonymous_visitors_are_sent_to_login(client, tenant_a):
    response = client.get(reverse("tenancy:dashboard", args=["alpha"]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_unknown_tenants_and_outsiders_get_404(client, manager_a, tenant_b):
    client.force_login(manager_a.user)
    assert client.get("/t/nobody/").status_code == 404
    assert client.get(reverse("tenancy:dashboard", args=["bravo"])).status_code == 404
    assert client.get(reverse("tenancy:members", args=["bravo"])).status_code == 404


@pytest.mark.parametrize("name", ["tenancy:members", "tenancy:tokens", "tenancy:audit"])
def test_admin_pages_are_forbidden_to_managers_and_viewers(client, manager_a, viewer_a, name):
    for member in (manager_a, viewer_a):
        client.force_login(member.user)
        assert client.get(reverse(name, args=["alpha"])).status_code == 403
        assert (
            client.post(
                reverse(name, args=["alpha"]), {"email": "x@y.example", "name": "x"}
            ).status_code
            == 403
        )
    with tenant_context(manager_a.tenant_id):
        assert Membership.objects.count() == 2
        assert ApiToken.objects.count() == 0


def test_a_viewer_cannot_change_a_role_through_the_page(client, viewer_a, admin_a):
    client.force_login(viewer_a.user)
    url = reverse("tenancy:member-role", args=["alpha", admin_a.pk])
    assert client.post(url, {"role": "viewer"}).status_code == 403
    with tenant_context(admin_a.tenant_id):
        assert Membership.objects.get(pk=admin_a.pk).role == "admin"


class TestMembersPage:
    def test_an_admin_invites_a_member_and_changes_a_role(self, client, admin_a, manager_a):
        client.force_login(admin_a.user)
        url = reverse("tenancy:members", args=["alpha"])
        response = client.post(url, {"email": "new@alpha.example", "role": "viewer"}, follow=True)
        page = response.content.decode()
        assert "An invitation was sent to new@alpha.example." in page
        assert "Pending invitations" in page and "new@alpha.example" in page
        client.post(reverse("tenancy:member-role", args=["alpha", manager_a.pk]), {"role": "admin"})
        with tenant_context(admin_a.tenant_id):
            invitation = MemberInvitation.objects.get()
            assert (invitation.email, invitation.role) == ("new@alpha.example", "viewer")
            assert invitation.invited_by == admin_a.user
            assert OutboxMessage.objects.get().to_address == "new@alpha.example"
            assert not Membership.objects.filter(user__email="new@alpha.example").exists()
            assert Membership.objects.get(pk=manager_a.pk).role == "admin"

    def test_inviting_a_member_again_is_refused_beside_the_field(self, client, admin_a, manager_a):
        client.force_login(admin_a.user)
        response = client.post(
            reverse("tenancy:members", args=["alpha"]),
            {"email": "MANAGER@alpha.example", "role": "viewer"},
        )
        assert response.status_code == 400
        assert 'id="id_email_error"' in response.content.decode()
        assert "is already a member" in response.content.decode()
        with tenant_context(admin_a.tenant_id):
            assert not MemberInvitation.objects.exists()

    def test_an_admin_revokes_a_pending_invitation(self, client, admin_a):
        invitation = MemberInvitationFactory(tenant=admin_a.tenant, email="gone@x.example")
        client.force_login(admin_a.user)
        response = client.post(
            reverse("tenancy:invitation-revoke", args=["alpha", invitation.pk]), follow=True
        )
        assert "The invitation to gone@x.example was revoked." in response.content.decode()
        assert "No pending invitations." in response.content.decode()
        with tenant_context(admin_a.tenant_id):
            assert not MemberInvitation.objects.exists()

    def test_the_members_page_runs_a_constant_number_of_queries(
        self, client, admin_a, django_assert_max_num_queries
    ):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        client.force_login(admin_a.user)
        url = reverse("tenancy:members", args=["alpha"])
        MemberInvitationFactory(tenant=admin_a.tenant, invited_by=admin_a.user)
        with CaptureQueriesContext(connection) as few:
            client.get(url)
        MembershipFactory.create_batch(20, tenant=admin_a.tenant)
        MemberInvitationFactory.create_batch(20, tenant=admin_a.tenant, invited_by=admin_a.user)
        with django_assert_max_num_queries(len(few)):
            response = client.get(url)
        assert len(response.context["object_list"]) == 21
        assert len(response.context["invitations"]) == 21

    def test_inviting_a_suppressed_address_says_it_was_not_emailed(self, client, admin_a):
        from tests.factories.mail import SuppressionFactory

        SuppressionFactory(tenant=admin_a.tenant, address="gone@x.example")
        client.force_login(admin_a.user)
        response = client.post(
            reverse("tenancy:members", args=["alpha"]),
            {"email": "Gone@x.example", "role": "viewer"},
            follow=True,
        )
        page = response.content.decode()
        assert "The invitation to Gone@x.example was not emailed" in page
        assert "An invitation was sent" not in page
        with tenant_context(admin_a.tenant_id):
            assert OutboxMessage.objects.get().status == "suppressed"

    def test_managers_cannot_invite_or_revoke(self, client, admin_a, manager_a):
        invitation = MemberInvitationFactory(tenant=admin_a.tenant)
        client.force_login(manager_a.user)
        url = reverse("tenancy:members", args=["alpha"])
        assert client.post(url, {"email": "x@y.example", "role": "admin"}).status_code == 403
        revoke = reverse("tenancy:invitation-revoke", args=["alpha", invitation.pk])
        assert client.post(revoke).status_code == 403
        with tenant_context(admin_a.tenant_id):
            assert list(MemberInvitation.objects.all()) == [invitation]

    def test_an_invalid_email_is_shown_beside_the_field(self, client, admin_a):
        client.force_login(admin_a.user)
        response = client.post(
            reverse("tenancy:members", args=["alpha"]), {"email": "not-an-email", "role": "viewer"}
        )
        assert response.status_code == 400
        assert 'id="id_email_error"' in response.content.decode()

    def test_the_last_admin_cannot_remove_themselves(self, client, admin_a):
        client.force_login(admin_a.user)
        response = client.post(
            reverse("tenancy:member-remove", args=["alpha", admin_a.pk]), follow=True
        )
        assert "at least one admin" in response.content.decode()
        with tenant_context(admin_a.tenant_id):
            assert Membership.objects.filter(pk=admin_a.pk).exists()


class TestTokensPage:
    def test_a_new_token_is_shown_once_and_works(self, client, admin_a, manager_a):
        client.force_login(admin_a.user)
        url = reverse("tenancy:tokens", args=["alpha"])
        response = client.post(url, {"name": "ticket sync", "membership": manager_a.pk})
        assert response.status_code == 302  # a reload cannot create a second token
        response = client.get(response["Location"])
        key = response.context["new_key"]
        assert key in response.content.decode()
        row = next(t for t in client.get(url).context["object_list"] if t.name == "ticket sync")
        assert row.issued_by == admin_a.user
        assert key not in client.get(url).content.decode()
        api = client_class_with_token(key)
        assert api.get(reverse("api:me")).json()["role"] == "manager"

    def test_revoking_a_token(self, client, admin_a):
        with tenant_context(admin_a.tenant_id):
            token, key = ApiToken.issue(admin_a, "old")
        client.force_login(admin_a.user)
        client.post(reverse("tenancy:token-revoke", args=["alpha", token.pk]))
        assert client_class_with_token(key).get(reverse("api:me")).status_code == 401

    def test_a_token_cannot_act_as_another_tenants_member(self, client, admin_a, admin_b):
        client.force_login(admin_a.user)
        response = client.post(
            reverse("tenancy:tokens", args=["alpha"]), {"name": "x", "membership": admin_b.pk}
        )
        assert response.status_code == 400
        assert 'id="id_membership_error"' in response.content.decode()


def client_class_with_token(key):
    from rest_framework.test import APIClient

    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return api


class TestAuditPage:
    def test_admins_read_their_tenants_changes_only(self, client, admin_a, tenant_b):
        AuditEventFactory(tenant=tenant_b, object_repr="bravo secret")
        client.force_login(admin_a.user)
        page = client.get(reverse("tenancy:audit", args=["alpha"])).content.decode()
        # The membership's creation (its repr; the header shows the email alone).
        assert "admin@alpha.example (Admin)" in page
        assert "bravo secret" not in page

    def test_filters_narrow_the_list(self, client, admin_a):
        AuditEventFactory(tenant=admin_a.tenant, action="delete", object_repr="gone thing")
        client.force_login(admin_a.user)
        page = client.get(
            reverse("tenancy:audit", args=["alpha"]), {"action": "delete"}
        ).content.decode()
        assert "gone thing" in page
        assert "admin@alpha.example (Admin)" not in page

    def test_the_list_runs_a_constant_number_of_queries(
        self, client, admin_a, django_assert_max_num_queries
    ):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        client.force_login(admin_a.user)
        url = reverse("tenancy:audit", args=["alpha"])
        with CaptureQueriesContext(connection) as few:
            client.get(url)
        AuditEventFactory.create_batch(40, tenant=admin_a.tenant)
        with django_assert_max_num_queries(len(few)):
            response = client.get(url)
        assert len(response.context["object_list"]) == 41
        with tenant_context(admin_a.tenant_id):
            assert AuditEvent.objects.count() == 41


def test_pages_speak_chinese(client, manager_a):
    client.force_login(manager_a.user)
    client.post(reverse("set_language"), {"language": "zh-hans", "next": "/"})
    page = client.get(reverse("tenancy:dashboard", args=["alpha"])).content.decode()
    assert 'lang="zh-hans"' in page
    assert "概览" in page
