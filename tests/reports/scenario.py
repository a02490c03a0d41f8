"""A small agreement with six months of data, entered through the real ingest service and
judged by the real compliance worker; satisfaction rounds built with the survey factories.

SLA-R1, effective 2025-10-01, fee 20,000 CNY, 5 % credit per breached metric (cap 20 %),
escalation after 3 breaches in a row. Calendar Mon-Fri 09:00-12:00 + 13:00-18:00 Shanghai.
Metrics: Response (P2/P3, target 60 / minimum 120 working minutes, goal 95 %) and
Availability (target 99.5 %, minimum 99 %).

Tickets per month (all opened 09:00 on a Tuesday, answered the same morning):
    "t" answered after 30 min (within target), "m" after 90 (within the minimum only),
    "x" after 150 (missed)

    month      tickets     within target / all   within min   status
    2025-10    t t t t     4/4 = 100 %           4/4          met
    2025-11    t t t m     3/4 =  75 %           4/4          warning
    2025-12    t t t t     4/4 = 100 %           4/4          met
    2026-01    t t x x     2/4 =  50 %           2/4          breached
    2026-02    t x x x     1/4 =  25 %           1/4          breached
    2026-03    t t m x +R  2/5 =  40 %           3/5          breached
R: a P3 ticket opened 2026-03-20 10:00, never answered or resolved: its minimum (120 working
minutes) passed at 12:00, so it counts in March as missed and is unresolved at the month's end.
Every other ticket is resolved the next day.

Availability, March: an unplanned outage 2026-03-10 10:00-12:00 (120 window minutes) and a
force majeure one on 2026-03-13 (excluded). 22 weekdays x 8 h = 10,560 window minutes:
(10,560 - 120) / 10,560 = 98.8636 % -> breached. Other months: no outage -> 100 %, met.

Satisfaction (overall question, one round per month): mean of the answers
    2025-10 [5, 4] 4.5; 2025-11 [4, 4] 4.0; 2025-12 [5, 3] 4.0; 2026-01 [4, 3] 3.5;
    2026-02 [3, 3] 3.0; 2026-03 [4, 3] 3.5 (4 invited, 2 answered)
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from agreements.choices import MetricKind, TierCode
from metrics.services.compliance import mark_periods, recompute_stale
from metrics.services.ingest import ingest_records
from surveys.choices import InvitationStatus
from tests.factories.surveys import (
    AnswerFactory,
    CampaignFactory,
    InvitationFactory,
    QuestionFactory,
    QuestionnaireFactory,
    ResponseFactory,
    RoundFactory,
)
from tests.metrics.conftest import cn, make_active  # noqa: F401  (cn re-exported for tests)

REFERENCE = "SLA-R1"
MONTHS = [
    dt.date(2025, 10, 1),
    dt.date(2025, 11, 1),
    dt.date(2025, 12, 1),
    dt.date(2026, 1, 1),
    dt.date(2026, 2, 1),
    dt.date(2026, 3, 1),
]
MARCH = dt.date(2026, 3, 1)
NOW = dt.datetime(2026, 4, 10, 2, tzinfo=dt.UTC)  # 10:00 in Shanghai, 10 April
# A Tuesday mid-month, clear of Chinese public holidays and make-up days.
DAYS = {
    MONTHS[0]: (2025, 10, 14),
    MONTHS[1]: (2025, 11, 11),
    MONTHS[2]: (2025, 12, 9),
    MONTHS[3]: (2026, 1, 13),
    MONTHS[4]: (2026, 2, 10),
    MONTHS[5]: (2026, 3, 3),
}
PATTERN = {
    MONTHS[0]: "tttt",
    MONTHS[1]: "tttm",
    MONTHS[2]: "tttt",
    MONTHS[3]: "ttxx",
    MONTHS[4]: "txxx",
    MONTHS[5]: "ttmx",
}
DELAY = {"t": 30, "m": 90, "x": 150}
SCORES = {
    MONTHS[0]: [5, 4],
    MONTHS[1]: [4, 4],
    MONTHS[2]: [5, 3],
    MONTHS[3]: [4, 3],
    MONTHS[4]: [3, 3],
    MONTHS[5]: [4, 3],
}
RESPONSE = {
    "name": "Response",
    "kind": MetricKind.RESPONSE_TIME,
    "target": Decimal("60"),
    "minimum_acceptable": Decimal("120"),
    "attainment_goal_percent": Decimal("95"),
    "tier_codes": [TierCode.P2, TierCode.P3],
}
AVAILABILITY = {
    "name": "Availability",
    "kind": MetricKind.AVAILABILITY_PERCENT,
    "target": Decimal("99.5"),
    "minimum_acceptable": Decimal("99"),
}


def ticket(external_id, opened, response=None, resolved=None, priority="P2") -> dict:
    return {
        "agreement": REFERENCE,
        "external_id": external_id,
        "priority": priority,
        "opened_at": opened.isoformat(),
        "first_response_at": response.isoformat() if response else None,
        "resolved_at": resolved.isoformat() if resolved else None,
    }


def month_tickets(month: dt.date, pattern: str | None = None) -> list[dict]:
    y, m, d = DAYS[month]
    out = []
    for i, code in enumerate(pattern or PATTERN[month], start=1):
        opened = cn(y, m, d, 9)
        out.append(
            ticket(
                f"T-{month:%Y%m}-{i}",
                opened,
                response=opened + dt.timedelta(minutes=DELAY[code]),
                resolved=opened + dt.timedelta(days=1),
            )
        )
    return out


def ingest(kind: str, records: list[dict]) -> None:
    result = ingest_records(kind, records)
    assert result.committed and not result.errors, result.errors


def compute(tenant) -> None:
    """The real worker over every month of the scenario (results, credits, escalations)."""
    mark_periods(tenant.pk, periods=MONTHS, today=NOW.date())
    recompute_stale(tenant.pk, now=NOW)


def build(tenant):
    """Create the agreement and its data (inside the tenant's scope); returns the agreement."""
    agreement = make_active(
        tenant,
        REFERENCE,
        metrics=[RESPONSE, AVAILABILITY],
        effective_from=dt.date(2025, 10, 1),
    )
    records = [r for month in MONTHS for r in month_tickets(month)]
    records.append(ticket("T-202603-R", cn(2026, 3, 20, 10), priority="P3"))
    ingest("tickets", records)
    ingest(
        "outages",
        [
            {
                "agreement": REFERENCE,
                "external_id": "O-1",
                "start": cn(2026, 3, 10, 10).isoformat(),
                "end": cn(2026, 3, 10, 12).isoformat(),
            },
            {
                "agreement": REFERENCE,
                "external_id": "O-2",
                "start": cn(2026, 3, 13, 9).isoformat(),
                "end": cn(2026, 3, 13, 18).isoformat(),
                "exclusion": "force_majeure",
                "exclusion_reason": "Typhoon",
            },
        ],
    )
    compute(tenant)
    satisfaction(agreement)
    return agreement


def satisfaction(agreement) -> None:
    questionnaire = QuestionnaireFactory(tenant=agreement.tenant)
    overall = QuestionFactory(questionnaire=questionnaire, code="overall", is_overall=True)
    campaign = CampaignFactory(agreement=agreement, questionnaire=questionnaire)
    for month, scores in SCORES.items():
        last = dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)
        round_ = RoundFactory(
            campaign=campaign, period_start=month, period_end=last - dt.timedelta(days=1)
        )
        answered = len(scores)
        invited = 4 if month == MARCH else answered
        for i in range(invited):
            status = InvitationStatus.ANSWERED if i < answered else InvitationStatus.QUEUED
            InvitationFactory(round=round_, status=status)
        for score in scores:
            response = ResponseFactory(round=round_)
            AnswerFactory(response=response, question=overall, score=score)
