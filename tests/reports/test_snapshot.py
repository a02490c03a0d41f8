"""The hand-computed report of tests/reports/scenario.py (every figure worked out there),
checked field by field from the snapshot; query count independent of the records."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import time_machine

from reports import snapshot

from . import scenario

pytestmark = pytest.mark.django_db


@pytest.fixture
def report(scope_a):
    with time_machine.travel(scenario.NOW, tick=False):
        agreement = scenario.build(scope_a)
        yield agreement, snapshot.build(agreement, "month", scenario.MARCH)


def test_header_health_and_counts(report):
    agreement, s = report
    assert json.loads(json.dumps(s)) == s  # plain JSON, nothing translated or lazy
    assert s["schema"] == 1
    assert s["agreement"]["reference"] == "SLA-R1" and s["agreement"]["version"] == 1
    assert s["agreement"]["family"] == str(agreement.family)
    assert s["agreement"]["currency"] == "CNY"
    assert s["agreement"]["time_zone"] == "Asia/Shanghai"
    assert s["period"] == {
        "kind": "month",
        "start": "2026-03-01",
        "end": "2026-04-01",
        "is_open": False,
    }
    assert s["generated_at"] == "2026-04-10T02:00:00+00:00"
    # Both metrics breached in March -> red.
    assert s["health"] == "red"
    assert s["counts"] == {"metrics": 2, "met": 0, "warning": 0, "breached": 2, "no_data": 0}


def test_response_indicator(report):
    _a, s = report
    m = s["metrics"][0]
    assert (m["name"], m["kind"], m["direction"], m["period_kind"]) == (
        "Response",
        "response_time",
        "lower",
        "month",
    )
    assert (m["target"], m["minimum"], m["goal"]) == ("60", "120", "95")
    # 2 of 5 within 60 min (the unanswered P3 counts as missed), 3 of 5 within 120.
    assert (m["count_all"], m["count_within_target"], m["count_within_minimum"]) == (5, 2, 3)
    assert m["value"] == m["compliance_rate"] == "40"
    assert m["status"] == "breached" and m["is_open"] is False
    assert m["previous"] == {"value": "25", "compliance_rate": "25", "status": "breached"}
    assert m["change"] == "15"  # 40 - 25
    assert len(m["history"]) == 12 and m["history"][-1]["start"] == "2026-03-01"
    assert m["history"][0]["start"] == "2025-04-01" and m["history"][0]["status"] == "no_data"
    assert [h["compliance_rate"] for h in m["history"][6:]] == [
        "100",
        "75",
        "100",
        "50",
        "25",
        "40",
    ]
    assert [h["status"] for h in m["history"][6:]] == [
        "met",
        "warning",
        "met",
        "breached",
        "breached",
        "breached",
    ]
    assert m["breach_streak"] == 3  # January, February, March


def test_availability_indicator_and_exclusions(report):
    _a, s = report
    m = s["metrics"][1]
    # (10,560 - 120) / 10,560 window minutes = 98.8636 % < 99 % minimum.
    assert m["value"] == m["compliance_rate"] == "98.8636"
    assert m["status"] == "breached" and m["breach_streak"] == 1
    assert m["previous"]["value"] == "100" and m["change"] == "-1.1364"
    assert [x["external_id"] for x in m["exclusions"]] == ["O-2"]
    assert m["exclusions"][0]["excluded"] is True


def test_breaches_with_cause_and_records(report):
    _a, s = report
    response, availability = s["breaches"]
    assert response["metric"] == "Response" and response["status"] == "breached"
    assert response["cause"] == {
        "code": "late_records",
        "count_all": 5,
        "missed_target": 3,
        "missed_minimum": 2,
        "running_overdue": 1,
        "goal": "95",
    }
    # The three that missed the target, slowest first; the running one last.
    assert [r["external_id"] for r in response["records"]] == [
        "T-202603-4",
        "T-202603-3",
        "T-202603-R",
    ]
    assert response["records_total"] == 3
    assert response["records"][0]["elapsed_minutes"] == "150"
    assert response["records"][0]["state"] == "missed"
    assert response["records"][2]["state"] == "running"
    assert availability["cause"]["code"] == "value_missed"
    assert availability["cause"]["value"] == "98.8636" and availability["cause"]["minimum"] == "99"
    assert [r["external_id"] for r in availability["records"]] == ["O-1"]
    assert availability["records"][0]["window_minutes"] == 120.0
    assert [x["external_id"] for x in availability["exclusions"]] == ["O-2"]


def test_tickets(report):
    _a, s = report
    t = s["tickets"]
    assert t["total"] == 5 and t["resolved"] == 4
    assert t["by_tier"] == [{"tier": "P2", "count": 4}, {"tier": "P3", "count": 1}]
    assert t["by_kind"] == [{"kind": "incident", "count": 5}]
    assert t["unresolved_total"] == 1
    assert t["unresolved"] == [
        {
            "external_id": "T-202603-R",
            "tier": "P3",
            "kind": "incident",
            "category": "",
            "opened_at": "2026-03-20T02:00:00+00:00",
        }
    ]


def test_satisfaction(report):
    _a, s = report
    sat = s["satisfaction"]
    assert (sat["invited"], sat["answered"], sat["response_rate"]) == (4, 2, "50")
    assert sat["overall"] == {"mean": "3.5", "n": 2}  # (4 + 3) / 2
    assert sat["csat"] == {"value": "50", "n": 2}  # one of two gave 4-5
    assert sat["distribution"] == {"1": 0, "2": 0, "3": 1, "4": 1, "5": 0}
    assert [t["mean"] for t in sat["trend"][6:]] == ["4.5", "4", "4", "3.5", "3", "3.5"]
    assert all(t["mean"] is None for t in sat["trend"][:6])


def test_analysis_correlation_and_hint(report):
    _a, s = report
    response, availability = s["analysis"]["correlations"]
    # Response rates 100, 75, 100, 50, 25, 40 -> ranks 5.5, 4, 5.5, 3, 1, 2;
    # satisfaction 4.5, 4, 4, 3.5, 3, 3.5 -> ranks 6, 4.5, 4.5, 2.5, 1, 2.5.
    # Pearson of the ranks: 15.75 / sqrt(17 x 16.5) = 0.94041...
    assert response == {
        "metric": "Response",
        "measure": "compliance_rate",
        "rho": "0.9404",
        "n": 6,
        "enough": True,
        "strength": "strong",
        "direction": "positive",
    }
    # Availability 100 x 5, 98.86 -> ranks 4 x 5, 1: 3 / sqrt(7.5 x 16.5) = 0.26968...
    assert availability["rho"] == "0.2697" and availability["strength"] == "weak"
    assert s["analysis"]["min_n"] == 6
    # Response breached 3 months in a row = the agreement's escalation_consecutive_breaches.
    assert s["analysis"]["hint"] == {
        "kind": "improvement_plan",
        "metrics": ["Response"],
        "periods": 3,
    }


def test_actions_and_credits(report):
    _a, s = report
    (action,) = s["actions"]["open"]
    assert action["metric"] == "Response" and action["streak_start"] == "2026-01-01"
    assert action["triggered_by"] == ["2026-01-01", "2026-02-01", "2026-03-01"]
    # Due 15 days (escalation_plan_due_days) after the end of the third month.
    assert action["due_date"] == "2026-04-16" and action["overdue"] is False
    assert s["actions"]["overdue"] == [] and s["actions"]["closed"] == []
    c = s["credits"]
    # 2 breached metrics x 5 % = 10 % of 20,000 = 2,000.00 (cap 20 % not reached).
    assert (c["percent"], c["amount"], c["currency"]) == ("10", "2000.00", "CNY")
    assert (c["cap_percent"], c["cap_applied"], c["breached_metrics"]) == ("20", False, 2)
    assert c["how"]["rule"] == "flat" and c["how"]["breached"] == ["Availability", "Response"]
    assert s["follow_ups"] == {"open": [], "open_total": 0, "overdue": 0}


def test_quarter_combines_the_months(report):
    agreement, _s = report
    with time_machine.travel(scenario.NOW, tick=False):
        q = snapshot.build(agreement, "quarter", dt.date(2026, 1, 1))
    m = q["metrics"][0]
    # January 2/4 + February 1/4 + March 2/5 = 5 of 13 within target.
    assert (m["count_all"], m["count_within_target"], m["count_within_minimum"]) == (13, 5, 6)
    assert m["compliance_rate"] == "38.4615" and m["status"] == "breached"
    # Credits: January 1 breached (5 % = 1,000) + February 1 (1,000) + March 2 (2,000).
    assert q["credits"]["amount"] == "4000.00" and len(q["credits"]["months"]) == 3
    assert [x["amount"] for x in q["credits"]["months"]] == ["1000.00", "1000.00", "2000.00"]
    assert q["credits"]["percent"] is None  # a percent only for a single month
    assert q["tickets"]["total"] == 13


def test_tighten_hint_after_three_good_months(scope_a):
    """Three months >= 95 % with satisfaction >= 4.8 suggest tightening (real data path)."""
    from tests.factories.surveys import (
        AnswerFactory,
        CampaignFactory,
        QuestionFactory,
        QuestionnaireFactory,
        ResponseFactory,
        RoundFactory,
    )
    from tests.metrics.conftest import make_active

    months = scenario.MONTHS[3:]
    with time_machine.travel(scenario.NOW, tick=False):
        agreement = make_active(
            scope_a,
            scenario.REFERENCE,
            metrics=[scenario.RESPONSE],
            effective_from=dt.date(2026, 1, 1),
        )
        scenario.ingest("tickets", [r for m in months for r in scenario.month_tickets(m, "tttt")])
        scenario.compute(scope_a)
        questionnaire = QuestionnaireFactory(tenant=scope_a)
        overall = QuestionFactory(questionnaire=questionnaire, is_overall=True)
        campaign = CampaignFactory(agreement=agreement, questionnaire=questionnaire)
        for month in months:
            round_ = RoundFactory(campaign=campaign, period_start=month, period_end=month)
            for score in (5, 5, 5, 5, 4):  # 4.8
                AnswerFactory(response=ResponseFactory(round=round_), question=overall, score=score)
        s = snapshot.build(agreement, "month", scenario.MARCH)
    assert s["health"] == "green"
    assert [t["mean"] for t in s["satisfaction"]["trend"][-3:]] == ["4.8", "4.8", "4.8"]
    assert s["analysis"]["hint"] == {"kind": "tighten", "metrics": [], "periods": 3}
    # Three periods are below the minimum n of 6 for the correlation.
    assert s["analysis"]["correlations"][0]["enough"] is False


def test_queries_do_not_grow_with_records(report, django_assert_max_num_queries):
    agreement, _s = report
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with time_machine.travel(scenario.NOW, tick=False):
        with CaptureQueriesContext(connection) as before:
            snapshot.build(agreement, "month", scenario.MARCH)
        more = [
            scenario.ticket(
                f"EXTRA-{i}",
                scenario.cn(2026, 3, 24, 9),
                scenario.cn(2026, 3, 24, 12),
                scenario.cn(2026, 3, 25, 9),
            )
            for i in range(60)
        ]
        scenario.ingest("tickets", more)
        scenario.compute(agreement.tenant)
        with django_assert_max_num_queries(len(before.captured_queries)):
            s = snapshot.build(agreement, "month", scenario.MARCH)
    assert s["tickets"]["total"] == 65
    assert len(s["breaches"][0]["records"]) == snapshot.RECORDS_SHOWN
    assert s["breaches"][0]["records_total"] == 63
    assert len(before.captured_queries) <= 30


def test_health_of():
    assert snapshot.health_of(["met", "warning", "breached"]) == "red"
    assert snapshot.health_of(["met", "warning", "no_data"]) == "amber"
    assert snapshot.health_of(["met", "no_data"]) == "green"
    assert snapshot.health_of(["no_data"]) == snapshot.health_of([]) == "none"
    with pytest.raises(ValueError):
        snapshot.health_of(["great"])


def test_unknown_period_kind(report):
    agreement, _s = report
    with pytest.raises(ValueError):
        snapshot.build(agreement, "week", scenario.MARCH)


def test_year_report_and_a_yearly_metric_in_a_monthly_report(scope_a):
    from agreements.choices import MetricKind

    yearly = {
        "name": "Yearly availability",
        "kind": MetricKind.AVAILABILITY_PERCENT,
        "target": "99.9",
        "minimum_acceptable": "99.5",
        "period": "year",
    }
    with time_machine.travel(scenario.NOW, tick=False):
        from tests.metrics.conftest import make_active

        agreement = make_active(
            scope_a,
            scenario.REFERENCE,
            metrics=[scenario.RESPONSE, yearly],
            effective_from=dt.date(2025, 10, 1),
        )
        scenario.ingest("tickets", scenario.month_tickets(scenario.MONTHS[0]))
        scenario.compute(scope_a)
        year = snapshot.build(agreement, "year", dt.date(2025, 1, 1))
        month = snapshot.build(agreement, "month", scenario.MARCH)
    response = year["metrics"][0]
    # The year 2025 holds October's 4 of 4 within target (the only month with tickets).
    assert (response["count_all"], response["compliance_rate"]) == (4, "100")
    assert response["history"][-1]["start"] == "2025-01-01" and len(response["history"]) == 12
    # A yearly metric in a monthly report shows its year so far, its history steps by year.
    availability = month["metrics"][1]
    assert availability["period_kind"] == "year"
    assert availability["history"][-1]["start"] == "2026-01-01"
    assert availability["history"][-2]["start"] == "2025-01-01"
    assert availability["value"] == "100" and availability["is_open"] is True
    # It does not take part in the tightening rule (it does not step with the months).
    assert month["analysis"]["hint"]["kind"] is None
