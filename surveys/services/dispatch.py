"""Dispatch: due campaigns are claimed, a round is created with one invitation per
recipient (or a skip with the reason), and each mail goes through the outbox.

Exactly once: the claim (conditional UPDATE of next_run_at), the round, the invitations
and the outbox rows are written in one transaction; the round is unique per period, the
invitation per round and contact, and the outbox key per invitation (and reminder).
"""

from __future__ import annotations

import logging
import secrets
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.formats import date_format

from agreements.choices import EmailStatus
from agreements.models import Contact
from slaweb.mail import services as mail
from slaweb.tenancy.context import tenant_context
from slaweb.tenancy.models import Tenant

from ..choices import InvitationStatus, SkipReason, Trigger
from ..models import Campaign, Invitation, Round, SurveyLink
from .links import answer_url, digest, unsubscribe_url
from .schedule import next_run_after, period_for_run
from .workdays import add_working_days

log = logging.getLogger(__name__)

__all__ = [
    "claim_and_run_due",
    "dispatch_due_campaigns",
    "mark_bounced",
    "next_run_after",
    "opt_out",
    "period_for_run",
    "run_campaign",
    "send_reminders",
]


def dispatch_due_campaigns(now: datetime | None = None) -> int:
    """Beat entry: every tenant in its own scope (RLS stays on); returns rounds created."""
    now = now or timezone.now()
    created = 0
    for tenant_id in Tenant.objects.order_by("pk").values_list("pk", flat=True):
        with tenant_context(tenant_id):
            created += claim_and_run_due(now)
    return created


def claim_and_run_due(now: datetime) -> int:
    """Claim each due campaign of the open tenant and run it, one transaction each."""
    created = 0
    due = list(
        Campaign.objects.filter(active=True, next_run_at__lte=now).values_list("pk", "next_run_at")
    )
    for pk, scheduled in due:
        try:
            with transaction.atomic():
                campaign = Campaign.objects.select_related(
                    "agreement__default_calendar", "customer", "questionnaire"
                ).get(pk=pk)
                following = (
                    None if campaign.trigger == Trigger.ONCE else next_run_after(campaign, now)
                )
                claimed = Campaign.objects.filter(pk=pk, next_run_at=scheduled).update(
                    next_run_at=following, active=campaign.trigger != Trigger.ONCE
                )
                if claimed:
                    run_campaign(campaign, scheduled, now)
                    created += 1
        except Exception:  # one broken campaign must not stop the others; retried next beat
            log.exception("survey campaign %s failed to run", pk)
    return created


def run_campaign(campaign: Campaign, scheduled: datetime, now: datetime | None = None) -> Round:
    """Create the round of the run and invite every eligible recipient."""
    now = now or timezone.now()
    start, end = period_for_run(campaign, scheduled)
    with transaction.atomic():
        round_, created = Round.objects.get_or_create(
            campaign=campaign,
            period_start=start,
            period_end=end,
            defaults={
                "questionnaire": campaign.questionnaire,
                "opens_at": now,
                "closes_at": add_working_days(
                    campaign.calendar(), now, campaign.answer_window_days
                ),
            },
        )
        if created:
            _invite(campaign, round_, now)
    return round_


def _invite(campaign: Campaign, round_: Round, now: datetime) -> None:
    contacts = list(
        Contact.objects.filter(pk__in=campaign.recipient_links.values("contact_id")).order_by("pk")
    )
    recent = set(
        Invitation.objects.filter(
            contact_id__in=[c.pk for c in contacts],
            created_at__gte=now - timedelta(days=campaign.fatigue_days),
        )
        .exclude(status=InvitationStatus.SKIPPED)
        .values_list("contact_id", flat=True)
    )
    suppressed = mail.suppressed_among([c.email for c in contacts])
    invitations = [
        Invitation(
            tenant_id=campaign.tenant_id,
            round=round_,
            contact=contact,
            language=contact.language,
            **_skip(contact, recent, suppressed),
        )
        for contact in contacts
    ]
    Invitation.objects.bulk_create(invitations, batch_size=1000)
    send_invitations(
        [i for i in invitations if i.status != InvitationStatus.SKIPPED], campaign, round_
    )


def _skip(contact: Contact, recent: set[int], suppressed: set[str]) -> dict:
    reason = ""
    if contact.archived:
        reason = SkipReason.ARCHIVED
    elif contact.email_status == EmailStatus.OPTED_OUT:
        reason = SkipReason.OPTED_OUT
    elif contact.email_status == EmailStatus.BOUNCED or mail.normalise(contact.email) in suppressed:
        reason = SkipReason.BOUNCED
    elif contact.pk in recent:
        reason = SkipReason.FATIGUE
    if reason:
        return {"status": InvitationStatus.SKIPPED, "skip_reason": reason}
    return {"status": InvitationStatus.QUEUED}


def subject_of(campaign: Campaign, language: str) -> str:
    """What the survey is about: the agreement's title, else the customer's name."""
    if campaign.agreement_id:
        return campaign.agreement.title
    return campaign.customer.name


def period_label(round_: Round, language: str) -> str:
    with translation.override(language):
        if round_.period_start == round_.period_end:
            return date_format(round_.period_start, "DATE_FORMAT")
        if round_.period_start.day == 1 and round_.period_end.month == round_.period_start.month:
            return date_format(round_.period_start, "YEAR_MONTH_FORMAT")
        return (
            f"{date_format(round_.period_start, 'DATE_FORMAT')} – "
            f"{date_format(round_.period_end, 'DATE_FORMAT')}"
        )


def send_invitations(
    invitations: list[Invitation], campaign: Campaign, round_: Round, reminder: int = 0
) -> None:
    """Queue the mails of many invitations of one round, each with a fresh link: the
    links in one INSERT and the outbox rows through mail.enqueue_many (a round of
    10,000 took minutes one row at a time)."""
    if not invitations:
        return
    tenant = Tenant.objects.get(pk=campaign.tenant_id)
    tokens = [secrets.token_urlsafe(32) for _ in invitations]
    SurveyLink.objects.bulk_create(
        [
            SurveyLink(digest=digest(token), tenant_id=invitation.tenant_id, invitation=invitation)
            for token, invitation in zip(tokens, invitations, strict=True)
        ],
        batch_size=1000,
    )
    closes_local = round_.closes_at.astimezone(tenant_zone(tenant)) - timedelta(seconds=1)
    reply_to = campaign.agreement.provider_contact_email if campaign.agreement_id else ""
    labels = {}
    for language in {invitation.language for invitation in invitations}:
        with translation.override(language):
            labels[language] = (
                date_format(closes_local, "DATE_FORMAT"),
                subject_of(campaign, language),
                period_label(round_, language),
            )
    kind = "survey-reminder" if reminder else "survey-invitation"
    mails = []
    for token, invitation in zip(tokens, invitations, strict=True):
        key = f"survey-invitation:{invitation.pk}"
        if reminder:
            key = f"survey-reminder:{invitation.pk}:{reminder}"
        closes_label, subject, period = labels[invitation.language]
        unsubscribe = unsubscribe_url(token)
        mails.append(
            mail.Mail(
                kind=kind,
                to=invitation.contact.email,
                context={
                    "contact_name": invitation.contact.name,
                    "tenant_name": tenant.name,
                    "subject": subject,
                    "period": period,
                    "closes": closes_label,
                    "url": answer_url(token),
                    "unsubscribe_url": unsubscribe,
                    "anonymous": campaign.anonymous,
                },
                key=key,
                language=invitation.language,
                from_name=tenant.name[:100],
                reply_to=reply_to,
                headers={
                    "List-Unsubscribe": f"<{unsubscribe}>",
                    "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
                },
                erase_body_after_send=True,
            )
        )
    mail.enqueue_many(mails)


def tenant_zone(tenant):
    from zoneinfo import ZoneInfo

    return ZoneInfo(tenant.time_zone)


def send_reminders(now: datetime | None = None) -> int:
    """Remind the open tenant's invitees who have not answered: the k-th reminder after
    k x N working days, at most M. Claimed with a conditional UPDATE before queuing."""
    now = now or timezone.now()
    sent = 0
    rounds = Round.objects.filter(
        opens_at__lte=now, closes_at__gt=now, campaign__reminder_max__gt=0
    ).select_related("campaign__agreement__default_calendar", "campaign__customer")
    for round_ in rounds:
        campaign = round_.campaign
        cal = campaign.calendar()
        for k in range(1, campaign.reminder_max + 1):
            if add_working_days(cal, round_.opens_at, campaign.reminder_after_days * k) > now:
                break
            with transaction.atomic():
                pending = list(
                    Invitation.objects.select_for_update(skip_locked=True)
                    .filter(round=round_, status=InvitationStatus.QUEUED, reminders_sent=k - 1)
                    .select_related("contact")
                )
                reminded = []
                for invitation in pending:
                    claimed = Invitation.objects.filter(
                        pk=invitation.pk, status=InvitationStatus.QUEUED, reminders_sent=k - 1
                    ).update(reminders_sent=k)
                    if claimed and invitation.contact.can_receive_email:
                        reminded.append(invitation)
                send_invitations(reminded, campaign, round_, reminder=k)
                sent += len(reminded)
    return sent


def mark_bounced(tenant_id: int, address: str) -> None:
    """A permanent refusal: the tenant's contacts with that address are bounced."""
    with tenant_context(tenant_id), transaction.atomic():
        contacts = Contact.objects.filter(email__iexact=address)
        ids = list(contacts.values_list("pk", flat=True))
        contacts.update(email_status=EmailStatus.BOUNCED)
        Invitation.objects.filter(contact_id__in=ids, status=InvitationStatus.QUEUED).update(
            status=InvitationStatus.BOUNCED
        )


def opt_out(invitation: Invitation) -> None:
    """The recipient asked for no more survey mail (RFC 8058 one-click or the page)."""
    Contact.objects.filter(pk=invitation.contact_id).filter(
        ~Q(email_status=EmailStatus.BOUNCED)
    ).update(email_status=EmailStatus.OPTED_OUT)


def invite_after_tickets(ticket_ids: list[int], now: datetime | None = None) -> int:
    """ "How was this service": for resolved tickets of the open tenant, a round per ticket
    and campaign (trigger "after a ticket is resolved", matching kinds and tiers, sampled
    by a stable hash so a retry picks the same tickets); the fatigue rule applies."""
    from metrics.models import Ticket

    now = now or timezone.now()
    tickets = list(
        Ticket.objects.filter(pk__in=ticket_ids, resolved_at__isnull=False).values(
            "family", "kind", "tier_code", "external_id", "resolved_at"
        )
    )
    if not tickets:
        return 0
    campaigns = list(
        Campaign.objects.filter(
            active=True,
            trigger=Trigger.TICKET,
            agreement__family__in={t["family"] for t in tickets},
        ).select_related("agreement__default_calendar", "customer", "questionnaire")
    )
    created = 0
    for campaign in campaigns:
        for ticket in tickets:
            if _ticket_counts(campaign, ticket):
                created += _ticket_round(campaign, ticket, now)
    return created


def _ticket_counts(campaign: Campaign, ticket: dict) -> bool:
    import hashlib

    if ticket["family"] != campaign.agreement.family:
        return False
    if campaign.ticket_kinds and ticket["kind"] not in campaign.ticket_kinds:
        return False
    if campaign.ticket_tiers and ticket["tier_code"] not in campaign.ticket_tiers:
        return False
    draw = hashlib.sha256(f"{campaign.pk}:{ticket['external_id']}".encode()).digest()
    return int.from_bytes(draw[:4], "big") % 100 < campaign.sampling_percent


def _ticket_round(campaign: Campaign, ticket: dict, now: datetime) -> int:
    day = ticket["resolved_at"].astimezone(tenant_zone(Tenant.objects.get(pk=campaign.tenant_id)))
    with transaction.atomic():
        round_, created = Round.objects.get_or_create(
            campaign=campaign,
            period_start=day.date(),
            period_end=day.date(),
            ticket_ref=ticket["external_id"][:100],
            defaults={
                "questionnaire": campaign.questionnaire,
                "opens_at": now,
                "closes_at": add_working_days(
                    campaign.calendar(), now, campaign.answer_window_days
                ),
            },
        )
        if created:
            _invite(campaign, round_, now)
    return int(created)
