"""The Overview page (tenancy:dashboard): the panel registry of the platform, and the reports
app's panels per role (executives: last month's figures and what needs attention; managers:
tickets at risk, overdue follow-ups, agreements in review or expiring), each figure linking to
its detail, in a constant number of queries."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from slaweb.tenancy import dashboard
from slaweb.tenancy.context import tenant_context
from surveys.models import Response
from tests.factories.metrics import (
    CreditResultFactory,
    ImprovementActionFactory,
    TicketClockFactory,
    TicketFactory,
)
from tests.factories.surveys import FollowUpFactory
from tests.reports.portfolio_data import agreement, results, survey

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 15, 4, 0, tzinfo=dt.UTC)
SEP, OCT = dt.date(2026, 9, 1), dt.date(2026, 10, 1)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def metric(agreement_, name):
    with tenant_context(agreement_.tenant):
        return agreement_.metrics.get(name=name)


def overview(client, tenant):
    response = client.get(reverse("tenancy:dashboard", args=[tenant.slug]))
    assert response.status_code == 200
    return response, response.content.decode()


# -- the registry (platform) -----------------------------------------------------------------


def test_registry_orders_providers_and_skips_empty_ones():
    calls = []

    def late(request):
        calls.append("late")
        return [("b.html", {"n": 2})]

    def early(request):
        calls.append("early")
        return [("a.html", {"n": 1})]

    def nothing(request):
        return None

    saved = list(dashboard._providers)
    dashboard._providers.clear()
    try:
        dashboard.register(late, order=50)
        dashboard.register(nothing, order=1)
        dashboard.register(early, order=10)
        dashboard.register(early, order=10)  # once only
        assert dashboard.panels(object()) == [("a.html", {"n": 1}), ("b.html", {"n": 2})]
        assert calls == ["early", "late"]
        dashboard.unregister(late)
        assert dashboard.panels(object()) == [("a.html", {"n": 1})]
    finally:
        dashboard._providers[:] = saved


def test_the_platform_does_not_import_the_domain_apps():
    from pathlib import Path

    root = Path(dashboard.__file__).resolve().parent
    for name in ("dashboard.py", "views.py"):
        text = (root / name).read_text()
        for app in ("agreements", "metrics", "surveys", "reports"):
            assert f"from {app}" not in text and f"import {app}" not in text, (name, app)


# -- executives (viewer) -------------------------------------------------------------------


@pytest.fixture
def attention(tenant_a):
    """Last month (October): R red, with credits owed; S satisfaction fell 4.5 -> 3.0;
    G green. One improvement plan overdue."""
    red = agreement(tenant_a, reference="R", title="Red deal")
    results(red, OCT, "breached", "met")
    results(red, SEP, "met", "met")
    CreditResultFactory(agreement=red, period_start=OCT, amount=Decimal("1200.00"))
    falling = agreement(tenant_a, reference="S", title="Sliding deal")
    results(falling, OCT, "met", "met")
    survey(falling, SEP, [5, 4], invited=2, answered=2)
    survey(falling, OCT, [3, 3], invited=2, answered=2)
    green = agreement(tenant_a, reference="G", title="Green deal")
    results(green, OCT, "met", "warning")
    ImprovementActionFactory(metric=metric(red, "m0"), due_date=dt.date(2026, 11, 1))
    ImprovementActionFactory(metric=metric(red, "m1"), due_date=dt.date(2026, 12, 1))  # not due
    return {"red": red, "falling": falling}


def test_viewer_sees_last_months_figures_and_what_needs_attention(
    web_client_for, viewer_a, attention
):
    response, page = overview(web_client_for(viewer_a), viewer_a.tenant)
    assert "The portfolio in 2026-10" in page
    latest = response.context["panels"][0][1]["latest"]
    # October: R met 1 of 2, S 2 of 2, G 1 of 2 (warning): 4 of 6 met, 1 breach.
    assert (latest.share_met, latest.breached, latest.red) == (Decimal("66.7"), 1, 1)
    assert latest.credits == {"CNY": Decimal("1200.00")}
    assert (latest.satisfaction, latest.score_n) == (Decimal("3.00"), 2)
    portfolio_url = reverse("reports:portfolio", args=[viewer_a.tenant.slug])
    assert f'href="{portfolio_url}"' in page
    # What needs attention, each linking to the detail.
    red_report = f"/reports/agreements/{attention['red'].family}/2026-10/"
    assert f'href="/t/alpha{red_report}">R · Red deal</a>' in page
    assert "1 metric breached" in page
    assert "1,200.00 CNY" in page
    assert "1 improvement plan is past its due date" in page
    assert reverse("metrics:action-list", args=["alpha"]) + "?overdue=true" in page
    assert f"/reports/agreements/{attention['falling'].family}/2026-10/" in page
    assert "4.50 → 3.00" in page
    # Managers' operations are not a viewer's.
    assert "Operations now" not in page
    assert [t for t, _c in response.context["panels"]] == ["reports/panels/portfolio.html"]


def test_nothing_needs_attention(web_client_for, viewer_a, tenant_a):
    green = agreement(tenant_a, reference="G")
    results(green, OCT, "met", "met")
    _response, page = overview(web_client_for(viewer_a), tenant_a)
    assert "Nothing needs attention" in page
    assert "100.0 %" in page


# -- managers -----------------------------------------------------------------------------


@pytest.fixture
def operations(tenant_a):
    ticketed = agreement(tenant_a, reference="OPS", status="draft")
    m0 = metric(ticketed, "m0")

    def clock(external_id, target_in, minimum_in):
        ticket = TicketFactory(agreement=ticketed, external_id=external_id)
        return TicketClockFactory(
            ticket=ticket,
            metric=m0,
            started_at=NOW - dt.timedelta(hours=3),
            due_target_at=NOW + target_in,
            due_minimum_at=NOW + minimum_in,
            counts_at=NOW + minimum_in,
            state="running",
        )

    clock("INC-LATE", -dt.timedelta(minutes=10), dt.timedelta(hours=1))
    clock("INC-BREACH", -dt.timedelta(hours=2), -dt.timedelta(minutes=5))
    clock("INC-SOON", dt.timedelta(hours=1), dt.timedelta(hours=3))
    clock("INC-LATER", dt.timedelta(days=5), dt.timedelta(days=6))  # outside the board's window
    agreement(tenant_a, reference="REV", status="in_review")
    agreement(tenant_a, reference="EXP", effective_to=dt.date(2026, 12, 31))
    agreement(tenant_a, reference="FAR", effective_to=dt.date(2027, 12, 31))
    campaign = survey(ticketed, OCT, [2])
    with tenant_context(tenant_a):
        response = Response.objects.select_related("round__campaign").get(round__campaign=campaign)
        FollowUpFactory(response=response, due_at=NOW - dt.timedelta(days=1))
    return ticketed


def test_manager_sees_operations_first_then_the_portfolio(web_client_for, manager_a, operations):
    response, page = overview(web_client_for(manager_a), manager_a.tenant)
    names = [t for t, _c in response.context["panels"]]
    assert names == ["reports/panels/operations.html", "reports/panels/portfolio.html"]
    panel = response.context["panels"][0][1]
    assert panel["clocks"] == {"total": 3, "past_target": 2, "past_minimum": 1}
    assert [c.ticket.external_id for c in panel["soonest"]] == [
        "INC-BREACH",
        "INC-LATE",
        "INC-SOON",
    ]
    assert panel["follow_ups"] == {"open": 1, "overdue": 1}
    assert panel["agreements"] == {"in_review": 1, "expiring": 1}
    slug = manager_a.tenant.slug
    for link in (
        reverse("metrics:board", args=[slug]),
        reverse("surveys:followup-list", args=[slug]) + "?overdue=true",
        reverse("agreements:list", args=[slug]) + "?status=in_review",
        reverse("agreements:list", args=[slug]) + "?expiring=90",
    ):
        assert f'href="{link}"' in page, link
    assert "2 past target, 1 past minimum" in page


def test_the_links_of_the_operations_panel_show_the_same_items(
    web_client_for, manager_a, operations
):
    client = web_client_for(manager_a)
    slug = manager_a.tenant.slug
    board = client.get(reverse("metrics:board", args=[slug])).content.decode()
    assert "INC-SOON" in board and "INC-LATER" not in board
    listed = client.get(reverse("agreements:list", args=[slug]), {"expiring": 90})
    assert "EXP" in listed.content.decode() and "FAR" not in listed.content.decode()


def test_admin_keeps_the_administration_card(web_client_for, admin_a):
    _response, page = overview(web_client_for(admin_a), admin_a.tenant)
    assert "Operations now" in page and "Administration" in page


def fill(tenant, n):
    for i in range(n):
        made = agreement(tenant, reference=f"N{i:02d}")
        results(made, OCT, "breached", "met")
        results(made, SEP, "met", "met")
        CreditResultFactory(agreement=made, period_start=OCT, amount=Decimal(10))
        survey(made, SEP, [5])
        survey(made, OCT, [2])
        ImprovementActionFactory(metric=metric(made, "m0"), due_date=dt.date(2026, 11, 1))


@pytest.mark.parametrize("n", [1, 8])
def test_overview_queries_do_not_grow(
    web_client_for, manager_a, operations, n, django_assert_max_num_queries
):
    fill(manager_a.tenant, n)
    client = web_client_for(manager_a)
    # Session, user, tenant, membership (x2), the RLS setting and savepoints; operations: clocks
    # aggregate and the soonest, follow-ups, agreements; portfolio: six grouped reads and
    # overdue plans. The same for 1 or 8 agreements.
    with django_assert_max_num_queries(24):
        overview(client, manager_a.tenant)
