"""Members join by an emailed invitation (real SMTP server), never by being attached."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from slaweb.mail import services as mail
from slaweb.mail.models import OutboxMessage
from slaweb.tenancy.context import tenant_context
from slaweb.tenancy.models import AuditEvent, MemberInvitation, Membership
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)
User = get_user_model()


def invite(client, admin, email, role="manager"):
    client.force_login(admin.user)
    response = client.post(
        reverse("tenancy:members", args=[admin.tenant.slug]),
        {"email": email, "role": role},
        follow=True,
    )
    client.logout()
    return response


def deliver_all(tenant):
    with tenant_context(tenant):
        ids = list(
            OutboxMessage.objects.filter(status="queued")
            .order_by("pk")
            .values_list("pk", flat=True)
        )
    for pk in ids:
        mail.deliver(tenant.pk, pk)


def link_in(message) -> str:
    text = message.get_body(("plain",)).get_content()
    return re.search(r"https?://[^/\s]+(/invitations/\S+/)", text).group(1)


def test_a_new_person_accepts_sets_a_password_and_can_reset_it(client, admin_a, smtp_inbox):
    response = invite(client, admin_a, "New.Person@Example.com")
    assert "An invitation was sent to New.Person@Example.com." in response.content.decode()
    with tenant_context(admin_a.tenant_id):
        assert not Membership.objects.filter(user__email="new.person@example.com").exists()
    assert not User.objects.filter(email__iexact="new.person@example.com").exists()
    deliver_all(admin_a.tenant)

    [message] = smtp_inbox.messages
    assert message["To"] == "new.person@example.com"
    assert message["Subject"] == "You are invited to join Alpha Ltd on slaweb"
    assert "admin@alpha.example" in message["Reply-To"]
    link = link_in(message)
    with tenant_context(admin_a.tenant_id):  # the secret link is not kept once sent
        assert OutboxMessage.objects.get().body_text == ""

    page = client.get(link)
    assert page.status_code == 200
    assert "Choose your name and a password" in page.content.decode()
    bad = client.post(link, {"name": "Nova", "password1": "short", "password2": "other"})
    assert bad.status_code == 400
    assert 'id="id_password2_error"' in bad.content.decode()
    assert not User.objects.filter(email="new.person@example.com").exists()

    done = client.post(
        link,
        {"name": "Nova Person", "password1": "Fresh-pass-2026", "password2": "Fresh-pass-2026"},
        follow=True,
    )
    assert done.redirect_chain[-1][0] == reverse("tenancy:dashboard", args=["alpha"])
    assert "Welcome to Alpha Ltd." in done.content.decode()
    user = User.objects.get(email="new.person@example.com")
    assert (user.first_name, user.last_name) == ("Nova", "Person")
    with tenant_context(admin_a.tenant_id):
        assert Membership.objects.get(user=user).role == "manager"
        assert MemberInvitation.objects.get().accepted_at is not None
    # the link works once
    client.logout()
    assert client.get(link).status_code == 404
    # and "forgot password" now reaches the new member
    smtp_inbox.messages.clear()
    client.post(reverse("password_reset"), {"email": "new.person@example.com"})
    from slaweb.mail.models import PlatformMessage

    for pk in PlatformMessage.objects.filter(status="queued").values_list("pk", flat=True):
        mail.deliver_platform(pk)
    assert [m["To"] for m in smtp_inbox.messages] == ["new.person@example.com"]


def test_an_existing_account_is_neither_attached_nor_revealed(
    client, admin_a, tenant_b, smtp_inbox
):
    UserFactory(email="known@example.com", first_name="Secret", last_name="Name")
    known = invite(client, admin_a, "known@example.com").content.decode()
    unknown = invite(client, admin_a, "unknown@example.com").content.decode()
    assert "Secret" not in known
    assert "An invitation was sent to known@example.com." in known
    assert "An invitation was sent to unknown@example.com." in unknown
    with tenant_context(admin_a.tenant_id):
        assert Membership.objects.count() == 1  # only the admin: nobody was attached
        assert MemberInvitation.objects.count() == 2


def test_an_existing_account_logs_in_then_joins(client, admin_a, smtp_inbox):
    user = UserFactory(email="known@example.com")
    invite(client, admin_a, "known@example.com", role="viewer")
    deliver_all(admin_a.tenant)
    link = link_in(smtp_inbox.messages[0])

    page = client.get(link).content.decode()
    assert "Log in to accept the invitation" in page
    assert client.post(link, {"name": "x", "password1": "y", "password2": "y"}).status_code == 400
    user.refresh_from_db()
    assert user.check_password("pw-for-tests-1")  # nobody can set a known account's password

    client.force_login(user)
    response = client.post(link, follow=True)
    assert response.redirect_chain[-1][0] == reverse("tenancy:dashboard", args=["alpha"])
    with tenant_context(admin_a.tenant_id):
        assert Membership.objects.get(user=user).role == "viewer"


def test_someone_else_logged_in_cannot_use_the_link(client, admin_a, manager_b, smtp_inbox):
    invite(client, admin_a, "invited@example.com")
    deliver_all(admin_a.tenant)
    link = link_in(smtp_inbox.messages[0])
    client.force_login(manager_b.user)
    assert "You are logged in as manager@bravo.example" in client.get(link).content.decode()
    assert client.post(link).status_code == 400
    with tenant_context(admin_a.tenant_id):
        assert not Membership.objects.filter(user=manager_b.user).exists()
        assert MemberInvitation.objects.get().accepted_at is None


def test_revoked_expired_and_forged_links_are_404(client, admin_a, smtp_inbox):
    invite(client, admin_a, "one@example.com")
    invite(client, admin_a, "two@example.com")
    deliver_all(admin_a.tenant)
    links = {m["To"]: link_in(m) for m in smtp_inbox.messages}
    with tenant_context(admin_a.tenant_id):
        one = MemberInvitation.objects.get(email="one@example.com")
    client.force_login(admin_a.user)
    client.post(reverse("tenancy:invitation-revoke", args=["alpha", one.pk]))
    client.logout()
    assert client.get(links["one@example.com"]).status_code == 404
    with time_machine.travel(timezone.now() + dt.timedelta(days=8)):
        assert client.get(links["two@example.com"]).status_code == 404
    forged = links["two@example.com"].rstrip("/")[:-3] + "abc/"
    assert client.get(forged).status_code == 404
    assert client.get("/invitations/999999.xxxxxxxxxxxxxxxxxxxxxxxxxxxxx/").status_code == 404
    assert client.get("/invitations/nonsense/").status_code == 404


def test_inviting_again_replaces_the_open_invitation(client, admin_a, smtp_inbox):
    invite(client, admin_a, "again@example.com", role="viewer")
    invite(client, admin_a, "again@example.com", role="admin")
    deliver_all(admin_a.tenant)
    first, second = (link_in(m) for m in smtp_inbox.messages)
    assert client.get(first).status_code == 404
    assert client.get(second).status_code == 200
    with tenant_context(admin_a.tenant_id):
        assert list(MemberInvitation.objects.values_list("role", flat=True)) == ["admin"]


def test_the_invitation_is_written_in_the_tenants_language(client, admin_a, smtp_inbox):
    admin_a.tenant.language = "zh-hans"
    admin_a.tenant.save()
    invite(client, admin_a, "li@example.com")
    deliver_all(admin_a.tenant)
    assert smtp_inbox.messages[0]["Subject"] == "邀请您加入 slaweb 上的 Alpha Ltd"


def test_the_audit_trail_keeps_no_invitation_secret(client, admin_a, smtp_inbox):
    invite(client, admin_a, "audited@example.com")
    with tenant_context(admin_a.tenant_id):
        event = AuditEvent.objects.get(model="tenancy.memberinvitation")
        digest = MemberInvitation.objects.get().token_digest
    assert event.actor_label == "admin@alpha.example"
    assert "token_digest" not in event.changes
    assert digest not in str(event.changes)
