"""The record fields of every kind, parsed and checked once for the API, the CSV upload
and the webhook. Each parser turns an API dict into the stored columns or raises
FieldError(field, message). docs/data-import.md lists the same fields."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

from agreements.choices import TicketKind
from metrics.business_time import merge_pauses

from ..choices import OutageExclusion

MAX_BATCH = 10_000
TRUE = {"true", "1", "yes", "y", "t"}
FALSE = {"false", "0", "no", "n", "f", ""}

# API field name -> stored column, per kind (documented in docs/data-import.md).
FIELDS = {
    "tickets": (
        "agreement",
        "external_id",
        "priority",
        "kind",
        "category",
        "opened_at",
        "first_response_at",
        "workaround_at",
        "resolved_at",
        "first_contact_resolved",
        "escalated",
        "recurrence_of",
        "pauses",
    ),
    "deliveries": ("agreement", "external_id", "name", "due_at", "delivered_at", "error_free"),
    "outages": (
        "agreement",
        "external_id",
        "service",
        "start",
        "end",
        "planned",
        "announced_at",
        "exclusion",
        "exclusion_reason",
    ),
    "samples": ("agreement", "external_id", "metric", "period_start", "measured_at", "value", "n"),
}
KINDS = tuple(FIELDS)


class FieldError(Exception):
    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field, self.message = field, str(message)


def text(record: dict, name: str, *, required: bool = False, max_length: int = 200) -> str:
    value = record.get(name)
    if value is None:
        value = ""
    if not isinstance(value, str | int):
        raise FieldError(name, _("Enter text."))
    value = str(value).strip()
    if required and not value:
        raise FieldError(name, _("This field is required."))
    if len(value) > max_length:
        raise FieldError(
            name,
            _("At most %(n)s characters (this has %(len)s).")
            % {"n": max_length, "len": len(value)},
        )
    return value


def instant(record: dict, name: str, *, required: bool = False) -> dt.datetime | None:
    value = record.get(name)
    if value in (None, ""):
        if required:
            raise FieldError(name, _("This field is required."))
        return None
    if isinstance(value, dt.datetime):
        parsed = value
    elif isinstance(value, str):
        try:
            parsed = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            raise FieldError(
                name, _("Not a date and time: use ISO 8601, e.g. 2026-03-02T09:30:00+08:00.")
            ) from None
    else:
        raise FieldError(
            name, _("Not a date and time: use ISO 8601, e.g. 2026-03-02T09:30:00+08:00.")
        )
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise FieldError(name, _("Add the UTC offset, e.g. 2026-03-02T09:30:00+08:00."))
    if not 1970 <= parsed.year <= 2199:
        raise FieldError(name, _("Choose a date between 1970 and 2199."))
    return parsed.astimezone(dt.UTC)


def day(record: dict, name: str) -> dt.date | None:
    value = record.get(name)
    if value in (None, ""):
        return None
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    try:
        parsed = dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise FieldError(name, _("Not a date: use YYYY-MM-DD.")) from None
    if not 1970 <= parsed.year <= 2199:
        raise FieldError(name, _("Choose a date between 1970 and 2199."))
    return parsed


def boolean(record: dict, name: str, *, null: bool = False) -> bool | None:
    value = record.get(name)
    if isinstance(value, bool):
        return value
    if value is None or (isinstance(value, str) and not value.strip()):
        return None if null else False
    if isinstance(value, str | int):
        lowered = str(value).strip().lower()
        if lowered in TRUE:
            return True
        if lowered in FALSE:
            return False
    raise FieldError(name, _("Enter true or false."))


@functools.cache
def _values(choices) -> frozenset[str]:
    return frozenset(choices.values)  # `.values` builds a new list on every call


def choice(record: dict, name: str, choices, default: str) -> str:
    value = record.get(name)
    if value in (None, ""):
        return default
    value = str(value).strip()
    if value not in _values(choices):
        raise FieldError(
            name,
            _("Unknown value %(value)s; choose one of: %(choices)s.")
            % {"value": value, "choices": ", ".join(choices.values)},
        )
    return value


def number(record: dict, name: str) -> Decimal:
    value = record.get(name)
    if value in (None, "") or isinstance(value, bool):
        raise FieldError(name, _("This field is required."))
    try:
        parsed = Decimal(str(value).strip())
    except InvalidOperation:
        raise FieldError(name, _("Enter a number.")) from None
    if not parsed.is_finite() or abs(parsed) >= Decimal("1e10"):
        raise FieldError(name, _("Enter a number below 10,000,000,000."))
    return parsed.quantize(Decimal("0.0001"))


def after(name: str, value, start, start_name: str) -> None:
    if value is not None and start is not None and value < start:
        raise FieldError(name, _("This cannot be before %(field)s.") % {"field": start_name})


def iso(value: dt.datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def pauses(record: dict, opened_at: dt.datetime, resolved_at: dt.datetime | None) -> list:
    """[{"start", "end"}] -> merged, sorted, clipped to the ticket; an open pause (no end)
    only on an unresolved ticket."""
    value = record.get("pauses")
    if value in (None, "", []):
        return []
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise FieldError(
                "pauses", _('Pauses must be a JSON list of {"start", "end"}.')
            ) from None
    if not isinstance(value, list) or len(value) > 500:
        raise FieldError("pauses", _('Pauses must be a list of at most 500 {"start", "end"}.'))
    closed, open_starts = [], []
    for i, item in enumerate(value, start=1):
        if not isinstance(item, dict):
            raise FieldError("pauses", _('Pause %(n)s must be {"start", "end"}.') % {"n": i})
        try:
            start = instant(item, "start", required=True)
            end = instant(item, "end")
        except FieldError as error:
            raise FieldError(
                "pauses", _("Pause %(n)s: %(error)s") % {"n": i, "error": error.message}
            ) from None
        if end is None:
            if resolved_at is not None:
                raise FieldError(
                    "pauses", _("Pause %(n)s has no end but the ticket is resolved.") % {"n": i}
                )
            open_starts.append(start)
        elif end < start:
            raise FieldError("pauses", _("Pause %(n)s ends before it starts.") % {"n": i})
        else:
            closed.append((start, end))
    merged = merge_pauses(closed, opened_at, resolved_at)
    out = [[s.isoformat(), e.isoformat()] for s, e in merged]
    if open_starts:
        begin = max(min(open_starts), opened_at)
        # Closed pauses from the open one's start on are inside it.
        kept = [p for p in merged if p[1] < begin]
        out = [[s.isoformat(), e.isoformat()] for s, e in kept]
        out.append([begin.isoformat(), None])
    return out


# What json.dumps(values, sort_keys=True, default=str) builds anew on every call. The text
# hashed must stay byte for byte the same: stored hashes decide what a re-send changes.
_HASH_ENCODER = json.JSONEncoder(sort_keys=True, default=str)


def content_hash(values: dict) -> str:
    return hashlib.sha256(_HASH_ENCODER.encode(values).encode()).hexdigest()


def parse_ticket(record: dict, terms) -> dict:
    opened = instant(record, "opened_at", required=True)
    first = instant(record, "first_response_at")
    workaround = instant(record, "workaround_at")
    resolved = instant(record, "resolved_at")
    after("first_response_at", first, opened, "opened_at")
    after("workaround_at", workaround, opened, "opened_at")
    after("resolved_at", resolved, opened, "opened_at")
    tier = text(record, "priority", required=True, max_length=2).upper()
    if tier not in terms.all_tier_codes:
        raise FieldError(
            "priority",
            _("Unknown priority tier %(tier)s for %(ref)s; it has: %(codes)s.")
            % {
                "tier": tier,
                "ref": terms.reference,
                "codes": ", ".join(sorted(terms.all_tier_codes)) or "-",
            },
        )
    return {
        "tier_code": tier,
        "kind": choice(record, "kind", TicketKind, TicketKind.INCIDENT),
        "category": text(record, "category", max_length=100),
        "opened_at": opened,
        "first_response_at": first,
        "workaround_at": workaround,
        "resolved_at": resolved,
        "first_contact_resolved": boolean(record, "first_contact_resolved"),
        "escalated": boolean(record, "escalated"),
        "recurrence_of": text(record, "recurrence_of", max_length=100),
        "pauses": pauses(record, opened, resolved),
    }


def parse_delivery(record: dict, terms) -> dict:
    due_at = instant(record, "due_at", required=True)
    return {
        "name": text(record, "name", required=True),
        "due_at": due_at,
        "delivered_at": instant(record, "delivered_at"),
        "error_free": boolean(record, "error_free", null=True),
    }


def parse_outage(record: dict, terms) -> dict:
    start = instant(record, "start", required=True)
    end = instant(record, "end")
    if end is not None and end < start:
        raise FieldError("end", _("The end cannot be before the start."))
    exclusion = choice(record, "exclusion", OutageExclusion, OutageExclusion.NONE)
    reason = text(record, "exclusion_reason", max_length=2000)
    if exclusion != OutageExclusion.NONE and not reason:
        raise FieldError("exclusion_reason", _("Give the reason for the exclusion."))
    planned = boolean(record, "planned")
    announced = instant(record, "announced_at")
    if exclusion == OutageExclusion.PLANNED_MAINTENANCE and not planned:
        raise FieldError("planned", _("Planned maintenance must be marked planned."))
    return {
        "service": text(record, "service"),
        "started_at": start,
        "ended_at": end,
        "planned": planned,
        "announced_at": announced,
        "exclusion": exclusion,
        "exclusion_reason": reason,
    }


def parse_sample(record: dict, terms) -> dict:
    metric = text(record, "metric", required=True)
    if metric not in terms.metric_names:
        raise FieldError(
            "metric",
            _("%(ref)s has no metric named %(name)s.") % {"ref": terms.reference, "name": metric},
        )
    period_start = day(record, "period_start")
    measured_at = instant(record, "measured_at")
    if period_start is None and measured_at is None:
        raise FieldError("period_start", _("Give period_start or measured_at."))
    if period_start is not None and period_start.day != 1:
        raise FieldError("period_start", _("A period starts on the first day of a month."))
    n = record.get("n", 1)
    if n in (None, ""):
        n = 1
    try:
        n = int(n)
    except (TypeError, ValueError):
        raise FieldError("n", _("Enter a whole number from 1.")) from None
    if n < 1 or isinstance(record.get("n"), bool):
        raise FieldError("n", _("Enter a whole number from 1."))
    return {
        "metric_name": metric,
        "period_start": period_start,
        "measured_at": measured_at,
        "value": number(record, "value"),
        "weight": n,
    }


PARSERS = {
    "tickets": parse_ticket,
    "deliveries": parse_delivery,
    "outages": parse_outage,
    "samples": parse_sample,
}


def default_external_id(kind: str, record: dict) -> str:
    """Samples may omit external_id: one value per metric and period (or instant)."""
    if kind == "samples":
        when = record.get("period_start") or record.get("measured_at") or ""
        return f"{str(record.get('metric', '')).strip()}@{str(when).strip()}"[:100]
    return ""
