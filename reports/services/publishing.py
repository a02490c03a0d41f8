"""Publishing: a frozen snapshot per agreement family, period and revision (decision 010).

A published row never changes (no update path here; the trigger of migration 0002 refuses
any update or delete in the database). Republishing inserts revision n + 1 with a reason.
Revisions of one (family, period) are numbered under a transaction-level advisory lock, and
the unique constraint backs it up; the schedule's publication is idempotent.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from agreements.choices import MeasurementPeriod
from agreements.selectors import IN_FORCE_STATUSES
from metrics.periods import agreement_time_zone, bounds, period_end
from metrics.periods import period_start as first_day

from .. import snapshot as snapshots
from ..models import Report

FROZEN_CONSTRAINT = "report_frozen"


def _refuse(field: str, message: str, code: str) -> ValidationError:
    return ValidationError({field: ValidationError(message, code=code)})


REASON_MAX = 2000


def _lock(tenant_id: int, family, period_kind: str, start: dt.date) -> None:
    """Serialise publications of one (tenant, family, period) until the transaction ends."""
    with connection.cursor() as cur:
        cur.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))",
            [f"reports.publish:{tenant_id}:{family}:{period_kind}:{start.isoformat()}"],
        )


def check_period(agreement, period_kind: str, period_start: dt.date, now=None) -> None:
    """A report is published for a whole period that has ended, of a version in force."""
    if period_kind not in MeasurementPeriod.values:
        raise _refuse("period", _("Unknown period."), "period")
    if first_day(period_start, period_kind) != period_start:
        raise _refuse("period", _("Not the first day of a period."), "period")
    now = now or timezone.now()
    _start_at, end_at = bounds(period_start, period_kind, agreement_time_zone(agreement))
    if end_at > now:
        raise _refuse(
            "period", _("This period has not ended yet; publish it once it is over."), "period_open"
        )


def publish(
    agreement,
    period_kind: str,
    period_start: dt.date,
    *,
    user=None,
    reason: str = "",
    scheduled: bool = False,
    now=None,
) -> Report:
    """Publish the report of the agreement's family for the period and return it.

    First publication: revision 1. Again (a correction): revision last + 1, `reason`
    required. `scheduled=True` (the dispatcher): returns the existing revision 1 if there is
    one, so a repeated or concurrent run publishes once."""
    now = now or timezone.now()
    reason = (reason or "").strip()
    if len(reason) > REASON_MAX:
        raise _refuse("reason", _("At most %(n)d characters.") % {"n": REASON_MAX}, "max_length")
    check_period(agreement, period_kind, period_start, now)
    end = period_end(period_start, period_kind)
    family, tenant_id = agreement.family, agreement.tenant_id

    def existing():
        return Report.objects.filter(
            family=family, period_kind=period_kind, period_start=period_start
        )

    if scheduled:
        found = existing().filter(revision=1).first()
        if found is not None:
            return found
    elif existing().exists() and not reason:
        raise _refuse(
            "reason",
            _("Say why the report is published again (a new revision)."),
            "reason_required",
        )
    version = snapshots.version_in_force(agreement, period_start, end)
    if version.status not in IN_FORCE_STATUSES:
        raise _refuse(
            "period", _("No version of this agreement was in force in this period."), "not_in_force"
        )
    data = snapshots.build(version, period_kind, period_start, now=now)
    with transaction.atomic():
        _lock(tenant_id, family, period_kind, period_start)
        last = existing().aggregate(last=Max("revision"))["last"] or 0
        if scheduled and last:
            return existing().get(revision=1)
        if last and not reason:
            raise _refuse(
                "reason",
                _("Say why the report is published again (a new revision)."),
                "reason_required",
            )
        return Report.objects.create(
            tenant_id=tenant_id,
            family=family,
            agreement=version,
            period_kind=period_kind,
            period_start=period_start,
            period_end=end,
            revision=last + 1,
            health=data["health"],
            snapshot=data,
            reason=reason,
            published_at=now,
            published_by=user if getattr(user, "is_authenticated", False) else None,
        )


# ---------------------------------------------------------------------------
# The difference between two revisions

IGNORED = {"generated_at"}
# The key that names an item of a list, so items are matched by identity, not position.
LIST_KEYS = ("name", "metric", "external_id", "start", "tier", "kind", "code", "term", "id")


def _item_key(item, index: int) -> str:
    if isinstance(item, dict):
        for key in LIST_KEYS:
            if key in item and item[key] not in (None, ""):
                return str(item[key])
    return str(index)


def flatten(value, path: str = "") -> dict:
    """{"metrics[Response].value": "95.5", ...}: leaves of the snapshot by path, in order."""
    out: dict = {}
    if isinstance(value, dict):
        for key, item in value.items():
            if not path and key in IGNORED:
                continue
            out.update(flatten(item, f"{path}.{key}" if path else str(key)))
    elif isinstance(value, list):
        if not value:
            out[path] = []
        seen: dict = {}
        for index, item in enumerate(value):
            key = _item_key(item, index)
            seen[key] = seen.get(key, 0) + 1
            if seen[key] > 1:
                key = f"{key}#{seen[key]}"
            out.update(flatten(item, f"{path}[{key}]"))
    else:
        out[path] = value
    return out


def diff(old: Report | dict, new: Report | dict) -> list[dict]:
    """The indicators that differ between two revisions: [{path, section, old, new, change:
    added|removed|changed}], in the order of the newer snapshot (paths only in the older one
    after them)."""
    a = flatten(old.snapshot if isinstance(old, Report) else old)
    b = flatten(new.snapshot if isinstance(new, Report) else new)
    paths = list(b) + [p for p in a if p not in b]
    missing = object()
    out = []
    for path in paths:
        before, after = a.get(path, missing), b.get(path, missing)
        if before == after:
            continue
        out.append(
            {
                "path": path,
                "section": path.split(".")[0].split("[")[0],
                "old": None if before is missing else before,
                "new": None if after is missing else after,
                "change": "added"
                if before is missing
                else "removed"
                if after is missing
                else "changed",
            }
        )
    return out
