"""Dispatch: the claim, the round and its invitations, skips with reasons, the outbox."""

from __future__ import annotations

import datetime as dt

import time_machine

from agreements.choices import EmailStatus
from agreements.models import Contact
from slaweb.mail.models import OutboxMessage
from slaweb.tenancy.context import tenant_context
from surveys import services
from surveys.choices import InvitationStatus, SkipReason
from surveys.models import Campaign, Invitation, Round, SurveyLink

from .conftest import MONDAY, dispatch, make_campaign


@time_machine.travel(MONDAY, tick=False)
def test_a_due_campaign_gets_one_round_with_an_invitation_per_recipient(tenant_a, campaign):
    assert dispatch(tenant_a, campaign) == 1
    with tenant_context(tenant_a):
        round_ = Round.objects.get(campaign=campaign)
        assert (round_.period_start, round_.period_end) == (
            dt.date(2026, 5, 1),
            dt.date(2026, 5, 31),
        )
        # 3 working days from Monday 8 June (Shanghai): the window ends with Thursday 11 June.
        assert round_.closes_at == dt.datetime(2026, 6, 11, 16, 0, tzinfo=dt.UTC)
        invitations = list(Invitation.objects.filter(round=round_).select_related("contact"))
        assert sorted(i.language for i in invitations) == ["en", "zh-hans"]
        assert {i.status for i in invitations} == {InvitationStatus.QUEUED}
        messages = OutboxMessage.objects.filter(kind="survey-invitation")
        assert sorted(m.to_address for m in messages) == sorted(
            i.contact.email for i in invitations
        )
        zh = messages.get(language="zh-hans")
        assert "2026年5月" in zh.subject
        assert zh.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert zh.headers["List-Unsubscribe"].startswith("<http")
        assert zh.reply_to == "zhang.wei@provider.example"
        assert zh.from_name == tenant_a.name
        # the next run is claimed: the 5th of next month, 09:00 Shanghai
        assert Campaign.objects.get(pk=campaign.pk).next_run_at == dt.datetime(
            2026, 7, 5, 1, 0, tzinfo=dt.UTC
        )
    assert SurveyLink.objects.filter(invitation__in=invitations).count() == 2


@time_machine.travel(MONDAY, tick=False)
def test_a_second_dispatch_creates_nothing_and_sends_nothing_twice(tenant_a, campaign):
    dispatch(tenant_a, campaign)
    assert services.dispatch_due_campaigns(MONDAY) == 0
    # even a campaign made due again for the same period makes no second round or mail
    assert dispatch(tenant_a, campaign) == 1
    with tenant_context(tenant_a):
        assert Round.objects.filter(campaign=campaign).count() == 1
        assert Invitation.objects.count() == 2
        assert OutboxMessage.objects.filter(kind="survey-invitation").count() == 2


@time_machine.travel(MONDAY, tick=False)
def test_a_campaign_claimed_elsewhere_is_not_run(tenant_a, campaign):
    with tenant_context(tenant_a):
        Campaign.objects.filter(pk=campaign.pk).update(next_run_at=MONDAY)
        # another dispatcher claimed it first: next_run_at moved on
        Campaign.objects.filter(pk=campaign.pk).update(next_run_at=MONDAY + dt.timedelta(days=27))
    assert services.dispatch_due_campaigns(MONDAY) == 0


@time_machine.travel(MONDAY, tick=False)
def test_skipped_recipients_are_listed_with_their_reason(tenant_a, campaign):
    with tenant_context(tenant_a):
        contacts = list(
            Contact.objects.filter(pk__in=campaign.recipient_links.values("contact_id"))
        )
        opted, bounced = contacts
        Contact.objects.filter(pk=opted.pk).update(email_status=EmailStatus.OPTED_OUT)
        Contact.objects.filter(pk=bounced.pk).update(email_status=EmailStatus.BOUNCED)
    dispatch(tenant_a, campaign)
    with tenant_context(tenant_a):
        skips = dict(Invitation.objects.values_list("contact_id", "skip_reason"))
        assert skips == {opted.pk: SkipReason.OPTED_OUT, bounced.pk: SkipReason.BOUNCED}
        assert set(Invitation.objects.values_list("status", flat=True)) == {
            InvitationStatus.SKIPPED
        }
        assert not OutboxMessage.objects.exists()


def test_the_fatigue_rule_skips_a_contact_invited_recently_by_any_campaign(tenant_a, campaign):
    with tenant_context(tenant_a):
        li = campaign.agreement.customer_contact
        other = Campaign.objects.create(
            name="Another",
            scope="agreement",
            agreement=campaign.agreement,
            customer=campaign.customer,
            questionnaire=campaign.questionnaire,
            fatigue_days=25,
        )
        services.save_campaign(other, recipients=[li])
    with time_machine.travel(MONDAY - dt.timedelta(days=10), tick=False):
        dispatch(tenant_a, other, MONDAY - dt.timedelta(days=10))
    with time_machine.travel(MONDAY, tick=False):
        dispatch(tenant_a, campaign)
    with tenant_context(tenant_a):
        latest = Invitation.objects.filter(round__campaign=campaign)
        assert latest.get(contact=li).skip_reason == SkipReason.FATIGUE
        assert latest.exclude(contact=li).get().status == InvitationStatus.QUEUED


@time_machine.travel(MONDAY, tick=False)
def test_dispatch_opens_each_tenant_in_its_own_scope(tenant_a, tenant_b):
    a = make_campaign(tenant_a, "SLA-A")
    b = make_campaign(tenant_b, "SLA-B")
    for tenant, campaign in ((tenant_a, a), (tenant_b, b)):
        with tenant_context(tenant):
            Campaign.objects.filter(pk=campaign.pk).update(next_run_at=MONDAY)
    assert services.dispatch_due_campaigns(MONDAY) == 2
    with tenant_context(tenant_b):
        assert set(Invitation.objects.values_list("round__campaign", flat=True)) == {b.pk}


def test_schedule_monthly_quarterly_and_once(tenant_a, campaign):
    with tenant_context(tenant_a):
        at = dt.datetime(2026, 2, 5, 1, 0, tzinfo=dt.UTC)  # the 5th, 09:00 Shanghai
        assert services.next_run_after(campaign, at) == dt.datetime(2026, 3, 5, 1, 0, tzinfo=dt.UTC)
        assert services.period_for_run(campaign, at) == (dt.date(2026, 1, 1), dt.date(2026, 1, 31))
        campaign.trigger = "quarterly"
        assert services.next_run_after(campaign, at) == dt.datetime(2026, 4, 5, 1, 0, tzinfo=dt.UTC)
        assert services.period_for_run(campaign, at) == (
            dt.date(2025, 10, 1),
            dt.date(2025, 12, 31),
        )
        campaign.trigger = "once"
        assert services.next_run_after(campaign, at) == at
