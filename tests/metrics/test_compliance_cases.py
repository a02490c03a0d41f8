"""Hand-computed cases (REQUIREMENTS section 2): every number below is worked out by hand
in the comments. Calendar: Mon-Fri 09:00-12:00 + 13:00-18:00 Asia/Shanghai with CN public
holidays; P2/P3 use it, P1 runs 24x7. Response: target 60 / minimum 120 working minutes,
goal 95 %. Resolution: 240 / 480, goal 100 %."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from agreements.choices import MetricKind, TierCode
from agreements.models import BusinessCalendar
from metrics.choices import ClockState, Status
from metrics.models import ComplianceResult, CreditResult, ImprovementAction, TicketClock
from metrics.services import compliance
from metrics.services.compliance import mark_periods, recompute_stale
from metrics.services.ingest import ingest_records
from metrics.services.terms import load_terms
from tests.factories.metrics import ComplianceResultFactory

from .conftest import AVAILABILITY, RESPONSE, cn, make_active

pytestmark = pytest.mark.django_db
MARCH = dt.date(2026, 3, 1)
APRIL = dt.date(2026, 4, 1)


def t(n, opened, response=None, resolved=None, **fields):
    return {
        "agreement": fields.pop("agreement", "SLA-M1"),
        "external_id": f"T-{n}",
        "priority": fields.pop("priority", "P2"),
        "opened_at": opened.isoformat(),
        "first_response_at": response.isoformat() if response else None,
        "resolved_at": resolved.isoformat() if resolved else None,
        **fields,
    }


def ingest(kind, records, **kwargs):
    result = ingest_records(kind, records, **kwargs)
    assert result.committed and not result.errors, result.errors
    return result


def evaluate(tenant, now):
    return recompute_stale(tenant.pk, now=now)


def result(name, period=MARCH):
    return ComplianceResult.objects.get(metric_name=name, period_start=period)


def clock(external_id, name="Response"):
    return TicketClock.objects.get(ticket__external_id=external_id, metric__name=name)


def test_weekend_and_holiday(agreement, scope_a):
    # Fri 2026-04-03 17:30: 30 min on Friday; Sat, Sun off; Mon 04-06 is Qingming (observed):
    # the remaining 30 min run Tue 09:00-09:30.
    ingest("tickets", [t(1, cn(2026, 4, 3, 17, 30), response=cn(2026, 4, 7, 9, 30))])
    c = clock("T-1")
    assert c.due_target_at == cn(2026, 4, 7, 9, 30)
    # 120 min: Fri 30 + Tue 09:00-10:30.
    assert c.due_minimum_at == cn(2026, 4, 7, 10, 30)
    assert c.elapsed == dt.timedelta(minutes=60) and c.state == ClockState.WITHIN_TARGET


def test_lunch_break(agreement, scope_a):
    # 11:30 -> 13:45 is 2 h 15 min wall clock but 30 + 45 = 75 working minutes.
    ingest("tickets", [t(1, cn(2026, 3, 3, 11, 30), response=cn(2026, 3, 3, 13, 45))])
    c = clock("T-1")
    assert c.elapsed == dt.timedelta(minutes=75) and c.state == ClockState.WITHIN_MINIMUM
    assert c.due_target_at == cn(2026, 3, 3, 13, 30)


def test_pause_moves_due_and_is_not_counted(agreement, scope_a):
    # Opened 09:00, waiting on the customer 09:20-10:00 (40 min), answered 10:30:
    # 90 wall minutes - 40 paused = 50 working minutes; due at 10:40 instead of 10:00.
    pauses = [{"start": cn(2026, 3, 3, 9, 20).isoformat(), "end": cn(2026, 3, 3, 10).isoformat()}]
    ingest("tickets", [t(1, cn(2026, 3, 3, 9), response=cn(2026, 3, 3, 10, 30), pauses=pauses)])
    c = clock("T-1")
    assert c.due_target_at == cn(2026, 3, 3, 10, 40)
    assert c.elapsed == dt.timedelta(minutes=50) and c.paused == dt.timedelta(minutes=40)
    assert c.state == ClockState.WITHIN_TARGET


def test_24x7_over_a_dst_change(tenant_a, scope_a):
    # Berlin 24x7: Sat 2026-03-28 12:00 CET (11:00 UTC) + 1,440 minutes = Sun 11:00 UTC,
    # which is 13:00 CEST on the wall clock (the night lost an hour).
    berlin = BusinessCalendar.objects.create(
        name="Berlin 24x7", time_zone="Europe/Berlin", is_24x7=True
    )
    metric = {
        "name": "P2 resolution",
        "kind": MetricKind.RESOLUTION_TIME,
        "target": Decimal("1440"),
        "minimum_acceptable": Decimal("2880"),
        "tier_codes": [TierCode.P2],
    }
    make_active(tenant_a, "SLA-DE", metrics=[metric], default_calendar=berlin)
    opened = dt.datetime(2026, 3, 28, 11, tzinfo=dt.UTC)
    resolved = dt.datetime(2026, 3, 29, 11, tzinfo=dt.UTC)
    ingest("tickets", [t(1, opened, resolved=resolved, agreement="SLA-DE")])
    c = clock("T-1", "P2 resolution")
    assert c.due_target_at == resolved
    assert c.elapsed == dt.timedelta(hours=24) and c.state == ClockState.WITHIN_TARGET


def test_exactly_at_target_counts_as_within(agreement, scope_a):
    ingest(
        "tickets",
        [
            t(1, cn(2026, 3, 3, 9), response=cn(2026, 3, 3, 10)),  # 60 = target
            t(2, cn(2026, 3, 3, 9), response=cn(2026, 3, 3, 11)),  # 120 = minimum
            t(3, cn(2026, 3, 3, 9), response=cn(2026, 3, 3, 11, 0, 1)),  # one second over
        ],
    )
    assert [clock(f"T-{n}").state for n in (1, 2, 3)] == [
        ClockState.WITHIN_TARGET,
        ClockState.WITHIN_MINIMUM,
        ClockState.MISSED,
    ]


def test_running_at_period_end_before_and_after_minimum_due(agreement, scope_a, tenant_a):
    ingest(
        "tickets",
        [
            # Tue 03-31 09:00, unanswered: minimum due 11:00 the same day -> missed in March.
            t(1, cn(2026, 3, 31, 9)),
            # Tue 03-31 17:00: minimum due Wed 04-01 10:00 -> waits for April.
            t(2, cn(2026, 3, 31, 17)),
        ],
    )
    assert clock("T-1").period_start == MARCH and clock("T-2").period_start == APRIL
    evaluate(tenant_a, now=cn(2026, 4, 1, 0, 30))
    march = result("Response")
    assert (march.count_all, march.count_within_target, march.status) == (1, 0, Status.BREACHED)
    # T-1 answered later still counts once, in March, as missed; T-2 answered in time in April.
    ingest(
        "tickets",
        [
            t(1, cn(2026, 3, 31, 9), response=cn(2026, 4, 1, 9)),
            t(2, cn(2026, 3, 31, 17), response=cn(2026, 4, 1, 9)),
        ],
    )
    evaluate(tenant_a, now=cn(2026, 5, 1, 1))
    assert clock("T-1").period_start == MARCH and clock("T-1").state == ClockState.MISSED
    march, april = result("Response"), result("Response", APRIL)
    assert (march.count_all, march.status) == (1, Status.BREACHED)
    assert (april.count_all, april.count_within_target, april.status) == (1, 1, Status.MET)


def test_no_data_is_never_met(agreement, scope_a, tenant_a):
    mark_periods(tenant_a.pk, periods=[MARCH])
    evaluate(tenant_a, now=cn(2026, 4, 2, 0, 0))
    r = result("Response")
    assert r.status == Status.NO_DATA and r.count_all == 0 and r.compliance_rate is None


def test_late_correction_changes_the_status(agreement, scope_a, tenant_a):
    tickets = [t(n, cn(2026, 3, 3, 9), response=cn(2026, 3, 3, 9, 30)) for n in range(20)]
    ingest("tickets", tickets)
    evaluate(tenant_a, now=cn(2026, 4, 2, 0, 0))
    assert result("Response").status == Status.MET  # 20/20
    # Two answers corrected to 90 minutes: 18/20 = 90 % < 95 % within target, 20/20 within
    # the minimum -> warning.
    ingest("tickets", [t(n, cn(2026, 3, 3, 9), response=cn(2026, 3, 3, 10, 30)) for n in (0, 1)])
    evaluate(tenant_a, now=cn(2026, 4, 2, 0, 0))
    r = result("Response")
    assert (r.count_all, r.count_within_target, r.count_within_minimum) == (20, 18, 20)
    assert r.compliance_rate == Decimal("90.0000") and r.status == Status.WARNING


def test_planned_outage_with_too_short_notice_is_not_excluded(agreement, scope_a, tenant_a):
    ingest(
        "outages",
        [
            {  # 2 working hours, announced only 12 h ahead (24 h needed): counts.
                "agreement": "SLA-M1",
                "external_id": "O1",
                "service": "ERP",
                "start": cn(2026, 3, 10, 10).isoformat(),
                "end": cn(2026, 3, 10, 12).isoformat(),
                "planned": True,
                "announced_at": cn(2026, 3, 9, 22).isoformat(),
                "exclusion": "planned_maintenance",
                "exclusion_reason": "Patch window",
            },
            {  # Announced 48 h ahead: excluded.
                "agreement": "SLA-M1",
                "external_id": "O2",
                "start": cn(2026, 3, 12, 10).isoformat(),
                "end": cn(2026, 3, 12, 11).isoformat(),
                "planned": True,
                "announced_at": cn(2026, 3, 10, 10).isoformat(),
                "exclusion": "planned_maintenance",
                "exclusion_reason": "Upgrade",
            },
            {  # Force majeure: excluded.
                "agreement": "SLA-M1",
                "external_id": "O3",
                "start": cn(2026, 3, 13, 9).isoformat(),
                "end": cn(2026, 3, 13, 18).isoformat(),
                "exclusion": "force_majeure",
                "exclusion_reason": "Typhoon",
            },
            {  # At night, outside the service window: 0 window minutes.
                "agreement": "SLA-M1",
                "external_id": "O4",
                "start": cn(2026, 3, 14, 1).isoformat(),
                "end": cn(2026, 3, 14, 3).isoformat(),
            },
        ],
    )
    evaluate(tenant_a, now=cn(2026, 4, 2, 0, 0))
    r = result("Availability")
    # March 2026: 22 weekdays, no CN holiday: 22 x 8 h = 10,560 window minutes; 120 count.
    # (10,560 - 120) / 10,560 = 98.863636...% -> below the 99 % minimum: breached.
    assert r.details["window_minutes"] == "10560.0000"
    assert r.details["downtime_minutes"] == "120.0000"
    assert r.value == Decimal("98.8636") and r.status == Status.BREACHED
    assert [x["external_id"] for x in r.exclusions] == ["O2", "O3"]
    reasons = {x["external_id"]: x["reason"] for x in r.details["outages"]}
    assert "less than the 24 h notice" in reasons["O1"] and "announced 12 h ahead" in reasons["O1"]


def test_credits_above_the_cap(tenant_a, scope_a):
    # 5 % per breached metric, cap 20 %, fee 20,000: 5 breached = 25 % -> capped to 20 % = 4,000.
    metrics = [
        {
            "name": f"Availability {n}",
            "kind": MetricKind.AVAILABILITY_PERCENT,
            "target": Decimal("99.5"),
            "minimum_acceptable": Decimal("99"),
        }
        for n in range(5)
    ]
    agreement = make_active(tenant_a, "SLA-CAP", metrics=metrics, credit_cap_percent=Decimal("20"))
    for metric in agreement.metrics.all():
        ComplianceResultFactory(metric=metric, status=Status.BREACHED, is_open=False)
    terms = load_terms([agreement.family])[agreement.family]
    compliance.update_credits(terms, [MARCH])
    credit = CreditResult.objects.get(period_start=MARCH)
    assert credit.breached_metrics == 5 and credit.percent == Decimal("20")
    assert credit.amount == Decimal("4000.00") and credit.cap_applied and credit.currency == "CNY"
    assert credit.how["rule"] == "flat" and len(credit.how["breached"]) == 5


def test_tiered_credits(tenant_a, scope_a):
    tiers = [{"breached_metrics": 1, "percent": 3}, {"breached_metrics": 2, "percent": 8}]
    metrics = [
        {
            "name": f"A{n}",
            "kind": MetricKind.AVAILABILITY_PERCENT,
            "target": Decimal("99.5"),
            "minimum_acceptable": Decimal("99"),
        }
        for n in range(3)
    ]
    agreement = make_active(tenant_a, "SLA-TIER", metrics=metrics, credit_tiers=tiers)
    m = list(agreement.metrics.all())
    ComplianceResultFactory(metric=m[0], status=Status.BREACHED)
    ComplianceResultFactory(metric=m[1], status=Status.BREACHED)
    ComplianceResultFactory(metric=m[2], status=Status.WARNING)  # warnings never cost credits
    compliance.update_credits(load_terms([agreement.family])[agreement.family], [MARCH])
    credit = CreditResult.objects.get()
    assert (credit.percent, credit.amount, credit.cap_applied) == (
        Decimal("8"),
        Decimal("1600.00"),
        False,
    )


def _series(metric, statuses):
    start = dt.date(2026, 1, 1)
    for status in statuses:
        end = dt.date(start.year + start.month // 12, start.month % 12 + 1, 1)
        ComplianceResultFactory(
            metric=metric, status=status, period_start=start, period_end=end, is_open=False
        )
        start = end


def test_escalation_after_three_breaches_once(tenant_a, scope_a):
    agreement = make_active(tenant_a, "SLA-ESC", metrics=[AVAILABILITY])
    metric = agreement.metrics.get()
    _series(
        metric, [Status.MET, Status.BREACHED, Status.BREACHED, Status.BREACHED, Status.BREACHED]
    )
    terms = load_terms([agreement.family])[agreement.family]
    created = compliance.update_escalations(terms, metric.name)
    assert len(created) == 1
    action = ImprovementAction.objects.get()
    assert action.streak_start == dt.date(2026, 2, 1)
    assert action.triggered_by == ["2026-02-01", "2026-03-01", "2026-04-01"]
    # Due 15 days after the third breached period ends (2026-05-01).
    assert action.due_date == dt.date(2026, 5, 16)
    assert compliance.update_escalations(terms, metric.name) == []  # a recompute: never again
    assert ImprovementAction.objects.count() == 1


def test_no_escalation_after_breach_breach_met_breach(tenant_a, scope_a):
    agreement = make_active(tenant_a, "SLA-ESC2", metrics=[AVAILABILITY])
    metric = agreement.metrics.get()
    _series(metric, [Status.BREACHED, Status.BREACHED, Status.MET, Status.BREACHED])
    terms = load_terms([agreement.family])[agreement.family]
    assert compliance.update_escalations(terms, metric.name) == []
    assert not ImprovementAction.objects.exists()


def test_warnings_count_when_the_agreement_says_so(tenant_a, scope_a):
    agreement = make_active(
        tenant_a, "SLA-ESC3", metrics=[AVAILABILITY], escalation_counts_warnings=True
    )
    metric = agreement.metrics.get()
    _series(metric, [Status.WARNING, Status.BREACHED, Status.WARNING])
    terms = load_terms([agreement.family])[agreement.family]
    assert len(compliance.update_escalations(terms, metric.name)) == 1


def test_response_metric_over_complaints_only(tenant_a, scope_a):
    complaint = {**RESPONSE, "name": "Complaint handling", "ticket_kinds": ["complaint"]}
    make_active(tenant_a, "SLA-CPL", metrics=[complaint])
    ingest(
        "tickets",
        [
            t(
                1,
                cn(2026, 3, 3, 9),
                response=cn(2026, 3, 3, 9, 30),
                agreement="SLA-CPL",
                kind="complaint",
            ),
            t(2, cn(2026, 3, 3, 9), response=cn(2026, 3, 3, 9, 30), agreement="SLA-CPL"),
        ],
    )
    assert list(TicketClock.objects.values_list("ticket__external_id", flat=True)) == ["T-1"]


def test_first_contact_resolution_and_deliveries(tenant_a, scope_a):
    metrics = [
        {
            "name": "FCR",
            "kind": MetricKind.FIRST_CONTACT_RESOLUTION_RATE,
            "target": Decimal("85"),
            "minimum_acceptable": Decimal("75"),
            "tier_codes": ["P2"],
        },
        {
            "name": "On time",
            "kind": MetricKind.ON_TIME_DELIVERY_RATE,
            "target": Decimal("100"),
            "minimum_acceptable": Decimal("95"),
        },
        {
            "name": "Accuracy",
            "kind": MetricKind.ACCURACY,
            "target": Decimal("100"),
            "minimum_acceptable": Decimal("90"),
        },
    ]
    make_active(tenant_a, "SLA-FCR", metrics=metrics)
    # 5 resolved in March, 4 at first contact = 80 % -> warning (75 <= 80 < 85). The one
    # resolved in April does not count in March.
    tickets = [
        t(
            n,
            cn(2026, 3, 3, 9),
            resolved=cn(2026, 3, 3, 10),
            agreement="SLA-FCR",
            first_contact_resolved=n < 4,
        )
        for n in range(5)
    ] + [
        t(
            9,
            cn(2026, 3, 31, 9),
            resolved=cn(2026, 4, 1, 10),
            agreement="SLA-FCR",
            first_contact_resolved=True,
        )
    ]
    ingest("tickets", tickets)
    # Deliveries due in March: on time, late, never delivered (late at the period's end);
    # one due in April. 1/3 on time -> breached; accuracy: 1 of 2 checked = 50 %.
    d = lambda n, due, delivered, ok: {  # noqa: E731
        "agreement": "SLA-FCR",
        "external_id": f"D{n}",
        "name": f"Report {n}",
        "due_at": due.isoformat(),
        "delivered_at": delivered and delivered.isoformat(),
        "error_free": ok,
    }
    ingest(
        "deliveries",
        [
            d(1, cn(2026, 3, 5, 18), cn(2026, 3, 5, 17), True),
            d(2, cn(2026, 3, 6, 18), cn(2026, 3, 7, 9), False),
            d(3, cn(2026, 3, 20, 18), None, None),
            d(4, cn(2026, 4, 5, 18), None, None),
        ],
    )
    evaluate(tenant_a, now=cn(2026, 4, 2, 0, 0))
    fcr, on_time, accuracy = result("FCR"), result("On time"), result("Accuracy")
    assert (fcr.count_all, fcr.value, fcr.status) == (5, Decimal("80.0000"), Status.WARNING)
    assert (on_time.count_all, on_time.count_within_target) == (3, 1)
    assert on_time.value == Decimal("33.3333") and on_time.status == Status.BREACHED
    assert (accuracy.count_all, accuracy.value, accuracy.status) == (
        2,
        Decimal("50.0000"),
        Status.BREACHED,
    )


def test_availability_of_an_agreement_with_two_services_counts_every_outage(tenant_a):
    """Metric definitions carry no service link, so an availability metric is agreement-wide
    (docs/decisions/008): an outage of either service counts, overlapping ones once, and each
    is listed with its service."""
    from agreements.models import Service
    from slaweb.tenancy.context import tenant_context

    with tenant_context(tenant_a):
        services = [Service.objects.get_or_create(name=n)[0] for n in ("ERP", "Network")]
    make_active(tenant_a, "SLA-2S", metrics=[AVAILABILITY], services=services)
    with tenant_context(tenant_a):
        ingest(
            "outages",
            [
                {  # ERP: 10:00-11:00 on Tuesday 10 March
                    "agreement": "SLA-2S",
                    "external_id": "E1",
                    "service": "ERP",
                    "start": cn(2026, 3, 10, 10).isoformat(),
                    "end": cn(2026, 3, 10, 11).isoformat(),
                },
                {  # Network: 10:30-11:30, overlapping the ERP outage by 30 min
                    "agreement": "SLA-2S",
                    "external_id": "N1",
                    "service": "Network",
                    "start": cn(2026, 3, 10, 10, 30).isoformat(),
                    "end": cn(2026, 3, 10, 11, 30).isoformat(),
                },
                {  # Network alone: 14:00-15:00 on Thursday 12 March
                    "agreement": "SLA-2S",
                    "external_id": "N2",
                    "service": "Network",
                    "start": cn(2026, 3, 12, 14).isoformat(),
                    "end": cn(2026, 3, 12, 15).isoformat(),
                },
            ],
        )
        evaluate(tenant_a, now=cn(2026, 4, 2, 0, 0))
        r = result("Availability")
    # 90 min (10:00-11:30, the overlap once) + 60 min = 150 of 10,560 window minutes.
    assert r.details["downtime_minutes"] == "150.0000"
    assert r.value == Decimal("98.5795")  # (10,560 - 150) / 10,560 = 98.57954...%
    assert r.status == Status.BREACHED
    assert {(o["external_id"], o["service"]) for o in r.details["outages"]} == {
        ("E1", "ERP"),
        ("N1", "Network"),
        ("N2", "Network"),
    }
