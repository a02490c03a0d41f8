"""Reactions to agreement changes (the agreements app knows nothing of metrics): a calendar
edit or a newly activated version recomputes the clocks it affects, on commit, in a task."""

from __future__ import annotations

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.utils import timezone

from agreements.choices import AgreementStatus
from agreements.models import (
    Agreement,
    BusinessCalendar,
    CalendarHoliday,
    CalendarSlot,
    CalendarWorkingDay,
)
from slaweb.tenancy import audit


def _queue(tenant_id: int, subject: str, **kwargs) -> None:
    """One ClockRecompute per change and transaction (written with the change), its task sent
    on commit."""
    from ..models import ClockRecompute
    from ..tasks import recompute_clocks

    key = (tenant_id, tuple(sorted(kwargs.items(), key=str)))
    pending = _pending()
    if key in pending and ClockRecompute.objects.filter(pk=pending[key]).exists():
        return  # several rows of one edit: one recompute (gone if its savepoint rolled back)
    job = ClockRecompute.objects.create(
        tenant_id=tenant_id,
        calendar_id=kwargs.get("calendar_id"),
        families=kwargs.get("families", []),
        subject=subject[:200],
    )
    pending[key] = job.pk

    def send():
        pending.pop(key, None)
        recompute_clocks.delay(tenant_id, job_id=job.pk)

    transaction.on_commit(send)


def _pending() -> dict:
    """{key: job id} queued on this connection and not sent yet."""
    conn = transaction.get_connection()
    if not hasattr(conn, "_metrics_recompute_pending"):
        conn._metrics_recompute_pending = {}
    return conn._metrics_recompute_pending


def calendar_changed(sender, instance, **kwargs) -> None:
    calendar = instance if isinstance(instance, BusinessCalendar) else None
    calendar_id = instance.pk if calendar else instance.calendar_id
    if calendar_id is None or kwargs.get("raw"):
        return
    if kwargs.get("signal") is post_delete and calendar is not None:
        return  # a deleted calendar's clocks keep their values (the link is set to null)
    name = calendar.name if calendar else _calendar_name(calendar_id)
    if name is not None:
        _queue(instance.tenant_id, name, calendar_id=calendar_id)


def _calendar_name(calendar_id: int) -> str | None:
    return BusinessCalendar.objects.filter(pk=calendar_id).values_list("name", flat=True).first()


def agreement_changed(sender, instance: Agreement, created=False, **kwargs) -> None:
    if kwargs.get("raw") or created:
        return
    before = getattr(instance, "_loaded_values", {}).get("status")
    if instance.status == AgreementStatus.ACTIVE and before != AgreementStatus.ACTIVE:
        subject = f"{instance.reference} v{instance.version}"
        _queue(instance.tenant_id, subject, families=[str(instance.family)])


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


def run_recompute(job_id: int) -> int:
    """The task's work (inside the tenant scope): recompute in batches, each committed with
    its progress; then audit. Running it again starts over and changes nothing more (clocks
    are computed from their tickets)."""
    from ..models import ClockRecompute
    from .clocks import recompute_clocks

    rows = ClockRecompute.objects.filter(pk=job_id)
    job = rows.first()
    if job is None:
        return 0
    rows.update(status=ClockRecompute.Status.RUNNING, done=0, updated_at=timezone.now())

    def progress(done: int, total: int) -> None:
        rows.update(done=done, total=total, updated_at=timezone.now())

    try:
        done = recompute_clocks(
            job.tenant_id,
            calendar_id=job.calendar_id,
            families=job.families or None,
            progress=progress,
        )
    except Exception:
        rows.update(
            status=ClockRecompute.Status.FAILED,
            finished_at=timezone.now(),
            updated_at=timezone.now(),
        )
        raise
    rows.update(
        status=ClockRecompute.Status.DONE,
        done=done,
        total=done,
        finished_at=timezone.now(),
        updated_at=timezone.now(),
    )
    audit_recompute(job.calendar_id, job.families, done)
    return done


def run_again(job) -> bool:
    """Queue a failed or stalled recompute once more (False if it is not one)."""
    from ..models import ClockRecompute
    from ..tasks import recompute_clocks

    if not job.can_run_again:
        return False
    ClockRecompute.objects.filter(pk=job.pk).update(
        status=ClockRecompute.Status.QUEUED, done=0, finished_at=None, updated_at=timezone.now()
    )
    recompute_clocks.delay_on_commit(job.tenant_id, job_id=job.pk)
    return True
