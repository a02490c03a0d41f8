"""Reads of tenancy data shared by pages and API."""

from __future__ import annotations

from django.db import transaction
from django_scopes import scopes_disabled

from .context import set_db_setting
from .models import MemberInvitation, Membership


def memberships_of(user) -> list[Membership]:
    """The user's memberships in every tenant, for the tenant switcher.

    The only place that sets app.user_id: RLS then shows this user's own membership rows
    (read-only policy), for one short transaction, whatever tenant is open.
    """
    with transaction.atomic():
        set_db_setting("user_id", user.pk)
        with scopes_disabled():
            memberships = list(
                Membership.objects.filter(user=user)
                .select_related("tenant")
                .order_by("tenant__name")
            )
        set_db_setting("user_id", None)
    return memberships


def open_invitations(queryset=None):
    """Invitations not accepted yet (expired ones too, until revoked or replaced), for the
    members page and the API."""
    if queryset is None:
        queryset = MemberInvitation.objects.all()
    return queryset.filter(accepted_at__isnull=True).select_related("invited_by")
