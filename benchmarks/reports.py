"""Benchmark: the executives' portfolio, the report page of one agreement, and the PDF of the
demo agreement - each printed beside a floor measured in the same run.

    .venv/bin/python benchmarks/reports.py [--agreements 500] [--metrics 3] [--runs 5]
    (DJANGO_SETTINGS_MODULE defaults to benchmarks.settings: development with DEBUG off;
    point DATABASE_URL and DATABASE_OWNER_URL at a scratch database: it creates a tenant "bench-reports-<N>" there
    and, for the PDF, the demo tenant with `seed_demo` when it is missing)

- portfolio: `reports.selectors.portfolio.portfolio` for N agreements x 12 months (M metrics
  each, a survey round per month with four answers, credits where a metric breached), and
  the page /t/<slug>/reports/ as a viewer (first 50 rows rendered); queries counted; floor:
  one plain GROUP BY counting the same results per family and month;
- report page: `reports.snapshot.build` for one agreement and month, and the page
  /t/<slug>/reports/agreements/<family>/<period>/ (built live: nothing published); floor:
  reading that agreement's result rows of the 12 months;
- PDF: `reports.rendering.pdf.render_pdf` of the demo agreement's last complete month, in
  English and Chinese (seconds, pages, size); floor: the same body rendered as HTML.

Prints figures; asserts nothing about time.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchmarks.settings")

import django  # noqa: E402

django.setup()

import datetime as dt  # noqa: E402
from decimal import Decimal  # noqa: E402

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402

from agreements.choices import MetricKind  # noqa: E402
from agreements.models import Agreement, Customer, MetricDefinition  # noqa: E402
from metrics.models import ComplianceResult, CreditResult  # noqa: E402
from metrics.periods import period_end  # noqa: E402
from reports import periods  # noqa: E402
from reports.rendering.html import render_body  # noqa: E402
from reports.selectors.portfolio import default_range, portfolio, today_of  # noqa: E402
from reports.snapshot import build  # noqa: E402
from slaweb.tenancy.context import tenant_context  # noqa: E402
from slaweb.tenancy.models import Membership, Role, Tenant  # noqa: E402
from slaweb.tenancy.services import get_or_create_user  # noqa: E402
from surveys.models import (  # noqa: E402
    Answer,
    Campaign,
    Invitation,
    Question,
    Questionnaire,
    Response,
    Round,
)

STATUSES = ["met"] * 14 + ["warning"] * 3 + ["breached"] * 2 + ["no_data"]


def timed(fn, runs: int):
    """(median seconds, last result) over `runs` runs after one warm-up."""
    fn()
    seconds, result = [], None
    for _ in range(runs):
        started = time.perf_counter()
        result = fn()
        seconds.append(time.perf_counter() - started)
    return statistics.median(seconds), result


def months_back(today: dt.date, n: int) -> list[dt.date]:
    first, _last = default_range(None, "month", today, count=n)
    out, current = [], first
    for _ in range(n):
        out.append(current)
        current = period_end(current, "month")
    return out


def setup(slug: str, n: int, metrics: int) -> Tenant:
    tenant, _ = Tenant.objects.get_or_create(
        slug=slug, defaults={"name": slug, "time_zone": "Asia/Shanghai", "country": "CN"}
    )
    user = get_or_create_user(f"viewer@{slug}.example", "bench-reports-2026")
    with tenant_context(tenant):
        Membership.objects.get_or_create(tenant=tenant, user=user, defaults={"role": Role.VIEWER})
        if Agreement.objects.filter(reference__startswith="BR-").count() >= n:
            return tenant
        rng = random.Random(12)
        customers = [
            Customer.objects.get_or_create(name=f"Bench customer {i}")[0] for i in range(20)
        ]
        agreements = Agreement.objects.bulk_create(
            Agreement(
                tenant=tenant,
                title=f"Bench agreement {i}",
                reference=f"BR-{i:04d}",
                customer=customers[i % len(customers)],
                effective_from=dt.date(2025, 1, 1),
                monthly_fee=Decimal(10000),
                credit_percent=Decimal(5),
            )
            for i in range(n)
        )
        defs = MetricDefinition.objects.bulk_create(
            MetricDefinition(
                tenant=tenant,
                agreement=a,
                name=f"Metric {j}",
                kind=MetricKind.AVAILABILITY_PERCENT,
                target=Decimal("99.5"),
                minimum_acceptable=Decimal("99"),
            )
            for a in agreements
            for j in range(metrics)
        )
        ids = [a.pk for a in agreements]
        Agreement.objects.filter(pk__in=ids).update(status="in_review")
        Agreement.objects.filter(pk__in=ids).update(status="active")
        months = months_back(today_of(tenant), 12)
        results, credits = [], []
        for m in defs:
            for start in months:
                status = rng.choice(STATUSES)
                results.append(
                    ComplianceResult(
                        tenant=tenant,
                        family=m.agreement.family,
                        metric_name=m.name,
                        metric=m,
                        agreement=m.agreement,
                        period_kind="month",
                        period_start=start,
                        period_end=period_end(start, "month"),
                        count_all=100,
                        value=Decimal("99.2"),
                        compliance_rate=Decimal("99.2"),
                        status=status,
                        stale=False,
                    )
                )
        ComplianceResult.objects.bulk_create(results, batch_size=5000)
        breached = {(r.family, r.period_start) for r in results if r.status == "breached"}
        by_family = {a.family: a for a in agreements}
        for family, start in breached:
            credits.append(
                CreditResult(
                    tenant=tenant,
                    family=family,
                    agreement=by_family[family],
                    period_start=start,
                    breached_metrics=1,
                    percent=Decimal(5),
                    amount=Decimal(500),
                    currency="CNY",
                )
            )
        CreditResult.objects.bulk_create(credits, batch_size=5000)
        _surveys(tenant, agreements, customers, months, rng)
    analyze()
    return tenant


def analyze() -> None:
    """Fresh bulk inserts have no planner statistics yet (autovacuum comes later)."""
    from django.db import connections

    tables = [
        "agreements_agreement",
        "metrics_complianceresult",
        "metrics_creditresult",
        "surveys_answer",
        "surveys_response",
        "surveys_round",
        "surveys_invitation",
        "surveys_campaign",
    ]
    with connections["owner"].cursor() as cur:
        cur.execute("ANALYZE " + ", ".join(tables))


def _surveys(tenant, agreements, customers, months, rng) -> None:
    """A campaign per agreement, a round per month with four responses (one overall rating
    each) and four invitations (three answered)."""
    from agreements.models import Contact

    questionnaire = Questionnaire.objects.create(tenant=tenant, name="Bench questionnaire")
    question = Question.objects.create(
        tenant=tenant,
        questionnaire=questionnaire,
        code="overall",
        kind="likert",
        text_en="Overall?",
        text_zh="总体？",
        is_overall=True,
    )
    contacts = {
        c.pk: Contact.objects.create(
            tenant=tenant, customer=c, name=f"Reader {c.pk}", email=f"reader{c.pk}@bench.example"
        )
        for c in customers
    }
    campaigns = Campaign.objects.bulk_create(
        Campaign(
            tenant=tenant,
            name=f"Bench {a.reference}",
            scope="agreement",
            agreement=a,
            customer=a.customer,
            questionnaire=questionnaire,
        )
        for a in agreements
    )
    now = dt.datetime.now(dt.UTC)
    rounds = Round.objects.bulk_create(
        Round(
            tenant=tenant,
            campaign=c,
            questionnaire=questionnaire,
            period_start=start,
            period_end=period_end(start, "month") - dt.timedelta(days=1),
            opens_at=now,
            closes_at=now,
        )
        for c in campaigns
        for start in months
    )
    responses = Response.objects.bulk_create(
        Response(tenant=tenant, round=r, questionnaire=questionnaire, language="en")
        for r in rounds
        for _ in range(4)
    )
    Answer.objects.bulk_create(
        (
            Answer(tenant=tenant, response=resp, question=question, score=rng.randint(2, 5))
            for resp in responses
        ),
        batch_size=5000,
    )
    customer_of = {c.pk: c.customer_id for c in campaigns}
    invitations = []
    for r in rounds:
        contact = contacts[customer_of[r.campaign_id]]
        invitations.append(
            Invitation(tenant=tenant, round=r, contact=contact, language="en", status="answered")
        )
    Invitation.objects.bulk_create(invitations, batch_size=5000)


def floor_group_by(tenant, first, end) -> float:
    with tenant_context(tenant), connection.cursor() as cur:
        started = time.perf_counter()
        cur.execute(
            """SELECT family, period_start,
                      count(*) FILTER (WHERE status = 'met'),
                      count(*) FILTER (WHERE status = 'warning'),
                      count(*) FILTER (WHERE status = 'breached'),
                      count(*) FILTER (WHERE status = 'no_data')
               FROM metrics_complianceresult
               WHERE tenant_id = %s AND period_kind = 'month'
                 AND period_start >= %s AND period_start < %s
               GROUP BY family, period_start""",
            [tenant.pk, first, end],
        )
        cur.fetchall()
        return time.perf_counter() - started


def reads(queries) -> int:
    """Statements sent, without the transaction's BEGIN and COMMIT."""
    return sum(1 for q in queries if q["sql"] not in ("BEGIN", "COMMIT"))


def viewer_client(tenant) -> Client:
    client = Client(HTTP_HOST="localhost")
    with tenant_context(tenant):
        member = Membership.objects.filter(role=Role.VIEWER).select_related("user").first()
    client.force_login(member.user)
    return client


def get(client, url: str) -> int:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return len(response.content)


def bench_portfolio(tenant, runs: int) -> None:
    def run():
        with tenant_context(tenant):
            return portfolio(tenant)

    seconds, grid = timed(run, runs)
    with CaptureQueriesContext(connection) as queries:
        run()
    cells = sum(len(r.cells) for r in grid.rows)
    first, last = grid.periods[0], grid.periods[-1]
    floor = min(floor_group_by(tenant, first, period_end(last, "month")) for _ in range(runs))
    print(
        f"portfolio selector: {len(grid.rows)} agreements x {len(grid.periods)} months "
        f"({cells:,} cells) in {seconds * 1000:.0f} ms, {reads(queries)} queries; "
        f"plain GROUP BY of the results {floor * 1000:.1f} ms: {seconds / floor:.1f}x"
    )
    client = viewer_client(tenant)
    url = reverse("reports:portfolio", args=[tenant.slug])
    seconds, size = timed(lambda: get(client, url), runs)
    with CaptureQueriesContext(connection) as queries:
        get(client, url)
    print(
        f"portfolio page (50 rows rendered, {size / 1024:.0f} KiB): {seconds * 1000:.0f} ms, "
        f"{len(queries)} queries (goal: under 1 s)"
    )


def bench_report(tenant, runs: int) -> None:
    with tenant_context(tenant):
        agreement = Agreement.objects.filter(reference="BR-0000").get()
    start = default_range(tenant, "month", count=1)[1]
    label = periods.label("month", start)

    def run_build():
        with tenant_context(tenant):
            return build(agreement, "month", start)

    seconds, snapshot = timed(run_build, runs)

    def read_rows():
        with tenant_context(tenant):
            return list(ComplianceResult.objects.filter(family=agreement.family).values())

    floor, _rows = timed(read_rows, runs)
    print(
        f"report snapshot.build ({len(snapshot['metrics'])} metrics, {label}): "
        f"{seconds * 1000:.0f} ms; reading its result rows {floor * 1000:.1f} ms: "
        f"{seconds / floor:.1f}x"
    )
    client = viewer_client(tenant)
    url = reverse("reports:report", args=[tenant.slug, agreement.family, label])
    page, size = timed(lambda: get(client, url), runs)
    with CaptureQueriesContext(connection) as queries:
        get(client, url)
    print(
        f"report page (live, {size / 1024:.0f} KiB): {page * 1000:.0f} ms, {len(queries)} "
        f"queries; snapshot.build alone {seconds * 1000:.0f} ms: {page / seconds:.1f}x"
    )


def bench_pdf(runs: int) -> None:
    from reports.rendering.pdf import render_pdf

    if not Tenant.objects.filter(slug="demo").exists():
        call_command("seed_demo", verbosity=0)
    tenant = Tenant.objects.get(slug="demo")
    with tenant_context(tenant):
        agreement = Agreement.objects.filter(reference="SLA-2026-001").latest("version")
        start = default_range(tenant, "month", count=1)[1]
        snapshot = build(agreement, "month", start)
    for language in ("en", "zh-hans"):
        seconds, (pdf, pages) = timed(
            lambda language=language: render_pdf(snapshot, language=language), max(1, runs // 2)
        )
        floor, _html = timed(
            lambda language=language: render_body(snapshot, language=language), runs
        )
        print(
            f"PDF of {agreement.reference} {periods.label('month', start)} ({language}): "
            f"{seconds:.2f} s, {pages} pages, {len(pdf) / 1024:.0f} KiB; the same body as "
            f"HTML {floor * 1000:.0f} ms: {seconds / floor:.1f}x"
        )


def main() -> None:
    import logging

    for name in ("weasyprint", "fontTools", "axes"):  # layout steps, CSS notes, logins
        logging.getLogger(name).setLevel(logging.ERROR)
    parser = argparse.ArgumentParser()
    parser.add_argument("--agreements", type=int, default=500)
    parser.add_argument("--metrics", type=int, default=3)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--slug", help="tenant slug (default bench-reports-<agreements>)")
    args = parser.parse_args()
    started = time.perf_counter()
    tenant = setup(args.slug or f"bench-reports-{args.agreements}", args.agreements, args.metrics)
    print(
        f"{args.agreements} agreements x 12 months x {args.metrics} metrics, a survey round per "
        f"month (setup {time.perf_counter() - started:.1f} s)"
    )
    bench_portfolio(tenant, args.runs)
    bench_report(tenant, args.runs)
    bench_pdf(args.runs)


if __name__ == "__main__":
    with transaction.atomic():
        pass
    main()
