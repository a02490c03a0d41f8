"""Campaigns: saving with recipients and the schedule."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from ..models import Campaign, CampaignRecipient
from .schedule import next_run_after


@transaction.atomic
def save_campaign(campaign: Campaign, recipients=None) -> Campaign:
    """Validate and save; `recipients` (contacts) replaces the list when given."""
    if campaign.scope == "agreement" and campaign.agreement_id:
        campaign.customer_id = campaign.agreement.customer_id
    campaign.full_clean()
    if campaign.active and campaign.next_run_at is None:
        campaign.next_run_at = next_run_after(campaign, timezone.now())
    if not campaign.active:
        campaign.next_run_at = None
    campaign.save()
    if recipients is not None:
        wanted = {contact.pk for contact in recipients}
        CampaignRecipient.objects.filter(campaign=campaign).exclude(contact_id__in=wanted).delete()
        have = set(
            CampaignRecipient.objects.filter(campaign=campaign).values_list("contact_id", flat=True)
        )
        CampaignRecipient.objects.bulk_create(
            CampaignRecipient(tenant_id=campaign.tenant_id, campaign=campaign, contact_id=pk)
            for pk in sorted(wanted - have)
        )
    return campaign
