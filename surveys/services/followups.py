"""Follow-ups of low scores: opened on submit, closed with cause and action, escalated once."""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from slaweb.mail import services as mail
from slaweb.tenancy.models import Membership, Role, Tenant

from ..choices import FollowUpStatus
from ..models import FollowUp, Response
from .links import site_url
from .workdays import add_working_days

FOLLOW_UP_WORKING_DAYS = 2  # seed 000: contact the customer within 2 working days


def open_follow_up(response: Response, campaign, lowest: int, now: datetime | None = None):
    now = now or timezone.now()
    agreement = campaign.agreement
    return FollowUp.objects.create(
        tenant_id=response.tenant_id,
        response=response,
        campaign=campaign,
        agreement=agreement,
        contact_id=response.contact_id,
        lowest_score=lowest,
        due_at=add_working_days(campaign.calendar(), now, FOLLOW_UP_WORKING_DAYS),
        assignee_name=agreement.provider_contact_name if agreement else "",
        assignee_email=agreement.provider_contact_email if agreement else "",
    )


@transaction.atomic
def close_follow_up(follow_up: FollowUp, *, cause: str, action: str, contacted_at=None, user=None):
    """Close with the cause found and the action taken (both required)."""
    if follow_up.status == FollowUpStatus.CLOSED:
        raise ValidationError("This follow-up is already closed.")
    follow_up.cause, follow_up.action = cause.strip(), action.strip()
    follow_up.contacted_at = contacted_at or follow_up.contacted_at
    follow_up.status = FollowUpStatus.CLOSED
    follow_up.full_clean()
    follow_up.closed_at = timezone.now()
    follow_up.closed_by = user
    follow_up.save()
    return follow_up


def escalate_overdue(now: datetime | None = None) -> int:
    """Mail each overdue open follow-up of the open tenant once: to the assignee and the
    tenant's admins. Claimed by a conditional UPDATE of escalated_at in the same
    transaction as the outbox rows (keyed per follow-up), so never twice."""
    from django.urls import reverse

    now = now or timezone.now()
    escalated = 0
    overdue = FollowUp.objects.filter(
        status=FollowUpStatus.OPEN, escalated_at__isnull=True, due_at__lt=now
    ).select_related("campaign", "agreement")
    admins = list(Membership.objects.filter(role=Role.ADMIN).values_list("user__email", flat=True))
    for follow_up in overdue:
        with transaction.atomic():
            claimed = FollowUp.objects.filter(pk=follow_up.pk, escalated_at__isnull=True).update(
                escalated_at=now
            )
            if not claimed:
                continue
            tenant = Tenant.objects.get(pk=follow_up.tenant_id)
            url = site_url() + reverse("surveys:followup-detail", args=[tenant.slug, follow_up.pk])
            to = sorted({a for a in [follow_up.assignee_email, *admins] if a})
            for address in to:
                mail.enqueue(
                    "followup-escalation",
                    address,
                    {
                        "tenant_name": tenant.name,
                        "campaign": follow_up.campaign.name,
                        "agreement": follow_up.agreement.title if follow_up.agreement else "",
                        "lowest_score": follow_up.lowest_score,
                        "due": follow_up.due_at.strftime("%Y-%m-%d %H:%M UTC"),
                        "assignee": follow_up.assignee_name,
                        "url": url,
                    },
                    key=f"followup-escalation:{follow_up.pk}:{address}",
                    language=tenant.language,
                    from_name=tenant.name[:100],
                )
            escalated += 1
    return escalated
