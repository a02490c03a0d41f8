"""Bulk ingestion of tickets, deliveries, outages and samples: the one write path of the API,
the CSV upload and the webhook.

    from metrics.services.ingest import ingest_records, IngestResult, RecordError
    result = ingest_records("tickets", [{...}, ...], partial=False, source="api")

Each record is validated on its own (RecordError(index, field, message)); without `partial`
one error means nothing is written. Valid records are upserted set-based, unique per tenant
by (agreement family, external_id); a record whose content is unchanged is not written. Then
the tickets' clocks are computed and the affected (metric, period) results marked stale for
the worker. Runs inside the open tenant context.
"""

from __future__ import annotations

import datetime as dt
import gc
import json
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.db import connection, models, transaction
from django.utils.translation import gettext as _

from agreements.models import Agreement
from slaweb.tenancy.context import current_tenant_id

from ..models import Delivery, Outage, Sample, Ticket
from ..signals import ticket_resolved
from .clocks import compute_clocks
from .parsing import (
    KINDS,
    MAX_BATCH,
    PARSERS,
    FieldError,
    content_hash,
    default_external_id,
    text,
)
from .pgarrays import array_literal
from .stale import mark_stale

MODELS = {"tickets": Ticket, "deliveries": Delivery, "outages": Outage, "samples": Sample}
# Stored instants whose periods a record touches (old and new values are both marked stale).
INSTANTS = {
    "tickets": ("opened_at", "resolved_at"),
    "deliveries": ("due_at", "delivered_at"),
    "outages": ("started_at", "ended_at"),
    "samples": ("measured_at", "period_start"),
}
INSTANTS_COLUMNS = {
    MODELS[kind]._meta.db_table: [MODELS[kind]._meta.get_field(name).column for name in names]
    for kind, names in INSTANTS.items()
}


@dataclass(frozen=True)
class RecordError:
    index: int
    field: str
    message: str


@dataclass
class IngestResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RecordError] = field(default_factory=list)
    committed: bool = False

    def as_dict(self) -> dict:
        return {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "errors": [e.__dict__ for e in self.errors],
        }


def ingest_records(
    kind: str, records: list[dict], *, partial: bool = False, source: str = "api"
) -> IngestResult:
    if kind not in KINDS:
        raise ValueError(f"unknown record kind {kind!r}; one of {', '.join(KINDS)}")
    tenant_id = current_tenant_id()
    if tenant_id is None:
        raise RuntimeError("ingest_records runs inside a tenant context")
    if not isinstance(records, list):
        return IngestResult(errors=[RecordError(0, "", _("Send a list of records."))])
    if len(records) > MAX_BATCH:
        message = _("At most %(max)s records per request (this has %(n)s).") % {
            "max": f"{MAX_BATCH:,}",
            "n": f"{len(records):,}",
        }
        return IngestResult(errors=[RecordError(0, "", message)])
    with _no_cycle_collection():
        rows, errors, terms = _validate(kind, records)
        if errors and not partial:
            return IngestResult(errors=errors)
        result = IngestResult(errors=errors)
        if rows:
            with transaction.atomic():
                _write(kind, tenant_id, rows, source, result, terms)
    result.committed = True
    return result


@contextmanager
def _no_cycle_collection():
    """A batch allocates a few hundred thousand short-lived containers (parsed values,
    array literals, result rows) and reference counting frees them all; the cyclic
    collector, triggered by the allocations alone, would walk the heap again and again:
    about 5 % of a 10,000-ticket batch. Paused for the batch, it runs as usual after (left
    off if something else had turned it off)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _validate(kind: str, records: list) -> tuple[list[dict], list[RecordError], dict]:
    from .terms import load_terms

    refs = {
        str(r.get("agreement")).strip()
        for r in records
        if isinstance(r, dict) and isinstance(r.get("agreement"), str | int)
    }
    families = dict(
        Agreement.objects.filter(reference__in=refs).values_list("reference", "family").distinct()
    )
    terms = load_terms(set(families.values()))
    parse = PARSERS[kind]
    rows, errors, seen = [], [], {}
    for index, record in enumerate(records):
        if not isinstance(record, dict):
            errors.append(RecordError(index, "", _("A record must be an object.")))
            continue
        try:
            reference = text(record, "agreement", required=True, max_length=50)
            family = families.get(reference)
            if family is None or family not in terms:
                raise FieldError(
                    "agreement", _("No agreement with the reference %(ref)s.") % {"ref": reference}
                )
            record_id = text(record, "external_id", max_length=100) or default_external_id(
                kind, record
            )
            if not record_id:
                raise FieldError("external_id", _("This field is required."))
            key = (family, record_id)
            if key in seen:
                raise FieldError(
                    "external_id",
                    _("%(id)s appears twice in this request (first at record %(first)s).")
                    % {"id": record_id, "first": seen[key]},
                )
            values = parse(record, terms[family])
        except FieldError as error:
            errors.append(RecordError(index, error.field, error.message))
            continue
        seen[key] = index
        values["content_hash"] = content_hash({"ref": reference, **values})
        values.update(family=family, agreement_reference=reference, external_id=record_id)
        rows.append(values)
    return rows, errors, terms


def _columns(model) -> list[models.Field]:
    skip = {"id", "tenant", "created_at", "updated_at", "source"}
    return [f for f in model._meta.concrete_fields if f.name not in skip]


def _write(
    kind: str, tenant_id: int, rows: list[dict], source: str, result: IngestResult, terms: dict
) -> None:
    model = MODELS[kind]
    instants = INSTANTS[kind]
    written = _upsert(model, tenant_id, rows, source)
    by_key = {(r["family"], r["external_id"]): r for r in rows}
    touched = defaultdict(set)
    ids, was_resolved = {}, {}
    for family, external_id, pk, created, *old in written:
        key = (family, external_id)
        ids[key] = pk
        if created:
            result.created += 1
        else:
            result.updated += 1
            for value in old:
                if value is not None:
                    touched[family].add(value)
            was_resolved[key] = old[1] is not None
        row = by_key[key]
        for name in instants:
            if row[name] is not None:
                touched[family].add(row[name])
    result.unchanged += len(rows) - len(written)
    if not written:
        return
    clock_marks = []
    if kind == "tickets":
        clock_marks = compute_clocks(tenant_id, list(ids.values()), terms=terms)
        resolved = [
            pk
            for key, pk in ids.items()
            if by_key[key]["resolved_at"] is not None and not was_resolved.get(key)
        ]
        if resolved:
            transaction.on_commit(
                lambda: ticket_resolved.send(
                    sender=Ticket, tenant_id=tenant_id, ticket_ids=sorted(resolved)
                )
            )
    if mark_stale(tenant_id, touched, clock_marks, terms=terms):
        from ..tasks import recompute_compliance

        recompute_compliance.delay_on_commit(tenant_id)


def _upsert(model, tenant_id: int, rows: list[dict], source: str) -> list[tuple]:
    """One statement: INSERT ... ON CONFLICT DO UPDATE of the rows whose content changed,
    returning (family, external_id, id, created, *old instants) of each row written. The old
    rows are read in the same statement (same snapshot, before the write): a row not returned
    was unchanged."""
    table = model._meta.db_table
    fields = _columns(model)
    names = [f.column for f in fields]
    casts, selects, params = [], [], []
    for f in fields:
        if isinstance(f, models.JSONField):
            casts.append("%s::text[]")
            selects.append(f"u.{f.column}::jsonb")
            column = ["[]" if r[f.name] == [] else json.dumps(r[f.name]) for r in rows]
        else:
            casts.append(f"%s::{f.db_type(connection)}[]")
            selects.append(f"u.{f.column}")
            column = [r[f.name] for r in rows]
        params.append(array_literal(column))
    updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in names if c not in ("family", "external_id"))
    old = ", ".join(f"o.{c}" for c in INSTANTS_COLUMNS[table])
    with connection.cursor() as cur:
        cur.execute(
            f"""
            WITH u AS MATERIALIZED (
                SELECT * FROM unnest({", ".join(casts)}) AS u({", ".join(names)})
            ), o AS MATERIALIZED (
                SELECT t.family, t.external_id, {", ".join(f"t.{c}" for c in INSTANTS_COLUMNS[table])}
                FROM {table} t JOIN u ON t.family = u.family AND t.external_id = u.external_id
                WHERE t.tenant_id = %s
            ), w AS (
                INSERT INTO {table} AS t (tenant_id, source, created_at, updated_at, {", ".join(names)})
                SELECT %s, %s, now(), now(), {", ".join(selects)} FROM u
                ON CONFLICT (tenant_id, family, external_id)
                DO UPDATE SET {updates}, source = EXCLUDED.source, updated_at = now()
                WHERE t.content_hash IS DISTINCT FROM EXCLUDED.content_hash
                RETURNING t.family, t.external_id, t.id
            )
            SELECT w.family, w.external_id, w.id, o.family IS NULL, {old}
            FROM w LEFT JOIN o ON o.family = w.family AND o.external_id = w.external_id
            """,
            [*params, tenant_id, tenant_id, source],
        )
        return cur.fetchall()


def upsert_samples(metric, items: list[dict], *, source: str = "survey") -> IngestResult:
    """Store a value per period for a metric (e.g. a satisfaction score from the surveys app).

    items: [{"period_start": date, "value": Decimal, "n": int}]; one sample per metric and
    period, replaced when sent again. All or nothing.
    """
    agreement = Agreement.objects.only("reference").get(pk=metric.agreement_id)
    records = [
        {
            "agreement": agreement.reference,
            "external_id": f"{source}:{metric.name}@{item['period_start']}"[:100],
            "metric": metric.name,
            "period_start": item["period_start"].isoformat()
            if isinstance(item["period_start"], dt.date)
            else item["period_start"],
            "value": str(item["value"]),
            "n": item.get("n", 1),
        }
        for item in items
    ]
    return ingest_records("samples", records, source=source)
