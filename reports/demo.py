"""Demo reports (`manage.py seed_demo`, after the metrics and surveys demos): idempotent.

Two agreements running for over a year give the portfolio 12 months of history, with
colours chosen relative to today: in the last closed month the managed network is amber
(first-contact resolution below target), the desktop support red for the third month
running (an improvement plan opens); the older demo agreements are green there. Every
month before the one now due is published; the due one is published and mailed by the
dispatcher, as the daily beat would, and one reader has acknowledged it.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.utils import timezone

from agreements import services as agreement_services
from agreements.choices import Side
from agreements.demo import FIRST_CONTACT, SERVER_RESPONSE, _activate, _calendars, _customers
from agreements.demo import _services as _demo_services
from agreements.models import Agreement, Contact
from metrics.models import ComplianceResult
from metrics.periods import agreement_time_zone, period_end, previous
from metrics.services.compliance import mark_periods, recompute_stale
from metrics.services.ingest import ingest_records

from .models import Report, ReportDelivery
from .services import delivery
from .services.publishing import publish

CN = ZoneInfo("Asia/Shanghai")
NETWORK, DESKTOP = "SLA-2025-007", "SLA-2025-008"
MONTH = "month"
HISTORY = 13  # months of data: 12 closed ones and the current one


def seed(tenant) -> None:
    now = timezone.now()
    this_month = now.astimezone(CN).date().replace(day=1)
    months = [this_month]
    for _ in range(HISTORY - 1):
        months.insert(0, previous(months[0], MONTH))
    network, desktop = _agreements(months[0])
    # Colours are set for the month whose report is due now (the latest one published).
    due = delivery.due_period(now.astimezone(CN).date(), network.report_day_of_month)
    _measure(tenant, network, desktop, months, due, now)
    _publish_history(now)
    _correct_and_republish(tenant, network, previous(due, MONTH), now)
    _acknowledge_one()


def _agreements(first_month: dt.date) -> tuple[Agreement, Agreement]:
    customers = _customers()
    svc = _demo_services()
    business, _always = _calendars()
    anna = Contact.objects.get(email="anna@northwind.example")
    li = Contact.objects.get(email="li.lei@huaxin.example")
    specs = {
        NETWORK: {
            "title": "网络托管服务 Managed network service",
            "customer": customers["huaxin"],
            "customer_contact": li,
            "services": [svc["servers"]],
            "recipients": [
                {
                    "side": Side.PROVIDER,
                    "name": "Zhang Wei 张伟",
                    "email": "zhang.wei@demo.example",
                },
                {"side": Side.CUSTOMER, "contact": li},
            ],
        },
        DESKTOP: {
            "title": "桌面支持 Desktop support",
            "customer": customers["northwind"],
            "customer_contact": anna,
            "services": [svc["hotline"]],
            "recipients": [
                {"side": Side.PROVIDER, "name": "Mia Manager", "email": "manager@demo.example"},
                {"side": Side.CUSTOMER, "contact": anna},
            ],
        },
    }
    found = []
    for reference, fields in specs.items():
        agreement = Agreement.objects.filter(reference=reference).order_by("-version").first()
        if agreement is None:
            agreement = agreement_services.create_agreement(
                reference=reference,
                default_calendar=business,
                currency="CNY",
                provider_team="IT 运维部 IT Operations",
                provider_contact_name="Zhang Wei 张伟",
                provider_contact_email="zhang.wei@demo.example",
                effective_from=first_month,
                monthly_fee=Decimal("20000"),
                credit_percent=Decimal("5"),
                metrics=[SERVER_RESPONSE, FIRST_CONTACT],
                **fields,
            )
            agreement = _activate(agreement)
        found.append(agreement)
    return found[0], found[1]


def _fcr_share(reference: str, month: dt.date, due: dt.date) -> float:
    """First-contact resolution per month (target 85 %, minimum 75 %)."""
    back = (due.year - month.year) * 12 + due.month - month.month
    if reference == NETWORK:
        return {0: 0.80, 5: 0.70}.get(back, 0.90)  # amber last month, red in one
    return {0: 0.70, 1: 0.70, 2: 0.70, 7: 0.80}.get(back, 0.90)  # red 3 months running


def _measure(tenant, network: Agreement, desktop: Agreement, months, due, now) -> None:
    rng = random.Random(2025)
    tickets = []
    for agreement in (network, desktop):
        prefix = "NET" if agreement.reference == NETWORK else "DSK"
        for month in months:
            share = _fcr_share(agreement.reference, month, due)
            for n in range(20):
                day = min(28, 1 + n + rng.randint(0, 7))
                opened = dt.datetime(month.year, month.month, day, 10, n, tzinfo=CN)
                response = rng.randint(5, 40)
                resolved = opened + dt.timedelta(minutes=response + rng.randint(30, 300))
                if resolved > now:
                    continue
                tickets.append(
                    {
                        "agreement": agreement.reference,
                        "external_id": f"{prefix}-{month:%Y%m}-{n:02d}",
                        "priority": "P2" if n % 4 else "P1",
                        "kind": "incident",
                        "category": "network" if prefix == "NET" else "desktop",
                        "opened_at": opened.isoformat(),
                        "first_response_at": (opened + dt.timedelta(minutes=response)).isoformat(),
                        "resolved_at": resolved.isoformat(),
                        "first_contact_resolved": n < round(share * 20),
                    }
                )
    result = ingest_records("tickets", tickets, source="demo")
    if result.errors:
        raise RuntimeError(f"demo tickets: {result.errors[:3]}")
    mark_periods(tenant.pk, {network.family, desktop.family}, periods=months)
    recompute_stale(tenant.pk, now=now)


def _publish_history(now) -> None:
    """Publish the 11 months before the one now due of each family with results, then let
    the dispatcher publish and mail the due month (12 published months)."""
    measured = set(
        ComplianceResult.objects.filter(period_kind=MONTH, count_all__gt=0).values_list(
            "family", "period_start"
        )
    )
    versions = list(
        Agreement.objects.filter(status__in=delivery.IN_FORCE_STATUSES)
        .exclude(effective_from__isnull=True)
        .select_related("default_calendar", "tenant")
        .order_by("family", "version")
    )
    families: dict = {}
    for version in versions:
        families.setdefault(version.family, []).append(version)
    for family_versions in families.values():
        latest = family_versions[-1]
        local_today = now.astimezone(ZoneInfo(agreement_time_zone(latest))).date()
        month = delivery.due_period(local_today, latest.report_day_of_month)
        for _ in range(11):
            month = previous(month, MONTH)
            version = delivery.in_force(family_versions, month, period_end(month, MONTH))
            if (
                version is None
                or (latest.family, month) not in measured
                or Report.objects.filter(
                    family=latest.family, period_kind=MONTH, period_start=month
                ).exists()
            ):
                continue
            publish(version, MONTH, month, scheduled=True, now=now)
    delivery.dispatch(now)


def _correct_and_republish(tenant, agreement: Agreement, month: dt.date, now) -> None:
    """A ticket reported late changes a published month: revision 2 beside revision 1."""
    published = Report.objects.filter(
        family=agreement.family, period_kind=MONTH, period_start=month
    )
    if not published.filter(revision=1).exists() or published.filter(revision=2).exists():
        return
    opened = dt.datetime(month.year, month.month, 27, 15, 0, tzinfo=CN)
    late = {
        "agreement": agreement.reference,
        "external_id": f"NET-{month:%Y%m}-LATE",
        "priority": "P2",
        "kind": "incident",
        "category": "network",
        "opened_at": opened.isoformat(),
        "first_response_at": (opened + dt.timedelta(minutes=25)).isoformat(),
        "resolved_at": (opened + dt.timedelta(hours=3)).isoformat(),
        "first_contact_resolved": False,
    }
    result = ingest_records("tickets", [late], source="demo")
    if result.errors:
        raise RuntimeError(f"demo late ticket: {result.errors[:3]}")
    mark_periods(tenant.pk, {agreement.family}, periods=[month])
    recompute_stale(tenant.pk, now=now)
    publish(
        agreement,
        MONTH,
        month,
        reason="工单系统补报一张工单 A ticket reported late by the ITSM export",
        now=now,
    )


def _acknowledge_one() -> None:
    """Li Lei opened and acknowledged the network report he was sent (once)."""
    sent = (
        ReportDelivery.objects.filter(email="li.lei@huaxin.example")
        .order_by("-report__period_start")
        .first()
    )
    if sent is not None and sent.acknowledged_at is None:
        at = sent.created_at + dt.timedelta(hours=5)
        delivery.mark_opened(sent, at - dt.timedelta(minutes=20))
        delivery.acknowledge(sent, "Li Lei 李雷", at)
