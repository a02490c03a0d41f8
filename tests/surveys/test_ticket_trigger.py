"""The "how was this service" survey after a resolved ticket: kinds, tiers, sampling,
one round per ticket, the fatigue rule, and the metrics signal queuing the task."""

from __future__ import annotations

import datetime as dt

import time_machine

from metrics.signals import ticket_resolved
from slaweb.tenancy.context import tenant_context
from surveys import services, tasks
from surveys.choices import InvitationStatus, SkipReason
from surveys.models import Campaign, Invitation, Round
from tests.factories.metrics import TicketFactory

from .conftest import MONDAY, make_campaign

RESOLVED = MONDAY - dt.timedelta(hours=1)


def ticket_campaign(tenant, **fields):
    campaign = make_campaign(tenant, "SLA-T", trigger="ticket", **fields)
    with tenant_context(tenant):
        assert Campaign.objects.get(pk=campaign.pk).next_run_at is None
    return campaign


def ticket(tenant, campaign, **fields):
    defaults = {
        "kind": "incident",
        "tier_code": "P1",
        "resolved_at": RESOLVED,
        "opened_at": RESOLVED - dt.timedelta(hours=3),
    }
    return TicketFactory(tenant=tenant, agreement=campaign.agreement, **{**defaults, **fields})


@time_machine.travel(MONDAY, tick=False)
def test_a_resolved_ticket_invites_the_recipients_once(tenant_a):
    campaign = ticket_campaign(tenant_a, ticket_kinds=["incident"], ticket_tiers=["P1"])
    done = ticket(tenant_a, campaign, external_id="INC-1")
    other_kind = ticket(tenant_a, campaign, external_id="REQ-1", kind="service_request")
    other_tier = ticket(tenant_a, campaign, external_id="INC-2", tier_code="P3")
    with tenant_context(tenant_a):
        assert services.invite_after_tickets([done.pk, other_kind.pk, other_tier.pk]) == 1
        assert services.invite_after_tickets([done.pk]) == 0  # a retry creates nothing
        round_ = Round.objects.get()
        assert round_.ticket_ref == "INC-1" and round_.period_start == dt.date(2026, 6, 8)
        assert Invitation.objects.filter(status=InvitationStatus.QUEUED).count() == 2


@time_machine.travel(MONDAY, tick=False)
def test_the_fatigue_rule_applies_to_the_next_ticket(tenant_a):
    campaign = ticket_campaign(tenant_a)
    first, second = ticket(tenant_a, campaign), ticket(tenant_a, campaign)
    with tenant_context(tenant_a):
        services.invite_after_tickets([first.pk])
        services.invite_after_tickets([second.pk])
        later = Invitation.objects.filter(round__ticket_ref=second.external_id)
        assert {i.skip_reason for i in later} == {SkipReason.FATIGUE}


@time_machine.travel(MONDAY, tick=False)
def test_sampling_picks_a_stable_share(tenant_a):
    campaign = ticket_campaign(tenant_a, sampling_percent=30, fatigue_days=0)
    tickets = [ticket(tenant_a, campaign) for _ in range(60)]
    with tenant_context(tenant_a):
        picked = services.invite_after_tickets([t.pk for t in tickets])
        assert 6 <= picked <= 30  # about 18 of 60
        assert services.invite_after_tickets([t.pk for t in tickets]) == 0


def test_the_metrics_signal_queues_the_task(tenant_a, monkeypatch):
    queued = []
    monkeypatch.setattr(tasks.invite_after_tickets, "delay", lambda *args: queued.append(args))
    ticket_resolved.send(sender=None, tenant_id=tenant_a.pk, ticket_ids=[7, 8])
    assert queued == [(tenant_a.pk, [7, 8])]
