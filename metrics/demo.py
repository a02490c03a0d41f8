"""Demo measurement data (`manage.py seed_demo`, after agreements.demo): 2026 so far for the
demo agreements, through the same ingest path as the API. Idempotent: records are
identified by external id, so a second run stores nothing new (only the live tickets move).

What it shows: SLA-2026-001's response time breaches in March-May (three in a row: an
improvement action opens), availability breaches in August (a credit is owed; one planned
maintenance counts because it was announced too late, another is excluded), a quarterly
satisfaction score with a warning in Q2; the hotline's first-contact resolution misses in
September; a few P1 tickets are running right now, close to their due time.
"""

from __future__ import annotations

import datetime as dt
import random
from zoneinfo import ZoneInfo

from django.utils import timezone

from agreements.models import Agreement

from .services.compliance import mark_periods, recompute_stale
from .services.ingest import ingest_records

CN = ZoneInfo("Asia/Shanghai")
SERVER = "SLA-2026-001"
HOTLINE = "SLA-2026-002"
BAD_RESPONSE_MONTHS = {3, 4, 5}
OUTAGE_MONTH = 8
BAD_FCR_MONTH = 9


def seed(tenant) -> None:
    refs = set(
        Agreement.objects.filter(reference__in=[SERVER, HOTLINE]).values_list(
            "reference", flat=True
        )
    )
    if refs != {SERVER, HOTLINE}:
        return
    now = timezone.now()
    today = now.astimezone(CN).date()
    rng = random.Random(2026)
    months = [m for m in range(1, 13) if dt.date(2026, m, 1) <= today]
    tickets, outages, samples = [], [], []
    for month in months:
        tickets += _server_tickets(rng, month, now)
        tickets += _hotline_tickets(rng, month, now)
        outages += _outages(month, now)
    tickets += _live_tickets(now)
    for quarter, value, n in ((1, "4.6", 38), (4, "4.3", 41), (7, "4.7", 40)):
        if dt.date(2026, quarter, 1) <= today:
            samples.append(
                {
                    "agreement": SERVER,
                    "metric": "客户满意度 Satisfaction",
                    "period_start": f"2026-{quarter:02d}-01",
                    "value": value,
                    "n": n,
                }
            )
            samples.append(
                {
                    "agreement": HOTLINE,
                    "metric": "客户满意度 Satisfaction",
                    "period_start": f"2026-{quarter:02d}-01",
                    "value": value,
                    "n": n,
                }
            )
    for kind, records in (("tickets", tickets), ("outages", outages), ("samples", samples)):
        result = ingest_records(kind, records, source="demo")
        if result.errors:
            raise RuntimeError(f"demo {kind}: {result.errors[:3]}")
    families = set(Agreement.objects.filter(reference__in=refs).values_list("family", flat=True))
    mark_periods(tenant.pk, families, periods=[dt.date(2026, m, 1) for m in months])
    recompute_stale(tenant.pk, now=now)


def _at(month: int, day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=CN)


def _workday(rng: random.Random, month: int) -> int:
    while True:
        day = rng.randint(1, 28)
        if dt.date(2026, month, day).weekday() < 5:
            return day


def _server_tickets(rng, month: int, now) -> list[dict]:
    """P1 runs 24x7, P2 in business hours; response target 60 (45 from July) / minimum 120."""
    out = []
    bad = month in BAD_RESPONSE_MONTHS
    for n in range(30):
        tier = "P1" if n % 3 == 0 else rng.choice(["P2", "P3", "P4"])
        opened = _at(month, _workday(rng, month), rng.randint(9, 16), rng.randint(0, 59))
        late_share = 0.25 if bad else 0.02
        response = rng.randint(130, 200) if rng.random() < late_share else rng.randint(5, 40)
        resolved = opened + dt.timedelta(minutes=response + rng.randint(60, 600))
        if resolved > now:
            continue
        out.append(
            {
                "agreement": SERVER,
                "external_id": f"INC-{month:02d}{n:03d}",
                "priority": tier,
                "kind": "incident",
                "category": rng.choice(["server", "database", "network"]),
                "opened_at": opened.isoformat(),
                "first_response_at": (opened + dt.timedelta(minutes=response)).isoformat(),
                "resolved_at": resolved.isoformat(),
                "first_contact_resolved": rng.random() < 0.8,
            }
        )
    return out


def _hotline_tickets(rng, month: int, now) -> list[dict]:
    out = []
    share = 0.68 if month == BAD_FCR_MONTH else 0.9
    for n in range(40):
        opened = _at(month, _workday(rng, month), rng.randint(9, 17), rng.randint(0, 59))
        resolved = opened + dt.timedelta(minutes=rng.randint(5, 240))
        if resolved > now:
            continue
        out.append(
            {
                "agreement": HOTLINE,
                "external_id": f"CALL-{month:02d}{n:03d}",
                "priority": rng.choice(["P3", "P4"]),
                "kind": rng.choice(["question", "service_request"]),
                "opened_at": opened.isoformat(),
                "first_response_at": (
                    opened + dt.timedelta(minutes=rng.randint(1, 20))
                ).isoformat(),
                "resolved_at": resolved.isoformat(),
                "first_contact_resolved": rng.random() < share,
            }
        )
    return out


def _outages(month: int, now) -> list[dict]:
    out = []
    if month == OUTAGE_MONTH:
        out.append(
            {  # 6 working hours down: availability far below 99 %
                "agreement": SERVER,
                "external_id": "OUT-2026-08-A",
                "service": "ERP",
                "start": _at(8, 12, 10).isoformat(),
                "end": _at(8, 12, 17).isoformat(),
            }
        )
        out.append(
            {  # announced only 6 h ahead: not excluded
                "agreement": SERVER,
                "external_id": "MNT-2026-08",
                "service": "ERP",
                "planned": True,
                "start": _at(8, 19, 16).isoformat(),
                "end": _at(8, 19, 18).isoformat(),
                "announced_at": _at(8, 19, 10).isoformat(),
                "exclusion": "planned_maintenance",
                "exclusion_reason": "Emergency database patch",
            }
        )
    else:
        out.append(
            {  # a short glitch
                "agreement": SERVER,
                "external_id": f"OUT-2026-{month:02d}",
                "service": "ERP",
                "start": _at(month, 10, 14).isoformat(),
                "end": _at(month, 10, 14, 12).isoformat(),
            }
        )
        out.append(
            {  # announced 3 days ahead: excluded
                "agreement": SERVER,
                "external_id": f"MNT-2026-{month:02d}",
                "service": "ERP",
                "planned": True,
                "start": _at(month, 15, 10).isoformat(),
                "end": _at(month, 15, 12).isoformat(),
                "announced_at": _at(month, 12, 10).isoformat(),
                "exclusion": "planned_maintenance",
                "exclusion_reason": "Monthly patching",
            }
        )
    return [o for o in out if dt.datetime.fromisoformat(o["start"]) < now]


def _live_tickets(now) -> list[dict]:
    """P1 (24x7) tickets opened minutes ago and not answered yet: due soon or overdue."""
    return [
        {
            "agreement": SERVER,
            "external_id": f"LIVE-{n}",
            "priority": "P1",
            "kind": "incident",
            "category": "server",
            "opened_at": (now - dt.timedelta(minutes=minutes))
            .replace(second=0, microsecond=0)
            .isoformat(),
        }
        for n, minutes in enumerate((35, 48, 52, 95))
    ]
