"""Publishing in a real browser: a manager publishes the report of a month from its panel
(HTMX), tries to republish without a reason (the error shows beside the field and takes the
focus), republishes with one, reads the revisions and what changed. English and Chinese at
1280 and 390 px; screenshots go to SHOTS_DIR when it is set."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from slaweb.tenancy.context import tenant_context
from tests.reports import scenario

from .conftest import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
SHOTS = os.environ.get("SHOTS_DIR", "")


def shoot(page, name, element=None):
    if not SHOTS:
        return
    Path(SHOTS).mkdir(parents=True, exist_ok=True)
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        target = page.locator(element) if element else page
        kwargs = {} if element else {"full_page": True}
        target.screenshot(path=f"{SHOTS}/{name}-{width}.png", **kwargs)
    page.set_viewport_size({"width": 1280, "height": 900})


def test_publish_republish_revisions_and_diff(page, live_server, tenant_a, manager_a):
    with tenant_context(tenant_a):
        agreement = scenario.build(tenant_a)
    base = f"/t/{tenant_a.slug}/reports/agreements/{agreement.family}/2026-03"
    log_in(page, "manager@alpha.example", "pw-for-tests-1")

    page.goto(f"{base}/")
    panel = page.locator("#publishing-panel")
    expect(panel).to_contain_text("Not published yet")
    shoot(page, "panel-unpublished-en", "#publishing-panel")
    panel.get_by_role("button", name="Publish this report").click()
    expect(page.locator("#publishing-panel")).to_contain_text("1 revision published")
    shoot(page, "panel-published-en", "#publishing-panel")

    # Republish without a reason: refused beside the field, focus on it, nothing published.
    page.locator("#publishing-panel summary").click()
    page.get_by_role("button", name="Republish").click()
    reason = page.get_by_label("Reason for the new revision")
    expect(page.locator("#id_reason_error")).to_contain_text("Say why")
    expect(reason).to_be_focused()
    expect(reason).to_have_attribute("aria-invalid", "true")
    shoot(page, "panel-republish-error-en", "#publishing-panel")

    # A data correction, then republish with a reason.
    with tenant_context(tenant_a):
        scenario.ingest("tickets", [scenario.month_tickets(scenario.MARCH, "ttmt")[3]])
        scenario.compute(tenant_a)
    reason.fill("Ticket T-202603-4 was answered in time (corrected export)")
    page.get_by_role("button", name="Republish").click()
    expect(page.locator("#publishing-panel")).to_contain_text("2 revisions published")

    for language in ("en", "zh-hans"):
        page.context.add_cookies(
            [{"name": "django_language", "value": language, "url": live_server.url}]
        )
        page.goto(f"{base}/")
        shoot(page, f"panel-{language}", "#publishing-panel")
        page.goto(f"{base}/revisions/")
        expect(page.locator("html")).to_have_attribute("lang", language)
        expect(page.locator("table.revisions tbody tr")).to_have_count(2)
        shoot(page, f"revisions-{language}")
        page.goto(f"{base}/diff/")
        expect(page.locator("table.diff-table")).to_contain_text("60")
        shoot(page, f"diff-{language}")
        page.goto(f"{base}/republish/")
        shoot(page, f"republish-page-{language}")
