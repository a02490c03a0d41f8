"""Results computed in the database, checked against hand-computed figures."""

from __future__ import annotations

from decimal import Decimal

import pytest

from slaweb.tenancy.context import tenant_context
from surveys import results
from surveys.choices import Channel, InvitationStatus, QuestionKind
from surveys.models import Answer, Question, Response, Round
from tests.factories.surveys import InvitationFactory, RoundFactory


def _answer(tenant, round_, scores: dict[str, int | str], channel=Channel.WEB, status=None):
    """One answered invitation with a response; `scores` maps question code -> value."""
    invitation = InvitationFactory(tenant=tenant, round=round_, status=InvitationStatus.ANSWERED)
    with tenant_context(tenant):
        response = Response.objects.create(
            round=round_,
            questionnaire=round_.questionnaire,
            invitation=invitation,
            contact=invitation.contact,
            channel=channel,
            language="zh-hans",
        )
        for code, value in scores.items():
            question = Question.objects.get(questionnaire=round_.questionnaire, code=code)
            if question.kind == QuestionKind.OPEN:
                Answer.objects.create(response=response, question=question, text=value)
            else:
                Answer.objects.create(response=response, question=question, score=value)
    return response


@pytest.fixture
def round_(tenant_a, campaign):
    with tenant_context(tenant_a):
        return RoundFactory(tenant=tenant_a, campaign=campaign)


def test_figures_of_a_round(tenant_a, round_):
    _answer(
        tenant_a,
        round_,
        {
            "response_speed": 5,
            "understood_solved": 4,
            "patient_friendly": 5,
            "overall": 5,
            "improve": "希望增加夜间技术支持",
        },
    )
    _answer(
        tenant_a,
        round_,
        {
            "response_speed": 2,
            "understood_solved": 3,
            "patient_friendly": 4,
            "overall": 3,
            "improve": "夜间技术支持不够，报表格式需简化",
        },
    )
    _answer(
        tenant_a,
        round_,
        {"response_speed": 4, "understood_solved": 4, "patient_friendly": 4, "overall": 4},
        channel=Channel.PHONE,
    )
    InvitationFactory(tenant=tenant_a, round=round_)  # invited, not answered
    InvitationFactory(tenant=tenant_a, round=round_, status=InvitationStatus.BOUNCED)
    InvitationFactory(
        tenant=tenant_a, round=round_, status=InvitationStatus.SKIPPED, skip_reason="fatigue"
    )
    with tenant_context(tenant_a):
        r = results.for_round(Round.objects.get(pk=round_.pk))
    assert (r.invited, r.delivered, r.answered) == (5, 4, 3)
    assert r.rate_invited == Decimal("60.00") and r.rate_delivered == Decimal("75.00")
    # the questionnaire has an overall question: (5 + 3 + 4) / 3
    assert r.overall_basis == "overall_question"
    assert r.overall.value == Decimal("4.00") and r.overall.n == 3
    speed = next(q for q in r.questions if q.code == "response_speed")
    assert speed.mean.value == Decimal("3.67") and speed.n == 3  # 11 / 3
    assert speed.distribution == [0, 1, 0, 1, 1]
    assert speed.csat.value == Decimal("66.67")  # 2 of 3 gave 4-5
    dims = {d["code"]: d for d in r.dimensions}
    assert dims["attitude"]["mean"].value == Decimal("4.33")
    assert r.open_count == 2
    assert ("夜间", 2) in r.top_terms or ("技术支持", 2) in r.top_terms
    assert {str(k): v for k, v in r.channels.items()} == {"web form": 2, "phone": 1}


def test_without_an_overall_question_the_mean_of_all_ratings_counts(tenant_a, round_):
    with tenant_context(tenant_a):
        Question.objects.filter(questionnaire=round_.questionnaire, is_overall=True).update(
            is_overall=False
        )
    _answer(tenant_a, round_, {"response_speed": 5, "understood_solved": 4, "overall": 3})
    with tenant_context(tenant_a):
        r = results.for_round(round_)
    assert r.overall_basis == "all_ratings"
    assert r.overall.value == Decimal("4.00") and r.overall.n == 3


def test_nps_is_promoters_minus_detractors(tenant_a, round_):
    from surveys import services

    with tenant_context(tenant_a):
        services.add_dimension(round_.questionnaire, "recommend")  # used: a new version
        q = round_.questionnaire
        # put the NPS question on the round's version for this test
        Question.objects.create(
            questionnaire=q,
            code="recommend",
            kind=QuestionKind.NPS,
            text_en="Recommend?",
            text_zh="推荐？",
            required=False,
        )
    for score in (10, 9, 8, 3):
        _answer(tenant_a, round_, {"recommend": score})
    with tenant_context(tenant_a):
        r = results.for_round(round_)
    nps = next(q for q in r.questions if q.code == "recommend")
    assert nps.nps.value == Decimal("25.00")  # (2 - 1) / 4
    assert nps.csat is None and len(nps.distribution) == 11


def test_anonymous_campaigns_withhold_figures_below_min_n(tenant_a, round_):
    with tenant_context(tenant_a):
        round_.campaign.__class__.objects.filter(pk=round_.campaign_id).update(
            anonymous=True, min_n=3
        )
    _answer(tenant_a, round_, {"response_speed": 1, "overall": 2, "improve": "太慢"})
    _answer(tenant_a, round_, {"response_speed": 5, "overall": 5})
    with tenant_context(tenant_a):
        r = results.for_round(Round.objects.select_related("campaign").get(pk=round_.pk))
    assert r.overall.withheld and r.overall.value is None and r.overall.n == 2
    assert all(q.mean.withheld and q.distribution == [] for q in r.questions)
    assert r.open_answers == [] and r.top_terms == []
    assert r.answered == 2  # counts are never withheld


def test_trend_and_csv(tenant_a, campaign):
    import datetime as dt

    with tenant_context(tenant_a):
        may = RoundFactory(
            tenant=tenant_a,
            campaign=campaign,
            period_start=dt.date(2026, 5, 1),
            period_end=dt.date(2026, 5, 31),
        )
        june = RoundFactory(
            tenant=tenant_a,
            campaign=campaign,
            period_start=dt.date(2026, 6, 1),
            period_end=dt.date(2026, 6, 30),
        )
    _answer(tenant_a, may, {"overall": 3, "response_speed": 1})
    _answer(tenant_a, june, {"overall": 5})
    _answer(tenant_a, june, {"overall": 4})
    with tenant_context(tenant_a):
        rows = results.trend(campaign)
        assert [(r["period_start"].month, r["overall"].value, r["n"]) for r in rows] == [
            (5, Decimal("3.00"), 1),
            (6, Decimal("4.50"), 2),
        ]
        text = results.to_csv(results.for_campaign(campaign), "campaign")
    assert "overall_satisfaction,4.00,n,3,basis,overall_question" in text


def test_the_periods_overall_satisfaction_becomes_a_sample_of_each_satisfaction_metric(tenant_a):
    import datetime as dt

    from metrics.models import Sample
    from surveys import services
    from surveys.models import Campaign
    from tests.agreements.conftest import example_metrics, make_active

    satisfaction = {
        "name": "Monthly satisfaction",
        "kind": "satisfaction_score",
        "target": Decimal("4.5"),
        "minimum_acceptable": Decimal("4"),
    }
    agreement = make_active(tenant_a, "SLA-SAT", metrics=[*example_metrics(), satisfaction])
    with tenant_context(tenant_a):
        campaign = services.save_campaign(
            Campaign(
                name="Sat",
                scope="agreement",
                agreement=agreement,
                questionnaire=services.create_default_questionnaire(tenant_a),
            )
        )
        round_ = RoundFactory(
            tenant=tenant_a,
            campaign=campaign,
            period_start=dt.date(2026, 5, 1),
            period_end=dt.date(2026, 5, 31),
        )
    _answer(tenant_a, round_, {"overall": 5})
    _answer(tenant_a, round_, {"overall": 4})
    with tenant_context(tenant_a):
        assert results.push_satisfaction_samples(round_.pk) == 1
        sample = Sample.objects.get()
        assert sample.metric_name == "Monthly satisfaction"
        assert sample.period_start == dt.date(2026, 5, 1)
        assert sample.value == Decimal("4.5") and sample.weight == 2
    _answer(tenant_a, round_, {"overall": 3})
    with tenant_context(tenant_a):
        results.push_satisfaction_samples(round_.pk)
        sample = Sample.objects.get()  # replaced, not added
        assert sample.value == Decimal("4") and sample.weight == 3
