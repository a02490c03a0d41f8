"""An executive's journey in a real browser on the demo data: the viewer logs in, lands on the
Overview (last month's portfolio figures), opens the portfolio, drills into a red agreement,
reads its report and downloads the PDF (built by a real Celery worker). The report page's
screenshot is kept under .artifacts/; with SHOTS_DIR set, the Overview (viewer and manager)
and the portfolio are also shot in English and Chinese at 1280 and 390 px."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from reports import periods
from reports.models import Report
from slaweb.tenancy.context import tenant_context
from slaweb.tenancy.models import Tenant

from .conftest import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.celery, pytest.mark.django_db(transaction=True)]
ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / ".artifacts"
SHOTS = os.environ.get("SHOTS_DIR", "")
PASSWORD = "slaweb-demo-2026"


@pytest.fixture
def worker():
    from celery.contrib.testing.worker import start_worker
    from django.db import connections

    from slaweb.celery import app

    queue = app.conf.task_default_queue  # this test run's own queue (settings/test.py)
    with app.connection_for_write() as conn:
        conn.default_channel.queue_purge(queue)
    with start_worker(app, perform_ping_check=False, loglevel="WARNING", queues=[queue]):
        yield
    connections.close_all()


def shoot(page, name):
    if not SHOTS:
        return
    Path(SHOTS).mkdir(parents=True, exist_ok=True)
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=f"{SHOTS}/{name}-{width}.png", full_page=True)
        # Nothing but the grid's own box scrolls sideways at phone width.
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, (name, width, overflow)
    page.set_viewport_size({"width": 1280, "height": 900})


def set_language(page, live_server, language):
    page.context.add_cookies(
        [{"name": "django_language", "value": language, "url": live_server.url}]
    )


def test_executive_reads_a_red_agreements_report_and_downloads_the_pdf(page, live_server, worker):
    call_command("seed_demo", verbosity=0)
    tenant = Tenant.objects.get(slug="demo")
    base = f"/t/{tenant.slug}"
    log_in(page, "viewer@demo.example", PASSWORD)

    # The Overview: last month's figures of the portfolio.
    expect(page).to_have_url(re.compile(rf"{base}/$"))
    expect(page.get_by_role("heading", name=re.compile("The portfolio in"))).to_be_visible()
    expect(page.get_by_text("Operations now")).to_have_count(0)  # managers' panel

    # The portfolio, from the main navigation.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Reports").click()
    expect(page.get_by_role("heading", name="Portfolio", exact=True)).to_be_visible()
    expect(page.get_by_text("red: a metric missed its minimum")).to_be_visible()  # the legend
    red = page.locator("td.health-red:has(.pub) a")  # a red cell with a published report
    if red.count() == 0:  # the demo publishes past months; publish the red one if it did not
        cell = page.locator("td.health-red a").first
        expect(cell).to_be_visible()
        href = cell.get_attribute("href")
        family, label = href.rstrip("/").split("/")[-2:]
        from agreements.models import Agreement
        from reports.services.publishing import publish

        with tenant_context(tenant):
            kind, start = periods.parse(label)
            publish(Agreement.objects.filter(family=family).latest("version"), kind, start)
        page.reload()
    red = page.locator("td.health-red:has(.pub) a").last  # the latest red period
    words = red.locator(".visually-hidden").text_content()
    assert "red" in words and "breached" in words  # said in words, not colour alone
    href = red.get_attribute("href")
    family, label = href.rstrip("/").split("/")[-2:]
    red.click()

    # The report of that agreement and period.
    expect(page).to_have_url(re.compile(re.escape(href)))
    with tenant_context(tenant):
        kind, start = periods.parse(label)
        report = (
            Report.objects.filter(family=family, period_kind=kind, period_start=start)
            .order_by("-revision")
            .first()
        )
    assert report is not None and report.health == "red"
    expect(page.locator("h1.report-title")).to_have_text(report.snapshot["agreement"]["title"])
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "executive-report.png"), full_page=True)

    # The PDF: prepared by the worker, then downloaded.
    pdf_row = page.locator("#file-pdf")
    pdf_row.get_by_role("button", name="Prepare").click()
    download_link = pdf_row.get_by_role("link", name="Download")
    expect(download_link).to_be_visible(timeout=60_000)
    with page.expect_download() as info:
        download_link.click()
    download = info.value
    assert download.suggested_filename.endswith(".pdf")
    content = Path(download.path()).read_bytes()
    assert content.startswith(b"%PDF") and len(content) > 10_000

    # Screenshots of the pages this helper built, in both languages.
    if SHOTS:
        for language in ("en", "zh-hans"):
            set_language(page, live_server, language)
            page.goto(f"{base}/")
            shoot(page, f"overview-viewer-{language}")
            page.goto(f"{base}/reports/")
            shoot(page, f"portfolio-{language}")
            page.goto(f"{base}/reports/?period=quarter")
            shoot(page, f"portfolio-quarter-{language}")
            page.goto(f"{base}/reports/?start=last+spring&period=quarter&end=2026-Q9")
            shoot(page, f"portfolio-bad-filter-{language}")
        set_language(page, live_server, "en")
        page.context.clear_cookies()
        log_in(page, "manager@demo.example", PASSWORD)
        for language in ("en", "zh-hans"):
            set_language(page, live_server, language)
            page.goto(f"{base}/")
            expect(page.locator("#panel-operations-title")).to_be_visible()
            shoot(page, f"overview-manager-{language}")
