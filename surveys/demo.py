"""Demo data: two campaigns with 12 months of answered rounds, some low scores, open and
closed follow-ups. Idempotent (called by seed_demo inside the demo tenant's context)."""

from __future__ import annotations

import datetime as dt
import random
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from agreements.choices import AgreementStatus, Language
from agreements.models import Agreement, Contact

from . import services
from .choices import Channel, FollowUpStatus, InvitationStatus, QuestionKind, SkipReason, Trigger
from .models import Campaign, FollowUp, Invitation, Question, Round
from .results import push_satisfaction_samples
from .services.schedule import RUN_TIME, _month_add

MONTHLY = "月度满意度调查 Monthly satisfaction survey"
QUARTERLY = "热线季度匿名调查 Hotline quarterly (anonymous)"
TICKETS = "工单回访 How was this service (tickets)"

EXTRA_CONTACTS = {
    "SLA-2026-001": [
        ("Zhao Min 赵敏", "zhao.min@huaxin.example", Language.ZH_HANS),
        ("Sun Qiang 孙强", "sun.qiang@huaxin.example", Language.ZH_HANS),
        ("Tom Baker", "tom.baker@huaxin.example", Language.EN),
    ],
    "SLA-2026-002": [
        ("Jonas Berg", "jonas@northwind.example", Language.EN),
        ("Liu Yang 刘洋", "liu.yang@northwind.example", Language.ZH_HANS),
        ("Maria Rossi", "maria@northwind.example", Language.EN),
        ("Chen Hao 陈浩", "chen.hao@northwind.example", Language.ZH_HANS),
    ],
}
OPEN_TEXTS = [
    "希望增加夜间技术支持",
    "响应速度很快，非常满意",
    "报表格式需简化",
    "工程师很专业，但回复邮件有点慢",
    "Night-time support would help",
    "Faster answers by email, please",
    "夜间技术支持不够，等待时间长",
    "",
    "",
]


def seed(tenant) -> None:
    if Campaign.objects.filter(name=MONTHLY).exists():
        return
    rng = random.Random(2026)
    questionnaire = services.create_default_questionnaire(tenant)
    today = timezone.localdate()
    sla = _in_force("SLA-2026-001")
    hotline = _in_force("SLA-2026-002")
    if sla is None or hotline is None:
        return
    with transaction.atomic():
        monthly = services.save_campaign(
            Campaign(
                name=MONTHLY,
                scope="agreement",
                agreement=sla,
                questionnaire=questionnaire,
                trigger=Trigger.MONTHLY,
                fatigue_days=20,
            ),
            recipients=_contacts(sla),
        )
        quarterly = services.save_campaign(
            Campaign(
                name=QUARTERLY,
                scope="agreement",
                agreement=hotline,
                questionnaire=questionnaire,
                trigger=Trigger.QUARTERLY,
                anonymous=True,
                fatigue_days=20,
            ),
            recipients=_contacts(hotline),
        )
        services.save_campaign(
            Campaign(
                name=TICKETS,
                scope="agreement",
                agreement=sla,
                questionnaire=questionnaire,
                trigger=Trigger.TICKET,
                ticket_kinds=["incident"],
                ticket_tiers=["P1", "P2"],
                sampling_percent=30,
                active=True,
            ),
            recipients=_contacts(sla)[:2],
        )
        first = _month_add(today.replace(day=1), -12)
        for step in range(12):
            start = _month_add(first, step)
            end = _month_add(start, 1) - dt.timedelta(days=1)
            _round(monthly, start, end, rng, recent=step >= 10)
        for step in range(0, 12, 3):
            start = _month_add(first, step)
            end = _month_add(start, 3) - dt.timedelta(days=1)
            if end < today:
                _round(quarterly, start, end, rng, recent=False)
    for round_ in Round.objects.filter(campaign=monthly):
        push_satisfaction_samples(round_.pk)


def _in_force(reference: str) -> Agreement | None:
    return (
        Agreement.objects.filter(reference=reference, status=AgreementStatus.ACTIVE)
        .order_by("-version")
        .first()
    )


def _contacts(agreement: Agreement) -> list[Contact]:
    for name, email, language in EXTRA_CONTACTS.get(agreement.reference, []):
        Contact.objects.get_or_create(
            customer=agreement.customer, email=email, defaults={"name": name, "language": language}
        )
    return list(Contact.objects.filter(customer=agreement.customer).order_by("pk"))


def _round(campaign: Campaign, start: dt.date, end: dt.date, rng: random.Random, recent: bool):
    """A past round: opened on the 5th after the period, answers by most recipients."""
    zone = ZoneInfo("Asia/Shanghai")
    opens = dt.datetime.combine(_month_add(end, 1).replace(day=5), RUN_TIME, zone)
    cal = campaign.calendar()
    round_ = Round.objects.create(
        campaign=campaign,
        questionnaire=campaign.questionnaire,
        period_start=start,
        period_end=end,
        opens_at=opens,
        closes_at=services.add_working_days(cal, opens, campaign.answer_window_days),
    )
    questions = list(Question.objects.filter(questionnaire=campaign.questionnaire))
    for index, contact in enumerate(campaign.recipient_links.select_related("contact")):
        contact = contact.contact
        roll = rng.random()
        status = InvitationStatus.QUEUED
        if index == 3 and start.month % 4 == 0:
            Invitation.objects.create(
                round=round_,
                contact=contact,
                language=contact.language,
                status=InvitationStatus.SKIPPED,
                skip_reason=SkipReason.FATIGUE,
            )
            continue
        if roll < 0.08:
            status = InvitationStatus.BOUNCED
        invitation = Invitation.objects.create(
            round=round_, contact=contact, language=contact.language, status=status
        )
        if status == InvitationStatus.BOUNCED or roll > 0.85:
            continue  # bounced, or did not answer
        low = rng.random() < 0.15
        values = {}
        for question in questions:
            if question.kind == QuestionKind.OPEN:
                values[question.pk] = rng.choice(OPEN_TEXTS)
            else:
                values[question.pk] = rng.choice([2, 3] if low else [4, 4, 5, 5, 3])
        channel = Channel.PHONE if rng.random() < 0.1 else Channel.WEB
        services.submit_response(
            invitation,
            values,
            may_contact=low,
            channel=channel,
            language=contact.language,
            notify=False,
        )
        follow_up = FollowUp.objects.filter(response__invitation=invitation).first() or (
            FollowUp.objects.filter(response__round=round_, contact=contact).first()
        )
        if follow_up is None:
            continue
        due = services.add_working_days(cal, opens + dt.timedelta(days=1), 2)
        FollowUp.objects.filter(pk=follow_up.pk).update(due_at=due)
        if not recent:
            FollowUp.objects.filter(pk=follow_up.pk).update(
                status=FollowUpStatus.CLOSED,
                contacted_at=opens + dt.timedelta(days=1),
                cause=rng.choice(
                    [
                        "夜班只有一名工程师 Only one engineer on the night shift",
                        "邮件回复排队 Email replies were queued behind phone calls",
                        "变更未提前通知 A change was not announced in advance",
                    ]
                ),
                action=rng.choice(
                    [
                        "增加夜班人手 Second engineer on nights",
                        "邮件四小时内回复 Email answered within four hours",
                        "变更提前三天通知 Changes announced three days ahead",
                    ]
                ),
                closed_at=opens + dt.timedelta(days=2),
            )
        elif rng.random() < 0.5:
            FollowUp.objects.filter(pk=follow_up.pk).update(escalated_at=due)
    return round_
