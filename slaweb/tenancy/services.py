"""Writes on members, invitations and tokens that span models."""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from slaweb.mail import services as mail

from .models import (
    INVITATION_DAYS,
    MemberInvitation,
    Membership,
    Role,
    Tenant,
    hash_token,
)

User = get_user_model()


def normalise_email(email: str) -> str:
    return User.objects.normalize_email(email.strip()).lower()


def find_user(email: str):
    return User.objects.filter(email__iexact=normalise_email(email)).first()


def get_or_create_user(email: str, password: str | None = None):
    """The account with this address; a new one gets the password (or none usable).
    An existing account's password is never changed here."""
    user, _created = get_or_create_user_reporting(email, password)
    return user


def get_or_create_user_reporting(email: str, password: str | None = None):
    email = normalise_email(email)
    user = User.objects.filter(email__iexact=email).first()
    if user is not None:
        return user, False
    user = User(username=email, email=email)
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    return user, True


@transaction.atomic
def add_member(tenant: Tenant, email: str, role: str, password: str | None = None) -> Membership:
    """Attach an account directly (commands and seeds; people use invitations)."""
    user = get_or_create_user(email, password)
    membership, created = Membership.objects.get_or_create(
        tenant=tenant, user=user, defaults={"role": role}
    )
    if not created:
        raise ValidationError({"email": _("%(email)s is already a member.") % {"email": email}})
    return membership


# -- invitations -------------------------------------------------------------------------


def split_token(token: str) -> tuple[int, str] | None:
    """`<tenant id>.<secret>` -> (tenant id, digest of the whole token); None if malformed."""
    tenant_part, dot, secret = token.partition(".")
    if not dot or not tenant_part.isdigit() or len(secret) < 20:
        return None
    return int(tenant_part), hash_token(token)


@transaction.atomic
def invite_member(tenant: Tenant, email: str, role: str, invited_by) -> MemberInvitation:
    """Email an invitation; inviting an address again replaces its open invitation.
    The same answer whether the address has an account or not: nothing is revealed."""
    email = normalise_email(email)
    if Membership.objects.filter(user__email__iexact=email).exists():
        raise ValidationError({"email": _("%(email)s is already a member.") % {"email": email}})
    if role not in Role.values:
        raise ValidationError({"role": _("Choose a valid role.")})
    MemberInvitation.objects.filter(email=email, accepted_at__isnull=True).delete()
    token = f"{tenant.pk}.{secrets.token_urlsafe(32)}"
    invitation = MemberInvitation.objects.create(
        email=email,
        role=role,
        token_digest=hash_token(token),
        invited_by=invited_by,
        expires_at=timezone.now() + timedelta(days=INVITATION_DAYS),
    )
    language = tenant.language
    with translation.override(language):
        context = {
            "tenant_name": tenant.name,
            "inviter": (invited_by.get_full_name() or invited_by.email) if invited_by else "slaweb",
            "role": Role(role).label,
            # SITE_URL, like every mailed link: never taken from a request's Host header.
            "accept_url": settings.SITE_URL.rstrip("/")
            + reverse("invitation-accept", args=[token]),
            "expires_at": formats.date_format(
                timezone.localtime(invitation.expires_at, timezone.get_fixed_timezone(0)),
                "DATETIME_FORMAT",
            )
            + " UTC",
        }
    mail.enqueue(
        "member-invitation",
        email,
        context,
        key=f"member-invitation:{invitation.pk}",
        language=language,
        from_name=tenant.name,
        reply_to=invited_by.email if invited_by else "",
        erase_body_after_send=True,
    )
    return invitation


def revoke_invitation(invitation: MemberInvitation) -> None:
    if invitation.accepted_at is None:
        invitation.delete()


@transaction.atomic
def accept_invitation(
    invitation: MemberInvitation, user=None, *, name: str = "", password: str = ""
) -> Membership:
    """Join with the logged-in account of the invited address, or with the account of that
    address made (or given its first password) here. Accepted once: a conditional UPDATE
    claims the invitation, so two clicks make one membership."""
    claimed = MemberInvitation.objects.filter(
        pk=invitation.pk, accepted_at__isnull=True, expires_at__gt=timezone.now()
    ).update(accepted_at=timezone.now())
    if not claimed:
        raise ValidationError(_("This invitation was used already or has expired."))
    if user is None:
        user = find_user(invitation.email)
        if user is not None and user.has_usable_password():
            raise ValidationError(_("Log in to accept this invitation."))
        if user is None:
            user = User(username=invitation.email, email=invitation.email)
        first, _sep, last = name.strip().partition(" ")
        user.first_name, user.last_name = first[:150], last.strip()[:150]
        user.set_password(password)
        user.save()
    elif user.email.lower() != invitation.email:
        raise ValidationError(_("This invitation is for another email address."))
    membership, created = Membership.objects.get_or_create(
        user=user, defaults={"role": invitation.role, "tenant_id": invitation.tenant_id}
    )
    if not created:
        raise ValidationError(_("You are a member already."))
    return membership


# -- roles -------------------------------------------------------------------------------


def ensure_an_admin_remains(membership: Membership, new_role: str | None) -> None:
    """Refuse to demote or remove the tenant's last admin. The tenant's admin rows are
    locked first, so two concurrent demotions cannot each see the other as the admin
    who remains: the second waits, then sees the first's change."""
    admins = set(
        Membership.objects.select_for_update()
        .filter(tenant_id=membership.tenant_id, role=Role.ADMIN)
        .values_list("pk", flat=True)
    )
    if membership.pk not in admins or new_role == Role.ADMIN:
        return
    if not admins - {membership.pk}:
        raise ValidationError({"role": _("A tenant needs at least one admin.")})


@transaction.atomic
def change_role(membership: Membership, role: str) -> Membership:
    ensure_an_admin_remains(membership, role)
    membership.role = role
    membership.save()
    return membership


@transaction.atomic
def remove_member(membership: Membership) -> None:
    ensure_an_admin_remains(membership, None)
    membership.delete()
