"""Writes on members and tokens that span models."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from .models import Membership, Role, Tenant

User = get_user_model()


def get_or_create_user(email: str, password: str | None = None):
    email = User.objects.normalize_email(email).lower()
    user = User.objects.filter(email__iexact=email).first()
    if user is None:
        user = User(username=email, email=email)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save()
    elif password:
        user.set_password(password)
        user.save(update_fields=["password"])
    return user


@transaction.atomic
def add_member(tenant: Tenant, email: str, role: str, password: str | None = None) -> Membership:
    user = get_or_create_user(email, password)
    membership, created = Membership.objects.get_or_create(
        tenant=tenant, user=user, defaults={"role": role}
    )
    if not created:
        raise ValidationError({"email": _("%(email)s is already a member.") % {"email": email}})
    return membership


def ensure_an_admin_remains(membership: Membership, new_role: str | None) -> None:
    """Refuse to demote or remove the tenant's last admin."""
    if membership.role != Role.ADMIN or new_role == Role.ADMIN:
        return
    others = Membership.objects.filter(tenant_id=membership.tenant_id, role=Role.ADMIN).exclude(
        pk=membership.pk
    )
    if not others.exists():
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
