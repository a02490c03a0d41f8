"""Answers: found by link, consumed on submit (never on opening), stored exactly once.

Anonymous campaigns: the response keeps no invitation, contact or time, the invitation
only turns "answered"; with the respondent's consent ("you may contact me") the
response is linked. Responses and answers are written with bulk_create so no audit row
(with its timestamp) is written for them either.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from django.db import connection, transaction
from django.utils import timezone

from ..choices import Channel, InvitationStatus, QuestionKind
from ..models import Answer, Invitation, Response, SurveyLink
from ..selectors import answering_invitation, answering_questionnaire
from .followups import open_follow_up
from .links import digest

ANSWERABLE = (InvitationStatus.QUEUED, InvitationStatus.BOUNCED)


class LinkInvalid(Exception):
    """Unknown, expired or already used: the page says the same calm thing for each."""


class AlreadyAnswered(LinkInvalid):
    pass


@dataclass(frozen=True)
class FoundLink:
    tenant_id: int
    invitation_id: int


def find_link(token: str) -> FoundLink | None:
    """The platform-level lookup (no tenant yet): digest -> tenant and invitation."""
    if not token or len(token) > 100:
        return None
    # Written by hand: one row by primary key, on every opening and submit (the ORM's
    # query building took longer than the database's answer).
    with connection.cursor() as cursor:
        cursor.execute(_LINK_SQL, [digest(token)])
        row = cursor.fetchone()
    return FoundLink(*row) if row else None


_LINK_SQL = (
    f'SELECT "{SurveyLink._meta.get_field("tenant").column}", '
    f'"{SurveyLink._meta.get_field("invitation").column}" '
    f'FROM "{SurveyLink._meta.db_table}" WHERE "{SurveyLink._meta.pk.column}" = %s'
)


def find_invitation(invitation_id: int, now=None) -> Invitation:
    """The answerable invitation (inside its tenant's context), else LinkInvalid.

    Two short reads (selectors.answering_invitation: invitation with round, contact and
    tenant; campaign with agreement and customer).
    """
    now = now or timezone.now()
    invitation = answering_invitation(invitation_id)
    if invitation is None:
        raise LinkInvalid
    if invitation.status == InvitationStatus.ANSWERED:
        raise AlreadyAnswered
    round_ = invitation.round
    if invitation.status not in ANSWERABLE or not (round_.opens_at <= now < round_.closes_at):
        raise LinkInvalid
    return invitation


def submit_response(
    invitation: Invitation,
    values: dict[int, object],
    *,
    may_contact: bool = False,
    channel: str = Channel.WEB,
    language: str = "",
    entered_by=None,
    notify: bool = True,
) -> Response:
    """Store the answers (question id -> score or text) once; AlreadyAnswered otherwise.

    The claim is a conditional UPDATE of the invitation: of two concurrent submits one
    updates the row, the other waits for its lock and then finds it answered. The claim,
    the response and its answers are one statement (_CLAIM_AND_STORE): the response and
    the answers are inserted only from the claim's row, so a failed claim writes nothing.
    """
    round_ = invitation.round
    campaign = round_.campaign
    linked = not campaign.anonymous or may_contact
    response = Response(
        tenant_id=invitation.tenant_id,
        round=round_,
        questionnaire_id=round_.questionnaire_id,
        invitation=invitation if linked else None,
        contact=invitation.contact if linked else None,
        channel=channel,
        language=language or invitation.language,
        may_contact=may_contact,
        submitted_at=timezone.now() if linked else None,
        entered_by=entered_by,
    )
    answers = _answers(response, values)
    # No savepoint: the caller's transaction (the request's) holds the statement.
    with transaction.atomic(savepoint=False):
        response.pk = _claim_and_store(invitation, response, answers)
        if response.pk is not None:
            response._state.adding, response._state.db = False, connection.alias
            likert = [
                a.score for a in answers if a.question.kind == QuestionKind.LIKERT and a.score
            ]
            if linked and likert and min(likert) <= campaign.low_score_threshold:
                open_follow_up(response, campaign, min(likert))
            if notify:
                _results_changed(campaign, round_)
    if response.pk is None:
        raise AlreadyAnswered
    return response


def _answers(response: Response, values: dict[int, object]) -> list[Answer]:
    compiled = answering_questionnaire(response.tenant_id, response.questionnaire_id)
    questions = {q.pk: q for q in compiled.questions}
    answers = []
    for question_id, value in values.items():
        question = questions[int(question_id)]
        if value in (None, ""):
            continue
        if question.kind == QuestionKind.OPEN:
            answer = Answer(
                tenant_id=response.tenant_id, question=question, text=str(value).strip()
            )
        else:
            answer = Answer(tenant_id=response.tenant_id, question=question, score=int(value))
        answers.append(answer)
    return answers


def _claim_and_store(invitation: Invitation, response: Response, answers: list[Answer]):
    """The new response's id, or None when the invitation was no longer answerable."""
    sql, response_fields, answer_fields = _claim_and_store_sql()
    params = [InvitationStatus.ANSWERED.value, invitation.tenant_id, invitation.pk]
    params.append(tuple(str(status) for status in ANSWERABLE))
    params += [
        f.get_db_prep_save(getattr(response, f.attname), connection) for f in response_fields
    ]
    params += [
        [f.get_db_prep_save(getattr(a, f.attname), connection) for a in answers]
        for f in answer_fields
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return row[0] if row else None


@lru_cache(maxsize=1)
def _claim_and_store_sql():
    """Built once from the models' columns (every concrete field of Response and Answer,
    so a new column cannot be forgotten here)."""
    q = connection.ops.quote_name
    invitation = Invitation._meta
    status = q(invitation.get_field("status").column)
    response_fields = [f for f in Response._meta.concrete_fields if not f.primary_key]
    answer_fields = [
        f for f in Answer._meta.concrete_fields if not f.primary_key and f.name not in ("response",)
    ]
    answer_columns = ", ".join(q(f.column) for f in answer_fields)
    sql = f"""
WITH claim AS (
    UPDATE {q(invitation.db_table)} SET {status} = %s
    WHERE {q(invitation.get_field("tenant").column)} = %s
    AND {q(invitation.pk.column)} = %s AND {status} IN %s
    RETURNING 1
), response AS (
    INSERT INTO {q(Response._meta.db_table)} ({", ".join(q(f.column) for f in response_fields)})
    SELECT {", ".join(["%s"] * len(response_fields))} FROM claim
    RETURNING {q(Response._meta.pk.column)} AS id
), answers AS (
    INSERT INTO {q(Answer._meta.db_table)} ({q(Answer._meta.get_field("response").column)},
        {answer_columns})
    SELECT response.id, {", ".join("a." + q(f.column) for f in answer_fields)}
    FROM response, UNNEST({", ".join(f"%s::{f.db_type(connection)}[]" for f in answer_fields)})
        AS a({answer_columns})
)
SELECT id FROM response"""
    return sql, response_fields, answer_fields


def _results_changed(campaign, round_) -> None:
    """Tell the compliance engine the period's satisfaction changed (after commit)."""
    if campaign.agreement_id:
        from ..tasks import refresh_satisfaction_samples

        tenant_id, round_id = campaign.tenant_id, round_.pk
        transaction.on_commit(
            lambda: refresh_satisfaction_samples.delay(tenant_id, round_id), robust=True
        )


def invitation_for_link(invitation_id: int) -> Invitation | None:
    """Any invitation of a known link (unsubscribing works after answering or expiry)."""
    return Invitation.objects.filter(pk=invitation_id).first()
