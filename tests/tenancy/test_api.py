import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from slaweb.mail.models import OutboxMessage
from slaweb.tenancy.context import tenant_context
from slaweb.tenancy.models import ApiToken, AuditEvent, MemberInvitation, Membership, hash_token
from tests.conftest import api_client_for
from tests.factories import AuditEventFactory, MembershipFactory
from tests.factories.tenancy import MemberInvitationFactory
from tests.isolation import APIIsolationTests

pytestmark = pytest.mark.django_db


class TestMembershipIsolation(APIIsolationTests):
    basename = "membership"
    factory = MembershipFactory


class TestInvitationIsolation(APIIsolationTests):
    basename = "invitation"
    factory = MemberInvitationFactory


class TestAuditEventIsolation(APIIsolationTests):
    basename = "auditevent"
    factory = AuditEventFactory


def test_me_tells_the_tokens_tenant_and_role(api_manager, tenant_a):
    response = api_manager.get(reverse("api:me"))
    assert response.status_code == 200
    assert response.json() == {
        "email": "manager@alpha.example",
        "tenant": "alpha",
        "tenant_name": "Alpha Ltd",
        "role": "manager",
    }


@pytest.mark.parametrize("header", [None, "Token nope", "Bearer x", "Token "])
def test_missing_or_bad_tokens_get_401(db, header):
    client = APIClient()
    if header is not None:
        client.credentials(HTTP_AUTHORIZATION=header)
    response = client.get(reverse("api:membership-list"))
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_a_revoked_token_stops_working(manager_a):
    with tenant_context(manager_a.tenant_id):
        token, key = ApiToken.issue(manager_a, "to revoke")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.get(reverse("api:me")).status_code == 200
    with tenant_context(manager_a.tenant_id):
        token.revoke()
    assert client.get(reverse("api:me")).status_code == 401


def test_tokens_are_stored_hashed(manager_a):
    with tenant_context(manager_a.tenant_id):
        token, key = ApiToken.issue(manager_a, "hashed")
        stored = ApiToken.objects.filter(pk=token.pk).values_list("digest", "prefix").get()
    assert key not in stored[0]
    assert stored[0] == hash_token(key)
    assert key.startswith(stored[1])


def test_a_token_of_an_inactive_user_is_refused(manager_a):
    client = api_client_for(manager_a)
    manager_a.user.is_active = False
    manager_a.user.save()
    assert client.get(reverse("api:me")).status_code == 401


def test_last_used_is_recorded(manager_a):
    client = api_client_for(manager_a)
    client.get(reverse("api:me"))
    with tenant_context(manager_a.tenant_id):
        assert ApiToken.objects.get(membership=manager_a).last_used_at is not None


class TestRoles:
    def test_a_viewer_neither_lists_nor_changes_members(self, api_viewer, viewer_a, admin_a):
        assert api_viewer.get(reverse("api:membership-list")).status_code == 403
        detail = reverse("api:membership-detail", args=[admin_a.pk])
        assert api_viewer.get(detail).status_code == 403
        assert api_viewer.get(reverse("api:invitation-list")).status_code == 403
        url = reverse("api:membership-detail", args=[admin_a.pk])
        assert api_viewer.patch(url, {"role": "viewer"}, format="json").status_code == 403
        assert api_viewer.delete(url).status_code == 403
        created = api_viewer.post(
            reverse("api:invitation-list"), {"email": "n@x.example", "role": "admin"}
        )
        assert created.status_code == 403
        with tenant_context(admin_a.tenant_id):
            assert Membership.objects.get(pk=admin_a.pk).role == "admin"
            assert Membership.objects.count() == 2

    def test_a_manager_cannot_manage_or_list_members(self, api_manager, admin_a):
        url = reverse("api:membership-detail", args=[admin_a.pk])
        assert api_manager.patch(url, {"role": "viewer"}, format="json").status_code == 403
        assert api_manager.get(reverse("api:membership-list")).status_code == 403
        invitation = MemberInvitationFactory(tenant=admin_a.tenant)
        invitations = reverse("api:invitation-list")
        assert api_manager.get(invitations).status_code == 403
        assert api_manager.post(invitations, {"email": "a@b.example"}).status_code == 403
        detail = reverse("api:invitation-detail", args=[invitation.pk])
        assert api_manager.delete(detail).status_code == 403
        with tenant_context(admin_a.tenant_id):
            assert MemberInvitation.objects.count() == 1

    def test_only_admins_read_the_audit_trail(self, api_viewer, api_manager, api_admin):
        url = reverse("api:auditevent-list")
        assert api_viewer.get(url).status_code == 403
        assert api_manager.get(url).status_code == 403
        assert api_admin.get(url).status_code == 200


class TestMembers:
    def test_an_admin_invites_by_email_and_nobody_is_attached(self, api_admin, tenant_a):
        from tests.factories import UserFactory

        UserFactory(email="known@x.example", first_name="Hidden")
        response = api_admin.post(
            reverse("api:invitation-list"), {"email": "Known@X.example", "role": "manager"}
        )
        assert response.status_code == 201, response.content
        body = response.json()
        assert (body["email"], body["role"], body["invited_by"]) == (
            "known@x.example",
            "manager",
            "admin@alpha.example",
        )
        assert "Hidden" not in response.content.decode()
        assert "token" not in str(body)
        with tenant_context(tenant_a):
            assert not Membership.objects.filter(user__email="known@x.example").exists()
            assert OutboxMessage.objects.get().kind == "member-invitation"
        listed = api_admin.get(reverse("api:invitation-list")).json()["results"]
        assert [row["email"] for row in listed] == ["known@x.example"]

    def test_members_are_not_created_through_the_api(self, api_admin):
        response = api_admin.post(
            reverse("api:membership-list"), {"email": "n@x.example", "role": "viewer"}
        )
        assert response.status_code == 405

    def test_an_admin_revokes_an_invitation(self, api_admin, tenant_a):
        invitation = MemberInvitationFactory(tenant=tenant_a)
        url = reverse("api:invitation-detail", args=[invitation.pk])
        assert api_admin.delete(url).status_code == 204
        with tenant_context(tenant_a):
            assert not MemberInvitation.objects.exists()

    def test_inviting_an_existing_member_is_a_clear_400(self, api_admin, manager_a):
        response = api_admin.post(
            reverse("api:invitation-list"), {"email": manager_a.user.email, "role": "viewer"}
        )
        assert response.status_code == 400
        assert "already a member" in response.json()["email"][0]

    def test_an_unknown_role_is_400(self, api_admin):
        response = api_admin.post(
            reverse("api:invitation-list"), {"email": "a@b.example", "role": "boss"}
        )
        assert response.status_code == 400
        assert "role" in response.json()

    def test_the_last_admin_cannot_be_demoted_or_removed(self, api_admin, admin_a):
        url = reverse("api:membership-detail", args=[admin_a.pk])
        response = api_admin.patch(url, {"role": "viewer"}, format="json")
        assert response.status_code == 400
        assert "at least one admin" in response.json()["role"][0]
        assert api_admin.delete(url).status_code == 400
        with tenant_context(admin_a.tenant_id):
            assert Membership.objects.get(pk=admin_a.pk).role == "admin"


class TestAuditTrail:
    def test_changes_are_recorded_with_who_and_what(self, api_admin, manager_a):
        url = reverse("api:membership-detail", args=[manager_a.pk])
        assert api_admin.patch(url, {"role": "viewer"}, format="json").status_code == 200
        with tenant_context(manager_a.tenant_id):
            event = AuditEvent.objects.filter(model="tenancy.membership", action="update").get()
        assert event.actor_label == "admin@alpha.example"
        assert event.via == "api"
        assert event.object_id == str(manager_a.pk)
        assert event.changes == {"role": ["manager", "viewer"]}

    def test_deletes_are_recorded(self, api_admin, manager_a):
        assert (
            api_admin.delete(reverse("api:membership-detail", args=[manager_a.pk])).status_code
            == 204
        )
        events = api_admin.get(reverse("api:auditevent-list"), {"action": "delete"}).json()[
            "results"
        ]
        assert [e["object_id"] for e in events] == [str(manager_a.pk)]


def test_lists_are_paginated(api_admin, tenant_a):
    MembershipFactory.create_batch(3, tenant=tenant_a)
    body = api_admin.get(reverse("api:membership-list"), {"page_size": 2}).json()
    assert body["count"] == 4
    assert len(body["results"]) == 2
    assert body["next"]


def test_the_membership_list_runs_a_constant_number_of_queries(
    api_admin, tenant_a, django_assert_max_num_queries
):
    url = reverse("api:membership-list")
    with CaptureQueriesContext(connection) as few_rows:
        assert api_admin.get(url).status_code == 200
    MembershipFactory.create_batch(30, tenant=tenant_a)
    with django_assert_max_num_queries(len(few_rows)):
        assert len(api_admin.get(url).json()["results"]) == 31


class TestTokenAudit:
    def test_the_audit_trail_keeps_no_token_secret_and_names_the_issuer(
        self, client, admin_a, manager_a
    ):
        client.force_login(admin_a.user)
        response = client.post(
            reverse("tenancy:tokens", args=["alpha"]),
            {"name": "ticket sync", "membership": manager_a.pk},
            follow=True,
        )
        key = response.context["new_key"]
        with tenant_context(admin_a.tenant_id):
            token = ApiToken.objects.get(name="ticket sync")
            event = AuditEvent.objects.get(model="tenancy.apitoken", object_id=str(token.pk))
        assert token.issued_by == admin_a.user
        assert event.actor_label == "admin@alpha.example"
        assert event.changes["issued_by_id"] == [None, admin_a.user.pk]
        assert "digest" not in event.changes and "prefix" not in event.changes
        for secret in (token.digest, token.prefix, key):
            assert secret not in str(event.changes)

    def test_revoking_records_no_secret_either(self, admin_a):
        with tenant_context(admin_a.tenant_id):
            token, _key = ApiToken.issue(admin_a, "old")
            token.revoke()
            changes = AuditEvent.objects.get(model="tenancy.apitoken", action="update").changes
        assert list(changes) == ["revoked_at"]
