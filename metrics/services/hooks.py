"""Reactions to agreement changes (the agreements app knows nothing of metrics): a calendar
edit or a newly activated version recomputes the clocks it affects, on commit, in a task."""

from __future__ import annotations

from django.db import transaction
from django.db.models.signals import post_delete, post_save

from agreements.choices import AgreementStatus
from agreements.models import (
    Agreement,
    BusinessCalendar,
    CalendarHoliday,
    CalendarSlot,
    CalendarWorkingDay,
)
from slaweb.tenancy import audit


def _queue(tenant_id: int, **kwargs) -> None:
    from ..tasks import recompute_clocks

    key = (tenant_id, tuple(sorted(kwargs.items(), key=str)))
    pending = _pending()
    if key in pending:
        return  # several rows of one edit: one task
    pending.add(key)

    def send():
        pending.discard(key)
        recompute_clocks.delay(tenant_id, **kwargs)

    transaction.on_commit(send)


def _pending() -> set:
    conn = transaction.get_connection()
    if not hasattr(conn, "_metrics_recompute_pending"):
        conn._metrics_recompute_pending = set()
    return conn._metrics_recompute_pending


def calendar_changed(sender, instance, **kwargs) -> None:
    calendar_id = instance.pk if isinstance(instance, BusinessCalendar) else instance.calendar_id
    if calendar_id is not None and not kwargs.get("raw"):
        _queue(instance.tenant_id, calendar_id=calendar_id)


def agreement_changed(sender, instance: Agreement, created=False, **kwargs) -> None:
    if kwargs.get("raw") or created:
        return
    before = getattr(instance, "_loaded_values", {}).get("status")
    if instance.status == AgreementStatus.ACTIVE and before != AgreementStatus.ACTIVE:
        _queue(instance.tenant_id, families=[str(instance.family)])


def connect() -> None:
    for model in (BusinessCalendar, CalendarSlot, CalendarHoliday, CalendarWorkingDay):
        post_save.connect(
            calendar_changed, sender=model, dispatch_uid=f"metrics-{model.__name__}-save"
        )
        post_delete.connect(
            calendar_changed, sender=model, dispatch_uid=f"metrics-{model.__name__}-delete"
        )
    post_save.connect(agreement_changed, sender=Agreement, dispatch_uid="metrics-agreement-save")


def audit_recompute(calendar_id, families, done: int) -> None:
    """One audit row on the calendar or the agreement: how many tickets were recomputed."""
    if calendar_id is not None:
        instance = BusinessCalendar.objects.filter(pk=calendar_id).first()
    else:
        instance = Agreement.objects.filter(family__in=families or []).order_by("-version").first()
    if instance is not None:
        audit.record(instance, "update", {"clocks_recomputed": [None, done]})
