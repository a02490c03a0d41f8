"""The executives' portfolio: health colours from hand-made results, totals, worst movers,
filters, published cells, a query count that does not grow with the agreements, who sees it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from reports.models import Report
from reports.selectors.portfolio import portfolio
from slaweb.tenancy.context import tenant_context
from tests.factories.agreements import (
    AgreementFactory,
    CustomerFactory,
    ServiceFactory,
)
from tests.factories.metrics import CreditResultFactory
from tests.isolation import IsolationCoverage, PageIsolationTests
from tests.reports.portfolio_data import agreement, results, survey

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 15, 4, 0, tzinfo=dt.UTC)  # the last complete month: 2026-10
SEP, OCT = dt.date(2026, 9, 1), dt.date(2026, 10, 1)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def grid(tenant, **kwargs):
    with tenant_context(tenant):
        return portfolio(tenant, **kwargs)


def by_ref(grid_):
    return {row.reference: row for row in grid_.rows}


@pytest.fixture
def sample(tenant_a):
    """A: green in September, amber in October; B: red in October; C: active, no results;
    D: expired with no results in the range (left out)."""
    customer = CustomerFactory(tenant=tenant_a, name="Northwind")
    service = ServiceFactory(tenant=tenant_a, name="ERP support")
    a = agreement(customer=customer, reference="A")
    b = agreement(tenant_a, reference="B", kind="ola")
    c = agreement(tenant_a, reference="C", services=[service])
    agreement(tenant_a, reference="D", status="expired")
    results(a, SEP, "met", "met")
    results(a, OCT, "met", "warning")
    results(b, SEP, "met", "no_data")
    results(b, OCT, "breached", "met")
    return {"A": a, "B": b, "C": c, "service": service}


def test_health_colours_per_period(tenant_a, sample):
    g = grid(tenant_a)
    assert g.labels[0] == "2025-11" and g.labels[-1] == "2026-10" and len(g.periods) == 12
    rows = by_ref(g)
    assert sorted(rows) == ["A", "B", "C"]  # D: expired, nothing in the range
    a, b, c = rows["A"], rows["B"], rows["C"]
    assert [cell.health for cell in a.cells[-3:]] == ["none", "green", "amber"]
    assert [cell.health for cell in b.cells[-2:]] == ["green", "red"]
    assert {cell.health for cell in c.cells} == {"none"}
    assert (a.latest.met, a.latest.warning, a.latest.with_data) == (1, 1, 2)
    assert b.cells[-2].no_data == 1 and b.cells[-2].share_met == Decimal("100.0")


def test_totals_columns_and_credits(tenant_a, sample):
    CreditResultFactory(agreement=sample["B"], period_start=OCT, amount=Decimal("500.00"))
    CreditResultFactory(
        agreement=sample["A"], period_start=SEP, amount=Decimal("20.50"), currency="USD"
    )
    g = grid(tenant_a)
    t = g.totals
    # September: A met, met; B met (+ no data). October: A met, warning; B breached, met.
    assert (t.met, t.warning, t.breached, t.no_data) == (5, 1, 1, 1)
    assert t.share_met == Decimal("71.4")  # 5 of 7 measured
    assert (t.red, t.amber, t.green) == (1, 1, 2)
    assert t.credits == {"CNY": Decimal("500.00"), "USD": Decimal("20.50")}
    assert g.latest.share_met == Decimal("50.0") and g.latest.breached == 1
    assert g.columns[-2].share_met == Decimal("100.0")
    assert by_ref(g)["B"].credits == {"CNY": Decimal("500.00")}


def test_satisfaction_mean_with_n_and_response_rate(tenant_a, sample):
    survey(sample["A"], SEP, [5, 5, 4], invited=4, answered=3)
    survey(sample["A"], OCT, [3, 4], invited=4, answered=2)
    g = grid(tenant_a)
    a = by_ref(g)["A"]
    assert (a.cells[-2].satisfaction, a.cells[-2].score_n) == (Decimal("4.67"), 3)
    assert (a.latest.satisfaction, a.latest.score_n) == (Decimal("3.50"), 2)
    assert (g.totals.satisfaction, g.totals.score_n) == (Decimal("4.20"), 5)
    assert g.totals.response_rate == Decimal("62.5")  # 5 of 8


def test_satisfaction_withheld_below_the_anonymous_minimum(tenant_a, sample):
    survey(sample["B"], OCT, [2, 2], anonymous=True, min_n=3)
    cell = by_ref(grid(tenant_a))["B"].latest
    assert cell.withheld and cell.satisfaction is None


def test_worst_movers(tenant_a, sample):
    survey(sample["A"], SEP, [5, 5])
    survey(sample["A"], OCT, [3, 3])
    survey(sample["B"], SEP, [4])
    survey(sample["B"], OCT, [4])
    movers = grid(tenant_a).movers
    # Share met: A 100 -> 50, B 100 -> 50; satisfaction: A 5 -> 3 (B unchanged).
    assert [(m.row.reference, m.before, m.after) for m in movers["share_met"]] == [
        ("A", Decimal("100.0"), Decimal("50.0")),
        ("B", Decimal("100.0"), Decimal("50.0")),
    ]
    assert [(m.row.reference, m.change) for m in movers["satisfaction"]] == [
        ("A", Decimal("-2.00"))
    ]


def test_published_cells(tenant_a, sample):
    with tenant_context(tenant_a):
        Report.objects.create(
            family=sample["B"].family,
            agreement=sample["B"],
            period_kind="month",
            period_start=OCT,
            period_end=dt.date(2026, 11, 1),
            health="red",
            snapshot={},
            published_at=timezone.now(),
        )
    b = by_ref(grid(tenant_a))["B"]
    assert b.latest.published and not b.cells[-2].published


def test_quarter_grid_holds_its_months(tenant_a, sample):
    results(sample["A"], dt.date(2026, 8, 1), "warning", "met")
    g = grid(tenant_a, kind="quarter")
    assert g.labels[-1] == "2026-Q3" and len(g.periods) == 8
    # Q3 holds August and September: A's m0 at its worst (warning), m1 met - each metric
    # counted once; October falls in Q4, not complete yet.
    q3 = by_ref(g)["A"].latest
    assert q3.health == "amber" and (q3.met, q3.warning, q3.with_data) == (1, 1, 2)
    assert by_ref(g)["B"].latest.health == "green" and by_ref(g)["B"].latest.no_data == 1
    g = grid(tenant_a, kind="quarter", first=dt.date(2026, 7, 1), last=dt.date(2026, 10, 1))
    assert g.labels == ["2026-Q3", "2026-Q4"]
    assert by_ref(g)["B"].latest.health == "red"


# -- the page ------------------------------------------------------------------------------


def url(tenant):
    return reverse("reports:portfolio", args=[tenant.slug])


def test_viewer_sees_the_grid_with_links_to_reports(web_client_for, viewer_a, sample):
    response = web_client_for(viewer_a).get(url(viewer_a.tenant))
    assert response.status_code == 200
    page = response.content.decode()
    family = sample["B"].family
    assert f"/reports/agreements/{family}/2026-10/" in page
    assert f"/reports/agreements/{family}/?kind=month" in page  # the agreement: its latest
    assert "health-red" in page and "health-amber" in page and "health-green" in page
    assert "B 2026-10: red, 1 of 2 metrics met, 1 breached" in page  # words, not colour alone


@pytest.mark.parametrize(
    "query,shown",
    [
        ({"customer": "northwind"}, {"A"}),
        ({"kind": "ola"}, {"B"}),
        ({"service": "svc"}, {"C"}),
    ],
)
def test_filters(web_client_for, viewer_a, sample, query, shown):
    values = {
        "customer": str(sample["A"].customer_id),
        "kind": "ola",
        "service": str(sample["service"].pk),
    }
    query = {key: values[key] for key in query}
    response = web_client_for(viewer_a).get(url(viewer_a.tenant), query)
    assert response.status_code == 200
    assert {row.reference for row in response.context["grid"].rows} == shown


def test_period_range_filter(web_client_for, viewer_a, sample):
    client = web_client_for(viewer_a)
    response = client.get(url(viewer_a.tenant), {"period": "month", "start": "2026-09"})
    assert response.context["grid"].labels[:2] == ["2026-09", "2026-10"]
    response = client.get(url(viewer_a.tenant), {"period": "year", "start": "2026", "end": "2026"})
    assert response.context["grid"].labels == ["2026"]
    assert {r.reference: r.latest.health for r in response.context["grid"].rows}["B"] == "red"


@pytest.mark.parametrize(
    "query,field,message",
    [
        ({"start": "last spring"}, "start", "Write a period like 2026-10"),
        ({"period": "quarter", "start": "2026-10"}, "start", "Write a quarter"),
        ({"start": "2026-10", "end": "2026-01"}, "end", "comes before the first"),
        ({"start": "2020-01", "end": "2026-01"}, "end", "At most 24 periods"),
        ({"customer": "999999"}, "customer", "Select a valid choice"),
        ({"start": "9999-12"}, "start", "Choose a year from 1970 to 2199"),
    ],
)
def test_bad_filters_are_explained_beside_the_field(
    web_client_for, viewer_a, sample, query, field, message
):
    response = web_client_for(viewer_a).get(url(viewer_a.tenant), query)
    assert response.status_code == 200
    form = response.context["form"]
    assert message in " ".join(form.errors[field])
    page = response.content.decode()
    assert f'id="id_{field}_error"' in page and 'aria-invalid="true"' in page
    assert response.context["grid"].labels[-1] == "2026-10"  # the default grid still shows


def test_empty_state(web_client_for, viewer_a):
    response = web_client_for(viewer_a).get(url(viewer_a.tenant))
    assert response.status_code == 200
    assert "No agreements to show yet" in response.content.decode()


def test_rows_are_paginated(web_client_for, viewer_a, tenant_a):
    for i in range(55):
        agreement(tenant_a, reference=f"P{i:03d}", metrics=0)
    client = web_client_for(viewer_a)
    first = client.get(url(tenant_a))
    assert len(first.context["rows"]) == 50 and first.context["page_obj"].paginator.count == 55
    second = client.get(url(tenant_a), {"page": 2})
    assert [r.reference for r in second.context["rows"]] == [f"P{i:03d}" for i in range(50, 55)]


def many(tenant, n):
    customer = CustomerFactory(tenant=tenant)
    for _ in range(n):
        made = agreement(customer=customer)
        results(made, OCT, "met", "breached")
        CreditResultFactory(agreement=made, period_start=OCT, amount=Decimal(1))
        survey(made, OCT, [4], invited=1, answered=1)


@pytest.mark.parametrize("n", [2, 12])
def test_queries_do_not_grow_with_agreements(
    web_client_for, viewer_a, tenant_a, n, django_assert_max_num_queries
):
    many(tenant_a, n)
    client = web_client_for(viewer_a)
    # Session, user, tenant, membership (x2), six grouped reads, customers and services for
    # the filters, savepoints and the RLS setting: the same for 2 or 12 agreements.
    with django_assert_max_num_queries(21):
        response = client.get(url(tenant_a))
    assert len(response.context["rows"]) == n


class TestPortfolioIsolation(PageIsolationTests):
    """Another tenant's agreements never show in my portfolio; outsiders get 404."""

    factory = AgreementFactory
    list_url_names = ["reports:portfolio"]

    @pytest.fixture
    def other(self, tenant_b, admin_b):
        return agreement(tenant_b, title="Bravo's secret deal", metrics=0)

    @pytest.fixture
    def own(self, tenant_a):
        return agreement(tenant_a, title="Alpha's own deal", metrics=0)

    def marker(self, obj):
        return obj.title

    def test_portfolio_of_another_tenant_is_404(self, browser, tenant_b):
        assert browser.get(url(tenant_b)).status_code == 404


# -- the API -------------------------------------------------------------------------------


def api_url():
    return reverse("api:portfolio-list")


def test_api_gives_the_same_grid_as_the_page(api_viewer, sample):
    CreditResultFactory(agreement=sample["B"], period_start=OCT, amount=Decimal("500.00"))
    response = api_viewer.get(api_url(), {"kind": "ola"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["count"] == 1 and body["period_kind"] == "month"
    assert body["periods"][-1] == "2026-10" and len(body["periods"]) == 12
    (row,) = body["results"]
    assert row["reference"] == "B" and row["family"] == str(sample["B"].family)
    assert [c["health"] for c in row["cells"][-2:]] == ["green", "red"]
    assert row["cells"][-1]["breached"] == 1 and row["credits"] == {"CNY": "500.00"}
    assert (
        body["totals"]["share_met"] == "66.7"
    )  # B: 1 of 1, then 1 of 2 and body["totals"]["red"] == 1
    assert body["movers"]["share_met"][0]["reference"] == "B"


def test_api_refuses_a_bad_range_with_the_field_named(api_viewer, sample):
    response = api_viewer.get(api_url(), {"period": "quarter", "start": "2026-10"})
    assert response.status_code == 400
    assert "start" in response.json()


def test_api_pages_the_agreements(api_viewer, tenant_a):
    for i in range(3):
        agreement(tenant_a, reference=f"P{i}", metrics=0)
    body = api_viewer.get(api_url(), {"page_size": 2}).json()
    assert body["count"] == 3 and len(body["results"]) == 2 and body["next"]


class TestPortfolioAPIIsolation(IsolationCoverage):
    """The portfolio API shows the token's tenant only (a list without ids: no detail)."""

    covers = ["api:portfolio-list"]  # test_api_shows_only_my_tenant below

    def test_api_shows_only_my_tenant(self, api_admin, tenant_a, tenant_b, admin_b):
        mine = agreement(tenant_a, reference="MINE", metrics=0)
        agreement(tenant_b, reference="THEIRS", metrics=0)
        body = api_admin.get(api_url()).json()
        assert [row["reference"] for row in body["results"]] == ["MINE"]
        assert body["results"][0]["agreement"] == mine.pk
