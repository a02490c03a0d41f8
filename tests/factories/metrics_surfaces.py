"""Factories of the import and webhook rows (metrics.models.surfaces)."""

from __future__ import annotations

import factory
from django.utils import timezone

from metrics.models import ClockRecompute, ImportJob, ImportMapping, WebhookEvent, WebhookSecret

from .base import TenantOwnedFactory

__all__ = [
    "ClockRecomputeFactory",
    "ImportJobFactory",
    "ImportMappingFactory",
    "WebhookEventFactory",
    "WebhookSecretFactory",
]


class ImportJobFactory(TenantOwnedFactory):
    """A finished, failed import with one rejected row (its pages: job and errors.csv)."""

    kind = "tickets"
    filename = factory.Sequence(lambda n: f"tickets-{n}.csv")
    encoding = "utf-8"
    content = b"agreement,external_id\nX,1\n"
    size = 25
    columns = ["agreement", "external_id"]
    mapping = {"agreement": "agreement", "external_id": "external_id"}
    status = "failed"
    total = 1
    processed = 1
    errors = [[2, "agreement", "No agreement with the reference X."]]
    error_count = 1

    class Meta:
        model = ImportJob


class ImportMappingFactory(TenantOwnedFactory):
    kind = "tickets"
    mapping = {"agreement": "agreement"}

    class Meta:
        model = ImportMapping
        django_get_or_create = ["tenant", "kind"]


class WebhookSecretFactory(TenantOwnedFactory):
    secret = factory.Sequence(lambda n: f"whsec_test_{n:040d}")
    hint = factory.LazyAttribute(lambda o: o.secret[:10])

    class Meta:
        model = WebhookSecret


class WebhookEventFactory(TenantOwnedFactory):
    event_id = factory.Sequence(lambda n: f"event-{n}")
    status = WebhookEvent.ACCEPTED

    class Meta:
        model = WebhookEvent


class ClockRecomputeFactory(TenantOwnedFactory):
    """A clock recompute that failed a minute ago after 3 of 10 tickets (shown, can run again)."""

    subject = factory.Sequence(lambda n: f"Calendar {n}")
    status = "failed"
    total = 10
    done = 3
    finished_at = factory.LazyFunction(timezone.now)

    class Meta:
        model = ClockRecompute
