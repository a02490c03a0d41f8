"""Reads shared by pages and API: lists annotated in one query each."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

from django.db import connection
from django.db.models import Count, Q

from agreements.models import Agreement, Contact, Customer
from slaweb.tenancy.context import current_tenant_id
from slaweb.tenancy.models import Tenant

from .choices import InvitationStatus
from .models import Campaign, FollowUp, Invitation, Question, Questionnaire, Round


def questionnaires(queryset=None):
    queryset = Questionnaire.objects.all() if queryset is None else queryset
    return queryset.annotate(
        question_count=Count("questions", distinct=True),
        round_count=Count("rounds", distinct=True),
    ).order_by("archived", "name", "-version")


def campaigns(queryset=None):
    queryset = Campaign.objects.all() if queryset is None else queryset
    return (
        queryset.select_related("agreement", "customer", "questionnaire")
        .annotate(
            recipient_count=Count("recipient_links", distinct=True),
            round_count=Count("rounds", distinct=True),
            open_follow_ups=Count("follow_ups", filter=Q(follow_ups__status="open"), distinct=True),
        )
        .order_by("name")
    )


def rounds(queryset=None):
    queryset = Round.objects.all() if queryset is None else queryset
    return queryset.select_related("campaign").annotate(
        invited=Count("invitations", filter=~Q(invitations__status=InvitationStatus.SKIPPED)),
        answered=Count("invitations", filter=Q(invitations__status=InvitationStatus.ANSWERED)),
        skipped=Count("invitations", filter=Q(invitations__status=InvitationStatus.SKIPPED)),
        bounced=Count("invitations", filter=Q(invitations__status=InvitationStatus.BOUNCED)),
    )


def invitations(queryset=None):
    queryset = Invitation.objects.all() if queryset is None else queryset
    return queryset.select_related("contact", "contact__customer").order_by("contact__name", "pk")


def follow_ups(queryset=None):
    queryset = FollowUp.objects.all() if queryset is None else queryset
    return queryset.select_related(
        "campaign", "agreement", "contact", "response__round", "closed_by"
    ).order_by("status", "due_at")


@dataclass(frozen=True)
class AnsweringQuestionnaire:
    """A used questionnaire version, ready for the answer page: read once per process.

    `blank_html` keeps, per (language, anonymous), the questions as rendered for a first
    opening (no values, no errors): a frozen version renders the same every time.
    """

    questionnaire: Questionnaire
    questions: tuple[Question, ...]
    blank_html: dict[tuple[str, bool], str] = field(default_factory=dict, compare=False, repr=False)


def answering_questionnaire(tenant_id: int, questionnaire_id: int) -> AnsweringQuestionnaire:
    """The questionnaire of a round with its questions (and their dimensions), in order.

    A version is frozen once a round used it (decision 006: changes make a new version),
    so the answer page keeps it in memory by id instead of reading it on every request.
    Call inside the tenant's scope; the key holds the tenant, so no other tenant's
    request can be given it.
    """
    return _answering_questionnaire(tenant_id, questionnaire_id)


@lru_cache(maxsize=256)
def _answering_questionnaire(tenant_id: int, questionnaire_id: int) -> AnsweringQuestionnaire:
    questions = tuple(
        Question.objects.filter(questionnaire_id=questionnaire_id).select_related(
            "questionnaire", "dimension"
        )
    )
    if questions:
        questionnaire = questions[0].questionnaire
    else:
        questionnaire = Questionnaire.objects.get(pk=questionnaire_id)
    if questionnaire.tenant_id != tenant_id:  # RLS makes this impossible; keep it explicit
        raise Questionnaire.DoesNotExist
    return AnsweringQuestionnaire(questionnaire, questions)


answering_questionnaire.cache_clear = _answering_questionnaire.cache_clear


# The answer page's two reads, written by hand once per process: building them through
# the ORM on every request cost more Python time than the database took to run them.
# Two statements, not one: the seven-table join took longer to plan than both.
_INVITATION_PARTS = ((Invitation, "i"), (Round, "r"), (Contact, "c"), (Tenant, "t"))
_INVITATION_FROM = """
FROM surveys_invitation i
JOIN tenancy_tenant t ON t.id = i.tenant_id
JOIN surveys_round r ON r.id = i.round_id AND r.tenant_id = i.tenant_id
JOIN agreements_contact c ON c.id = i.contact_id AND c.tenant_id = i.tenant_id
WHERE i.tenant_id = %s AND i.id = %s"""
_CAMPAIGN_PARTS = ((Campaign, "cp"), (Agreement, "a"), (Customer, "cu"))
_CAMPAIGN_FROM = """
FROM surveys_campaign cp
LEFT JOIN agreements_agreement a ON a.id = cp.agreement_id AND a.tenant_id = cp.tenant_id
LEFT JOIN agreements_customer cu ON cu.id = cp.customer_id AND cu.tenant_id = cp.tenant_id
WHERE cp.tenant_id = %s AND cp.id = %s"""


class _JoinedRead:
    """One row of models joined one-to-one, made into instances as select_related does
    (the fields' database converters applied; an all-NULL outer join gives None)."""

    def __init__(self, parts, from_where):
        self.models = []
        columns = []
        for model, alias in parts:
            fields = model._meta.concrete_fields
            converters = []
            for index, f in enumerate(fields):
                col = f.get_col(alias)
                found = connection.ops.get_db_converters(col) + f.get_db_converters(connection)
                if found:
                    converters.append((index, col, found))
            pk_index = fields.index(model._meta.pk)
            self.models.append((model, [f.attname for f in fields], converters, pk_index))
            columns += [f'{alias}."{f.column}"' for f in fields]
        self.sql = f"SELECT {', '.join(columns)}{from_where}"

    def one(self, *params):
        with connection.cursor() as cursor:
            cursor.execute(self.sql, params)
            row = cursor.fetchone()
        if row is None:
            return None
        instances, start = [], 0
        for model, names, converters, pk_index in self.models:
            values = list(row[start : start + len(names)])
            start += len(names)
            if values[pk_index] is None:
                instances.append(None)
                continue
            for index, col, found in converters:
                for convert in found:
                    values[index] = convert(values[index], col, connection)
            instances.append(model.from_db(connection.alias, names, values))
        return instances


@lru_cache(maxsize=1)
def _answering_reads() -> tuple[_JoinedRead, _JoinedRead]:
    return _JoinedRead(_INVITATION_PARTS, _INVITATION_FROM), _JoinedRead(
        _CAMPAIGN_PARTS, _CAMPAIGN_FROM
    )


def answering_invitation(invitation_id: int) -> Invitation | None:
    """The invitation of a link with its round, contact and tenant, and the round's
    campaign with its agreement and customer, for the answer page (inside the tenant's
    scope: RLS applies, and the tenant is also named in the statements)."""
    tenant_id = current_tenant_id()
    if tenant_id is None:
        raise RuntimeError("answering_invitation needs a tenant scope")
    invitations, campaigns = _answering_reads()
    found = invitations.one(tenant_id, invitation_id)
    if found is None:
        return None
    invitation, round_, contact, tenant = found
    campaign, agreement, customer = campaigns.one(tenant_id, round_.campaign_id)
    Campaign.agreement.field.set_cached_value(campaign, agreement)
    Campaign.customer.field.set_cached_value(campaign, customer)
    Round.campaign.field.set_cached_value(round_, campaign)
    Invitation.round.field.set_cached_value(invitation, round_)
    Invitation.contact.field.set_cached_value(invitation, contact)
    Invitation.tenant.field.set_cached_value(invitation, tenant)
    return invitation
