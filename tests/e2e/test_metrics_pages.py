"""The metrics pages in a real browser on the demo data, in English and Chinese, at 1280
and 390 px: grid, drill-down, board, actions, data lists, a CSV import through the pages
(bad file first), webhook settings. Screenshots go to SHOTS_DIR when it is set."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from agreements.models import Agreement
from metrics.models import ComplianceResult, ImprovementAction
from slaweb.tenancy.context import tenant_context
from slaweb.tenancy.models import Tenant

from .conftest import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
SHOTS = os.environ.get("SHOTS_DIR", "")
ROOT = Path(__file__).resolve().parents[2]


def shoot(page, name):
    if not SHOTS:
        return
    Path(SHOTS).mkdir(parents=True, exist_ok=True)
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=f"{SHOTS}/{name}-{width}.png", full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})


def test_metrics_pages_in_both_languages(page, live_server):
    call_command("seed_demo", verbosity=0)
    tenant = Tenant.objects.get(slug="demo")
    with tenant_context(tenant):
        agreement = Agreement.objects.filter(results__isnull=False).distinct().first()
        breached = ComplianceResult.objects.filter(status="breached").first()
        action = ImprovementAction.objects.first()
        assert agreement and breached and action
    base = f"/t/{tenant.slug}"
    log_in(page, "admin@demo.example", "slaweb-demo-2026")
    pages = [
        ("grid", f"{base}/metrics/agreements/{agreement.pk}/"),
        ("result", f"{base}/metrics/results/{breached.pk}/"),
        ("board", f"{base}/metrics/board/"),
        ("actions", f"{base}/metrics/actions/"),
        ("action-edit", f"{base}/metrics/actions/{action.pk}/"),
        ("tickets", f"{base}/data/tickets/"),
        ("deliveries", f"{base}/data/deliveries/"),
        ("outages", f"{base}/data/outages/"),
        ("samples", f"{base}/data/samples/"),
        ("agreements", f"{base}/agreements/"),
    ]
    for language in ("en", "zh-hans"):
        page.context.add_cookies(
            [{"name": "django_language", "value": language, "url": live_server.url}]
        )
        for name, path in pages:
            response = page.goto(path)
            assert response.status == 200, path
            expect(page.locator("html")).to_have_attribute("lang", language)
            shoot(page, f"{name}-{language}")
    page.context.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])

    # Grid cells name their status in words and open the records behind them.
    page.goto(f"{base}/metrics/agreements/{agreement.pk}/")
    expect(page.get_by_text("breached").first).to_be_visible()

    # A CSV import through the pages: a bad file first, then the sample file.
    page.goto(f"{base}/data/import/")
    page.get_by_label("CSV file").set_input_files(
        files=[{"name": "empty.csv", "mimeType": "text/csv", "buffer": b"a,a\n1,2\n"}]
    )
    page.get_by_role("button", name="Upload and preview").click()
    expect(page.get_by_text("Two columns have the same name").first).to_be_visible()
    shoot(page, "import-bad-file-en")
    page.get_by_label("CSV file").set_input_files(str(ROOT / "docs/samples/tickets.csv"))
    page.get_by_role("button", name="Upload and preview").click()
    expect(page.get_by_text("INC-1001").first).to_be_visible()
    shoot(page, "import-mapping-en")
    page.get_by_role("button", name="Import", exact=True).click()
    shoot(page, "import-progress-en")

    # Webhook settings: the secret is shown once.
    page.goto(f"{base}/settings/webhook/")
    page.get_by_role("button", name="Create a secret").click()
    secret = page.locator("#new-secret").input_value()
    assert secret.startswith("whsec_")
    shoot(page, "webhook-en")
    page.reload()
    expect(page.locator("#new-secret")).to_have_count(0)
    page.context.add_cookies(
        [{"name": "django_language", "value": "zh-hans", "url": live_server.url}]
    )
    page.goto(f"{base}/settings/webhook/")
    shoot(page, "webhook-zh-hans")
    page.goto(f"{base}/data/import/")
    shoot(page, "import-zh-hans")
