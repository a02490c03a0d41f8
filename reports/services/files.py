"""Files of a published revision (PDF, workbook, CSV in one language), built by a task and
stored (decision 010): a request creates or reuses the row and queues the build on commit;
the task builds a pending row once, however often it runs.

The build holds the row with SELECT ... FOR UPDATE SKIP LOCKED while it renders and writes
the result in the same transaction: a second task meanwhile skips it, a later one finds it
ready, and a worker dying mid-build leaves it pending (the rollback), so a retry builds it.
Nothing leaves the database before the bytes are stored, so there is no outside side effect
to claim first.
"""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils import timezone

from ..choices import FileFormat, FileState
from ..models import Report, ReportFile

STALE_AFTER = dt.timedelta(minutes=10)
CONTENT_TYPES = {
    FileFormat.PDF: "application/pdf",
    FileFormat.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    FileFormat.CSV: "text/csv; charset=utf-8",
}


def request_file(report: Report, fmt: str, language: str) -> ReportFile:
    """The file row for (report, format, language): created pending and queued if new, queued
    again if it had failed or has waited past STALE_AFTER (its task was lost); a ready one,
    or one pending for a short while, is returned as it is."""
    if fmt not in FileFormat.values:
        raise ValueError(f"unknown format: {fmt!r}")
    from ..tasks import build_report_file

    with transaction.atomic():
        try:
            with transaction.atomic():
                row, created = ReportFile.objects.get_or_create(
                    tenant_id=report.tenant_id, report=report, format=fmt, language=language
                )
        except IntegrityError:  # a concurrent request created it first
            row, created = (
                ReportFile.objects.get(report=report, format=fmt, language=language),
                False,
            )
        retried = (
            not created
            and row.state == FileState.FAILED
            and ReportFile.objects.filter(pk=row.pk, state=FileState.FAILED).update(
                state=FileState.PENDING, error="", requested_at=timezone.now()
            )
        )
        lost = (
            row.state == FileState.PENDING
            and not created
            and row.requested_at < timezone.now() - STALE_AFTER
            and ReportFile.objects.filter(
                pk=row.pk, state=FileState.PENDING, requested_at=row.requested_at
            ).update(requested_at=timezone.now())
        )
        if created or retried or lost:
            build_report_file.delay_on_commit(report.tenant_id, row.pk)
            row.refresh_from_db(fields=["state", "error", "requested_at"])
        return row


def store_file(report: Report, fmt: str, language: str, content: bytes, pages=None) -> ReportFile:
    """Keep a file rendered elsewhere (the PDF the dispatcher mails) so a download does not
    build it again: creates it ready, or fills a pending one; a ready one is left alone."""
    with transaction.atomic():
        row, _created = ReportFile.objects.get_or_create(
            tenant_id=report.tenant_id, report=report, format=fmt, language=language
        )
        ReportFile.objects.filter(pk=row.pk).exclude(state=FileState.READY).update(
            content=content,
            size=len(content),
            pages=pages,
            state=FileState.READY,
            error="",
            built_at=timezone.now(),
        )
        row.refresh_from_db()
        return row


def render(report: Report, fmt: str, language: str) -> tuple[bytes, int | None]:
    from ..rendering.pdf import render_pdf
    from ..rendering.spreadsheet import render_csv, render_xlsx

    if fmt == FileFormat.PDF:
        return render_pdf(report.snapshot, language=language)
    if fmt == FileFormat.XLSX:
        return render_xlsx(report.snapshot, language=language), None
    return render_csv(report.snapshot, language=language), None


def build_file(report_file_id: int) -> bool:
    """Build a pending file (True), or do nothing if it is built, failed or being built."""
    try:
        with transaction.atomic():
            row = (
                ReportFile.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("report")
                .filter(pk=report_file_id, state=FileState.PENDING)
                .first()
            )
            if row is None:
                return False
            content, pages = render(row.report, row.format, row.language)
            row.content, row.size, row.pages = content, len(content), pages
            row.state, row.error, row.built_at = FileState.READY, "", timezone.now()
            row.save(update_fields=["content", "size", "pages", "state", "error", "built_at"])
            return True
    except Exception as error:
        with transaction.atomic():
            ReportFile.objects.filter(pk=report_file_id, state=FileState.PENDING).update(
                state=FileState.FAILED, error=f"{type(error).__name__}: {error}"[:2000]
            )
        raise


def filename(row: ReportFile) -> str:
    """ "SLA-2026-007_2026-10_r1_zh-hans.pdf" (reference and period of the revision)."""
    from ..periods import label

    report = row.report
    reference = (report.snapshot.get("agreement") or {}).get("reference") or "report"
    period = label(report.period_kind, report.period_start)
    return f"{reference}_{period}_r{report.revision}_{row.language}.{row.format}"
