"""Rules of single rows and of questionnaire versions; working days of a calendar."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from metrics.business_time import Calendar
from slaweb.tenancy.context import tenant_context
from surveys import services
from surveys.choices import QuestionKind
from surveys.models import Campaign, FollowUp, Invitation, Question, Questionnaire
from tests.factories.surveys import (
    FollowUpFactory,
    InvitationFactory,
    QuestionFactory,
    QuestionnaireFactory,
    RoundFactory,
)


def test_the_default_questionnaire_is_the_seeds(tenant_a):
    with tenant_context(tenant_a):
        q = services.create_default_questionnaire(tenant_a)
        rows = list(q.questions.select_related("dimension").order_by("order"))
    assert [r.dimension.name_zh for r in rows] == [
        "服务时效性",
        "服务专业性",
        "服务态度",
        "整体满意度",
        "开放性建议",
    ]
    assert [r.text_zh for r in rows] == [
        "您对本次服务的响应速度是否满意？",
        "服务人员是否能准确理解并解决您的问题？",
        "服务人员在沟通过程中是否耐心、友好？",
        "综合本次服务体验，您的满意度是？",
        "您认为哪些服务环节需要改进？或有哪些其他需求？",
    ]
    assert all(r.text_en for r in rows)
    assert [r.kind for r in rows].count(QuestionKind.LIKERT) == 4
    assert [r.is_overall for r in rows] == [False, False, False, True, False]


def test_an_unused_questionnaire_is_edited_in_place(tenant_a):
    with tenant_context(tenant_a):
        q = services.create_default_questionnaire(tenant_a)
        question = q.questions.get(code="response_speed")
        saved = services.save_question(q, question, {"text_en": "How fast were we?"})
        assert saved.questionnaire_id == q.pk
        assert Questionnaire.objects.count() == 1


def test_a_change_after_use_makes_a_new_version_and_old_answers_keep_theirs(tenant_a, campaign):
    round_ = RoundFactory(tenant=tenant_a, campaign=campaign)
    old = campaign.questionnaire
    with tenant_context(tenant_a):
        question = old.questions.get(code="response_speed")
        saved = services.save_question(old, question, {"text_en": "How fast were we?"})
        new = saved.questionnaire
        assert (new.family, new.version) == (old.family, 2)
        assert new.questions.count() == old.questions.count() == 5
        assert old.questions.get(code="response_speed").text_en != "How fast were we?"
        assert Campaign.objects.get(pk=campaign.pk).questionnaire_id == new.pk
        round_.refresh_from_db()
        assert round_.questionnaire_id == old.pk
        assert Questionnaire.objects.get(pk=old.pk).archived
        # the copy's questions point at the copy's dimensions
        assert set(new.questions.values_list("dimension__questionnaire", flat=True)) - {None} == {
            new.pk
        }


def test_an_offered_dimension_is_added_with_its_question(tenant_a):
    with tenant_context(tenant_a):
        q = services.create_default_questionnaire(tenant_a)
        services.add_dimension(q, "value")
        services.add_dimension(q, "recommend")
        assert q.questions.get(code="value").text_zh == "您认为本次服务是否物有所值？"
        assert q.questions.get(code="recommend").kind == QuestionKind.NPS


def test_only_a_rating_question_is_the_overall_one(tenant_a):
    question = QuestionFactory(tenant=tenant_a, kind=QuestionKind.OPEN, is_overall=True)
    with tenant_context(tenant_a), pytest.raises(ValidationError) as error:
        question.full_clean()
    assert "is_overall" in error.value.message_dict


def test_one_overall_question_per_questionnaire(tenant_a):
    q = QuestionnaireFactory(tenant=tenant_a)
    QuestionFactory(tenant=tenant_a, questionnaire=q, is_overall=True)
    with pytest.raises(IntegrityError), transaction.atomic():
        QuestionFactory(tenant=tenant_a, questionnaire=q, is_overall=True)


def test_one_invitation_per_round_and_contact(tenant_a):
    invitation = InvitationFactory(tenant=tenant_a)
    with pytest.raises(IntegrityError), transaction.atomic():
        InvitationFactory(tenant=tenant_a, round=invitation.round, contact=invitation.contact)


def test_a_campaign_needs_its_target(tenant_a, campaign):
    with tenant_context(tenant_a):
        campaign.scope = "customer"
        campaign.customer = None
        with pytest.raises(ValidationError) as error:
            campaign.full_clean()
    assert "customer" in error.value.message_dict


def test_closing_a_follow_up_needs_cause_and_action(tenant_a):
    follow_up = FollowUpFactory(tenant=tenant_a)
    with tenant_context(tenant_a):
        with pytest.raises(ValidationError) as error:
            services.close_follow_up(follow_up, cause=" ", action="")
        assert set(error.value.message_dict) == {"cause", "action"}
        assert FollowUp.objects.get(pk=follow_up.pk).status == "open"


def test_working_days_skip_weekends_and_chinese_holidays():
    cal = Calendar.business_hours("Asia/Shanghai", country="CN")
    friday = dt.datetime(2026, 6, 5, 2, 0, tzinfo=dt.UTC)  # Friday 10:00 Shanghai
    # 3 working days: Mon 8, Tue 9, Wed 10 June -> the window ends at Thursday 00:00 local
    assert services.add_working_days(cal, friday, 3) == dt.datetime(
        2026, 6, 10, 16, 0, tzinfo=dt.UTC
    )
    # National Day week 2026 (1-7 October off; Sunday 27 Sept and Saturday 10 Oct worked)
    before = dt.datetime(2026, 9, 30, 2, 0, tzinfo=dt.UTC)
    assert services.add_working_days(cal, before, 1) == dt.datetime(
        2026, 10, 8, 16, 0, tzinfo=dt.UTC
    )


def test_rows_of_another_tenant_are_invisible(tenant_a, tenant_b):
    InvitationFactory(tenant=tenant_b)
    with tenant_context(tenant_a):
        assert not Invitation.objects.exists()
        assert not Question.objects.exists()
