"""Reads of the outbox for the admin page (tenant scope)."""

from __future__ import annotations

from .models import OutboxMessage, Suppression

# What the list shows: never the bodies (they may hold secret links).
LIST_FIELDS = (
    "id",
    "kind",
    "to_address",
    "subject",
    "status",
    "attempts",
    "last_error",
    "created_at",
    "sent_at",
)


def outbox_messages(queryset=None):
    if queryset is None:
        queryset = OutboxMessage.objects.all()
    return queryset.only(*LIST_FIELDS).order_by("-created_at", "-id")


def suppressions():
    return Suppression.objects.order_by("address")
