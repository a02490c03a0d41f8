"""A service manager writes an SLA in the browser, gets it approved and activated, then
changes a target in a new version and reads the difference."""

import re

import pytest
from playwright.sync_api import expect

from agreements.models import Agreement
from slaweb.tenancy.context import tenant_context
from slaweb.tenancy.models import Role
from tests.factories import MembershipFactory, TenantFactory
from tests.factories.agreements import (
    BusinessCalendarFactory,
    CalendarSlotFactory,
    CustomerFactory,
    ServiceFactory,
)

from .conftest import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def manager_login(page):
    tenant = TenantFactory(slug="alpha", name="Alpha Ltd")
    manager = MembershipFactory(
        tenant=tenant, role=Role.MANAGER, user__email="mia@alpha.example", user__first_name="Mia"
    )
    manager.user.set_password("Manager-pass-2026")
    manager.user.save()
    CustomerFactory(tenant=tenant, name="Finance department")
    ServiceFactory(tenant=tenant, name="Server operations support")
    calendar = BusinessCalendarFactory(tenant=tenant, name="CN business hours")
    for weekday in range(5):
        CalendarSlotFactory(calendar=calendar, weekday=weekday)
    log_in(page, "mia@alpha.example", "Manager-pass-2026")
    return tenant


def add_metric(page, name, kind, target, minimum, tiers=()):
    page.get_by_role("link", name="Add metric").click()
    row = page.locator("#metric-rows tr.editing")
    row.get_by_label("Name").fill(name)
    row.get_by_label("Kind").select_option(kind)
    row.get_by_label("Target").fill(target)
    row.get_by_label("Minimum acceptable").fill(minimum)
    for tier in tiers:
        row.get_by_label(tier).check()
    row.get_by_role("button", name="Save").click()
    expect(page.locator("#metric-rows").get_by_role("rowheader", name=name)).to_be_visible()


def remove_tier(page, code):
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("#tier-rows").get_by_role("button", name=f"Remove {code}").click()
    expect(page.locator("#tier-rows").get_by_role("rowheader", name=code)).to_have_count(0)


def test_write_approve_activate_and_revise_an_sla(page, manager_login):
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Agreements").click()
    page.get_by_role("link", name="New agreement").first.click()
    page.get_by_label("Title").fill("Server operations SLA")
    page.get_by_label("Reference").fill("SLA-2026-007")
    page.get_by_label(re.compile(r"^Customer:?$")).select_option(label="Finance department")
    page.get_by_label("Server operations support").check()
    page.get_by_label("Service window").select_option(label="CN business hours")
    page.get_by_role("button", name="Create draft").click()
    expect(page.get_by_text("Draft created")).to_be_visible()

    # Two tiers: keep P1 and P2, edit P2 inline, remove P3 and P4.
    remove_tier(page, "P3")
    remove_tier(page, "P4")
    page.locator("#tier-rows").get_by_role("link", name="Edit P2").click()
    tier_form = page.locator("#tier-rows tr.editing")
    tier_form.get_by_label("Response within (minutes)").fill("45")
    tier_form.get_by_role("button", name="Save").click()
    expect(page.locator("#tier-rows").get_by_role("row", name="P2")).to_contain_text("45")

    add_metric(page, "Server fault response", "response_time", "60", "120", tiers=["P1 ", "P2 "])
    add_metric(page, "Availability", "availability_percent", "99.5", "99")

    page.get_by_role("button", name="Submit for review").click()
    expect(page.get_by_text("Submitted for review")).to_be_visible()
    for side, name in (("provider", ""), ("customer", "Li Lei")):
        page.get_by_label("Side").select_option(side)
        page.get_by_label("Name of the approver").fill(name)
        page.get_by_role("button", name="Approve", exact=True).click()
        expect(page.get_by_text("Approval recorded")).to_be_visible()
    expect(page.locator("#approvals")).to_contain_text("Li Lei")
    page.get_by_role("button", name="Activate").click()
    expect(page.get_by_text("The agreement is active")).to_be_visible()

    page.get_by_role("button", name="New version").click()
    expect(page.get_by_text("New version created")).to_be_visible()
    page.locator("#metric-rows").get_by_role("link", name="Edit Availability").click()
    metric_form = page.locator("#metric-rows tr.editing")
    metric_form.get_by_label("Target").fill("99.9")
    metric_form.get_by_role("button", name="Save").click()
    expect(page.locator("#metric-rows").get_by_role("row", name="Availability")).to_contain_text(
        "99.9"
    )

    page.get_by_role("link", name="Compare v1 with v2").click()
    expect(page.locator("ul.diff")).to_contain_text("Metric 'Availability' target: 99.5 -> 99.9")

    with tenant_context(manager_login):
        versions = list(Agreement.objects.filter(reference="SLA-2026-007").order_by("version"))
        assert [(v.version, v.status) for v in versions] == [(1, "active"), (2, "draft")]
        assert list(versions[0].tiers.values_list("code", flat=True)) == ["P1", "P2"]
        assert versions[0].metrics.count() == 2
