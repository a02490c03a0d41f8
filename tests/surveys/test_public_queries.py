"""The public answer page runs a constant number of queries whatever the number of
questions: opening and submitting a questionnaire of 5 questions and one of 10."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from slaweb.tenancy.context import tenant_context
from surveys import services
from surveys.models import Invitation, Question, Response
from surveys.selectors import answering_questionnaire

from .conftest import MONDAY, dispatch, issue_token, make_campaign

LATER = MONDAY + dt.timedelta(hours=2)
# Counted inside the test's transaction, so the request's atomic block is a savepoint
# (2 statements); then the link, the invitation (with round, contact, tenant) and the
# campaign (with agreement, customer). The questionnaire is read once per process.
GET_QUERIES = 5
# ... and, in the request's transaction (no savepoint of its own), one statement: the
# claim, the response and all answers.
POST_QUERIES = 6


def _answers(questions) -> dict[str, str]:
    values = {"likert": "4", "nps": "9", "open": "更快一些"}
    return {f"q{q.pk}": values[q.kind] for q in questions}


@pytest.mark.parametrize("extra", [[], ["quality", "efficiency", "problem_solving", "value"]])
@time_machine.travel(LATER, tick=False)
def test_opening_and_submitting_take_the_same_queries_for_any_number_of_questions(
    client, tenant_a, extra, django_assert_max_num_queries
):
    campaign = make_campaign(tenant_a)
    with tenant_context(tenant_a):
        for code in extra + ["recommend"]:
            services.add_dimension(campaign.questionnaire, code)
    with time_machine.travel(MONDAY, tick=False):
        dispatch(tenant_a, campaign)
    with tenant_context(tenant_a):
        invitation = Invitation.objects.get(language="zh-hans")
        questions = list(Question.objects.filter(questionnaire=campaign.questionnaire))
    assert len(questions) == 6 + len(extra)
    token = issue_token(tenant_a, invitation)
    url = reverse("survey-answer", args=[token])

    answering_questionnaire.cache_clear()  # the first opening in this process reads it
    with django_assert_max_num_queries(GET_QUERIES + 1):
        page = client.get(url)
    assert page.status_code == 200
    assert page.content.decode().count('type="radio"') == 5 * (4 + len(extra)) + 11
    with django_assert_max_num_queries(GET_QUERIES):
        assert client.get(url).status_code == 200

    with django_assert_max_num_queries(POST_QUERIES):
        sent = client.post(url, _answers(questions))
    assert sent.status_code == 302
    with tenant_context(tenant_a):
        assert Response.objects.get().answers.count() == len(questions)
