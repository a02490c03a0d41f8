"""CSV import of tickets, deliveries, outages and samples (the browser's import pages).

upload -> ImportJob (file bytes in the database, encoding detected) -> preview and column
mapping (remembered per tenant and kind) -> `start_import` queues `metrics.run_import` ->
`run_import` streams the file in chunks of CHUNK rows into `ingest_records`.

All or nothing over many chunks: every chunk is ingested inside ONE outer transaction
(each chunk with partial=True, so every row of the file is checked and every error
reported); when any row was rejected and the user did not ask to store the valid rows, the
outer transaction is rolled back and nothing stays written. Only CHUNK parsed records are in
memory at a time (plus the raw file, at most MAX_UPLOAD bytes). The transaction hides the
job's progress from other connections, so live progress goes through the cache
(`progress()`), and the ImportJob row is written once more after the transaction ends.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import logging
from collections.abc import Iterator

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import ImportJob, ImportMapping
from .models.surfaces import ImportStatus
from .services.ingest import ingest_records
from .services.parsing import FIELDS

logger = logging.getLogger(__name__)

MAX_UPLOAD = 20 * 1024 * 1024  # bytes (about 100,000 ticket rows)
CHUNK = 2_000
# A running job not heard of for this long died with its worker (a chunk takes seconds).
STUCK_AFTER = dt.timedelta(minutes=15)
MAX_ERRORS = 10_000  # rejected rows kept for the download; the count is always exact
PREVIEW_ROWS = 5
ENCODINGS = ("utf-8", "gb18030")  # gb18030 reads GBK (Chinese Excel exports)

# Fields a row cannot do without (external_id of samples has a default).
REQUIRED = {
    "tickets": ("agreement", "external_id", "priority", "opened_at"),
    "deliveries": ("agreement", "external_id", "name", "due_at"),
    "outages": ("agreement", "external_id", "start"),
    "samples": ("agreement", "metric", "value"),
}


def detect_encoding(data: bytes) -> str:
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    for encoding in ENCODINGS:
        try:
            data.decode(encoding)
        except UnicodeDecodeError:
            continue
        return "gbk" if encoding == "gb18030" else encoding
    raise ValidationError(
        _("The file is not text in UTF-8 or GBK. Save it from your spreadsheet as CSV (UTF-8).")
    )


def _reader(job: ImportJob):
    encoding = "gb18030" if job.encoding == "gbk" else job.encoding
    text = io.TextIOWrapper(io.BytesIO(bytes(job.content)), encoding=encoding, newline="")
    return csv.reader(text)


def create_job(kind: str, upload, user=None) -> ImportJob:
    """Store an uploaded file (Django UploadedFile) as an ImportJob; ValidationError if unusable."""
    if kind not in FIELDS:
        raise ValidationError(_("Unknown kind of record."))
    if upload.size > MAX_UPLOAD:
        raise ValidationError(
            _("The file is too large (at most %(mb)s MB).") % {"mb": MAX_UPLOAD // (1024 * 1024)}
        )
    data = upload.read()
    if not data.strip():
        raise ValidationError(_("The file is empty."))
    encoding = detect_encoding(data)
    job = ImportJob(
        kind=kind,
        filename=(upload.name or "upload.csv")[:255],
        encoding=encoding,
        content=data,
        size=len(data),
        created_by=user if user is not None and user.is_authenticated else None,
    )
    try:
        columns = next(_reader(job))
    except (csv.Error, StopIteration) as error:
        raise ValidationError(
            _("The file is not a readable CSV file (%(e)s).") % {"e": error}
        ) from None
    columns = [c.strip() for c in columns]
    if not any(columns):
        raise ValidationError(_("The first line must name the columns."))
    if len(set(columns)) != len(columns):
        raise ValidationError(_("Two columns have the same name in the first line."))
    job.columns = columns
    saved = ImportMapping.objects.filter(kind=kind).first()
    job.mapping = suggest_mapping(kind, columns, saved.mapping if saved else {})
    job.save()
    return job


def suggest_mapping(kind: str, columns: list[str], saved: dict) -> dict:
    """{field: column}: the remembered mapping where its columns exist, else same-named columns."""
    by_name = {c.lower(): c for c in columns}
    mapping = {}
    for name in FIELDS[kind]:
        remembered = saved.get(name)
        if remembered in columns:
            mapping[name] = remembered
        elif name in by_name:
            mapping[name] = by_name[name]
    return mapping


def preview(job: ImportJob, rows: int = PREVIEW_ROWS) -> list[list[str]]:
    reader = _reader(job)
    next(reader, None)
    out = []
    try:
        for row in reader:
            out.append(row)
            if len(out) >= rows:
                break
    except csv.Error:
        pass
    return out


def start_import(job: ImportJob, mapping: dict, store_valid: bool) -> ImportJob:
    """Remember the mapping for the tenant, queue the import (after commit)."""
    from .tasks_pages import run_import as task

    with transaction.atomic():
        job = ImportJob.objects.select_for_update().get(pk=job.pk)
        if job.status != ImportStatus.UPLOADED:
            return job
        job.mapping = mapping
        job.store_valid = store_valid
        job.status = ImportStatus.QUEUED
        job.save(update_fields=["mapping", "store_valid", "status"])
        ImportMapping.objects.update_or_create(kind=job.kind, defaults={"mapping": mapping})
        task.delay_on_commit(job.tenant_id, job.pk)
    return job


def _progress_key(job_id: int) -> str:
    return f"metrics:import-progress:{job_id}"


def _beat_key(job_id: int) -> str:
    return f"metrics:import-beat:{job_id}"


def _beat(job_id: int) -> None:
    """The running job's sign of life (its row is hidden inside the outer transaction)."""
    cache.set(_beat_key(job_id), timezone.now().timestamp(), int(STUCK_AFTER.total_seconds()) * 4)


def fail_if_stuck(job: ImportJob, now=None) -> ImportJob:
    """A running job whose worker gave no sign of life for STUCK_AFTER (since the last chunk,
    else since the upload) died with its worker: its transaction was rolled back, so it is
    marked failed (conditionally: a finishing worker's own outcome wins) with a message."""
    if job.status != ImportStatus.RUNNING:
        return job
    now = now or timezone.now()
    last = cache.get(_beat_key(job.pk))
    seen = dt.datetime.fromtimestamp(last, dt.UTC) if last else job.created_at
    if now - seen <= STUCK_AFTER:
        return job
    ImportJob.objects.filter(pk=job.pk, status=ImportStatus.RUNNING).update(
        status=ImportStatus.FAILED,
        message=_(
            "The import stopped without finishing (its worker stopped); nothing was stored. "
            "Upload the file again to retry."
        ),
        finished_at=now,
    )
    job.refresh_from_db()
    return job


def fail_stuck_jobs(now=None) -> None:
    """fail_if_stuck for every running job of the open tenant (the imports list)."""
    for job in ImportJob.objects.filter(status=ImportStatus.RUNNING).only(
        "pk", "status", "created_at"
    ):
        fail_if_stuck(job, now)


def progress(job: ImportJob) -> int:
    """Rows processed so far (the cache while running, the row once finished)."""
    if job.status == ImportStatus.RUNNING:
        return cache.get(_progress_key(job.pk), job.processed)
    return job.processed


def _chunks(job: ImportJob) -> Iterator[list[tuple[int, dict]]]:
    """[(line, record)] chunks; `line` is the file line where the row ends (header = 1)."""
    reader = _reader(job)
    header = [c.strip() for c in next(reader)]
    positions = {field: header.index(col) for field, col in job.mapping.items() if col in header}
    chunk = []
    for row in reader:
        if not any(cell.strip() for cell in row):
            continue
        record = {field: (row[i].strip() if i < len(row) else "") for field, i in positions.items()}
        chunk.append((reader.line_num, record))
        if len(chunk) >= CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _count_rows(job: ImportJob) -> int:
    reader = _reader(job)
    next(reader, None)
    return sum(1 for row in reader if any(cell.strip() for cell in row))


def run_import(job_id: int) -> ImportJob:
    """The task's work (inside the tenant scope). Claims the job, imports, records the outcome."""
    claimed = ImportJob.objects.filter(pk=job_id, status=ImportStatus.QUEUED).update(
        status=ImportStatus.RUNNING
    )
    job = ImportJob.objects.get(pk=job_id)
    if not claimed:
        return job
    _beat(job.pk)
    counts = {"created": 0, "updated": 0, "unchanged": 0, "processed": 0}
    errors: list[list] = []
    error_count = 0
    message = ""
    try:
        job.total = _count_rows(job)
        job.save(update_fields=["total"])
        with transaction.atomic():
            for chunk in _chunks(job):
                result = ingest_records(
                    job.kind, [record for _line, record in chunk], partial=True, source="csv"
                )
                for key in ("created", "updated", "unchanged"):
                    counts[key] += getattr(result, key)
                for error in result.errors:
                    error_count += 1
                    if len(errors) < MAX_ERRORS:
                        column = job.mapping.get(error.field, error.field)
                        errors.append([chunk[error.index][0], column, error.message])
                counts["processed"] += len(chunk)
                cache.set(_progress_key(job.pk), counts["processed"], 3600)
                _beat(job.pk)
            if error_count and not job.store_valid:
                transaction.set_rollback(True)
    except (csv.Error, UnicodeDecodeError) as error:
        message = _("The file could not be read: %(e)s") % {"e": error}
    except DatabaseError:
        logger.exception("import %s failed", job.pk)
        message = _("The import failed on the database side; nothing was stored.")
    failed = bool(message) or (error_count and not job.store_valid)
    if failed:
        counts.update(created=0, updated=0, unchanged=0)
        if not message:
            message = _("%(n)s rows were rejected; nothing was stored.") % {"n": error_count}
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportStatus.FAILED if failed else ImportStatus.DONE,
        errors=errors,
        error_count=error_count,
        message=message,
        finished_at=timezone.now(),
        **counts,
    )
    cache.delete(_progress_key(job.pk))
    cache.delete(_beat_key(job.pk))
    return ImportJob.objects.get(pk=job.pk)


def errors_csv(job: ImportJob) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([_("line"), _("column"), _("reason")])
    writer.writerows(job.errors)
    return out.getvalue()
