"""A service manager writes an SLA in the browser, gets it approved and activated, then
changes a target in a new version and reads the difference."""

import datetime as dt
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from agreements import services
from agreements.models import Agreement, BusinessCalendar, Customer
from slaweb.mail.models import OutboxMessage
from slaweb.tenancy.context import tenant_context
from slaweb.tenancy.models import Role
from tests.agreements.test_immutability import version_state
from tests.factories import MembershipFactory, TenantFactory
from tests.factories.agreements import (
    BusinessCalendarFactory,
    CalendarSlotFactory,
    ContactFactory,
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
    finance = CustomerFactory(tenant=tenant, name="Finance department")
    ContactFactory(
        tenant=tenant,
        customer=finance,
        name="Li Lei",
        email="li.lei@finance.example",
        language="en",
    )
    ServiceFactory(tenant=tenant, name="Server operations support")
    calendar = BusinessCalendarFactory(tenant=tenant, name="CN business hours")
    for weekday in range(5):
        CalendarSlotFactory(calendar=calendar, weekday=weekday)
    log_in(page, "mia@alpha.example", "Manager-pass-2026")
    return tenant


def add_metric(page, name, kind, target, minimum, tiers=()):
    page.get_by_role("link", name="Add metric").click()
    row = page.locator("#metric-rows tr.editing")
    expect(row.get_by_label("Name")).to_be_focused()  # the swapped-in row took focus
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
    page.get_by_label(re.compile(r"responsible contact", re.I)).select_option(
        label="Li Lei <li.lei@finance.example>"
    )
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
    # The provider side in the app; the customer's contact through the emailed link.
    page.locator("#approvals").get_by_text("Record an approval").click()
    page.locator("#approvals").get_by_label("Side").select_option("provider")
    page.get_by_role("button", name="Record approval").click()
    expect(page.get_by_text("Approval recorded")).to_be_visible()
    agreement_url = page.url
    page.get_by_role("button", name="Email the approval link to Li Lei").click()
    expect(
        page.get_by_text("The approval link was emailed to li.lei@finance.example")
    ).to_be_visible()
    with tenant_context(manager_login):
        mail = OutboxMessage.objects.get(kind="agreement-approval-request")
    link = re.search(r"https?://\S+/a/\S+/", mail.body_text).group(0)
    page.goto(link)
    page.get_by_role("button", name="Approve the agreement").click()
    expect(page.get_by_text("your approval is recorded")).to_be_visible()
    page.goto(agreement_url)
    expect(page.locator("#approvals")).to_contain_text("Li Lei")
    expect(page.locator("#approvals")).to_contain_text("Approved through the emailed link")
    expect(page.locator("#approvals").get_by_text("Record an approval")).to_have_count(0)
    page.get_by_role("button", name="Activate").click()
    expect(page.get_by_text("The agreement is active")).to_be_visible()

    with tenant_context(manager_login):
        v1 = Agreement.objects.get(reference="SLA-2026-007", version=1)
        v1_before = version_state(v1.pk)
    page.get_by_role("button", name="New version").click()
    expect(page.get_by_text("New version created")).to_be_visible()
    page.locator("#metric-rows").get_by_role("link", name="Edit Availability").click()
    metric_form = page.locator("#metric-rows tr.editing")
    # The swapped-in row moves focus to its first field; typing before that lands there.
    expect(metric_form.locator("input:not([type=hidden])").first).to_be_focused()
    metric_form.get_by_label("Target").fill("99.9")
    metric_form.get_by_role("button", name="Save").click()
    expect(page.locator("#metric-rows").get_by_role("row", name="Availability")).to_contain_text(
        "99.9"
    )

    with tenant_context(manager_login):
        assert version_state(v1.pk) == v1_before  # a new version leaves v1 identical

    page.get_by_role("link", name="Compare v1 with v2").click()
    changed = page.locator("table.diff tbody", has_text="Metric 'Availability'")
    expect(changed.get_by_role("row", name=re.compile("Target"))).to_contain_text("99.5")
    expect(changed.get_by_role("row", name=re.compile("Target"))).to_contain_text("99.9")

    with tenant_context(manager_login):
        versions = list(Agreement.objects.filter(reference="SLA-2026-007").order_by("version"))
        assert [(v.version, v.status) for v in versions] == [(1, "active"), (2, "draft")]
        assert list(versions[0].tiers.values_list("code", flat=True)) == ["P1", "P2"]
        assert versions[0].metrics.count() == 2


# --------------------------------------------------------------------------
# Every error is seen; the calendar editor; screenshots of the pages in both languages

SCREENSHOTS = Path(__file__).resolve().parents[2] / ".artifacts" / "screenshots"


def draft_of(tenant, reference="SLA-2026-010"):
    with tenant_context(tenant):
        customer = Customer.objects.first()
        return services.create_agreement(
            title="Cloud backup",
            reference=reference,
            customer=customer,
            effective_from=dt.date(2026, 12, 1),
        )


def test_an_invalid_metric_shows_its_error_beside_the_field(page, manager_login):
    draft = draft_of(manager_login)
    page.goto(f"/t/alpha/agreements/{draft.pk}/")
    empty = page.locator("#metric-rows").get_by_text("No metrics yet.")
    expect(empty).to_be_visible()

    page.get_by_role("link", name="Add metric").click()
    expect(empty).to_be_hidden()  # no stale "No metrics yet." beside the open form
    row = page.locator("#metric-rows tr.editing")
    expect(row.get_by_label("Name")).to_be_focused()
    row.get_by_label("Name").fill("Availability")
    row.get_by_label("Kind").select_option("availability_percent")
    row.get_by_label("Target").fill("98")
    row.get_by_label("Minimum acceptable").fill("99")
    row.get_by_role("button", name="Save").click()

    target = page.locator("#metric-rows tr.editing").get_by_label("Target")
    expect(target).to_have_attribute("aria-invalid", "true")
    expect(target).to_be_focused()
    error = page.locator("#metric-rows tr.editing .errorlist[role=alert]")
    expect(error).to_contain_text("must be at least the minimum acceptable value")
    described = target.get_attribute("aria-describedby")
    assert error.get_attribute("id") in described.split()
    expect(target).to_have_value("98")  # nothing typed is lost

    target.fill("99.5")
    page.locator("#metric-rows tr.editing").get_by_role("button", name="Save").click()
    saved = page.locator("#metric-rows").get_by_role("row", name="Availability")
    expect(saved).to_contain_text("≥ 99.5 %")
    expect(saved.get_by_role("link", name="Edit Availability")).to_be_focused()
    expect(empty).to_be_hidden()
    # Cancelling a new row's form hands focus to the "Add" button, not the page body.
    page.get_by_role("link", name="Add metric").click()
    page.locator("#metric-rows tr.editing").get_by_role("link", name="Cancel").click()
    expect(page.locator("#metric-rows tr.editing")).to_have_count(0)
    expect(page.get_by_role("link", name="Add metric")).to_be_focused()

    # A refused removal says why, beside the row: P1 is the last tier a metric uses.
    add_metric(page, "Fault response", "response_time", "30", "60", tiers=["P1 "])
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("#tier-rows").get_by_role("button", name="Remove P1").click()
    refusal = page.locator("#tier-rows .request-error[role=alert]")
    expect(refusal).to_be_visible()
    expect(refusal).to_be_focused()
    expect(
        page.locator("#tier-rows").get_by_role("rowheader", name=re.compile("^P1"))
    ).to_be_visible()


def test_the_calendar_editor_saves_a_lunch_break_week(page, manager_login):
    page.goto("/t/alpha/calendars/new/")
    page.locator("#id_name").fill("Shanghai office, lunch break")
    page.get_by_role("button", name="Mon–Fri 09:00–12:00 + 13:00–18:00").click()
    rows = page.locator("#slots tbody tr")
    expect(rows).to_have_count(12)  # ten slots and two empty rows
    # One slot per row: weekday, start, end and remove side by side, not stacked.
    first = rows.nth(0)
    tops = [
        round(first.locator(selector).bounding_box()["y"])
        for selector in ("select", "input[type=time] >> nth=0", "input[type=time] >> nth=1")
    ]
    assert max(tops) - min(tops) < 8, tops
    expect(first.locator("select")).to_have_value("0")
    expect(first.locator("input[type=time]").nth(0)).to_have_value("09:00")
    # Saturday morning too, typed into an empty row.
    spare = rows.nth(10)
    spare.locator("select").select_option("5")
    spare.locator("input[type=time]").nth(0).fill("09:00")
    spare.locator("input[type=time]").nth(1).fill("12:00")
    page.get_by_role("button", name="Create calendar").click()
    expect(page.get_by_text("was created")).to_be_visible()
    with tenant_context(manager_login):
        calendar = BusinessCalendar.objects.get(name="Shanghai office, lunch break")
        slots = sorted(calendar.slots.values_list("weekday", "start_time", "end_time"))
    assert len(slots) == 11
    assert (0, dt.time(9), dt.time(12)) in slots and (0, dt.time(13), dt.time(18)) in slots
    assert (5, dt.time(9), dt.time(12)) in slots


@pytest.fixture
def admin_too(manager_login):
    admin = MembershipFactory(
        tenant=manager_login, role=Role.ADMIN, user__email="ada@alpha.example"
    )
    admin.user.set_password("Admin-pass-2026")
    admin.user.save()
    return admin


def test_screenshots_of_the_changed_pages(page, live_server, manager_login, admin_too):
    """Both languages at desktop and phone width, kept under .artifacts/screenshots/."""
    draft = draft_of(manager_login)
    with tenant_context(manager_login):
        customer = Customer.objects.first()
        calendar = BusinessCalendar.objects.first()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    pages = {
        "agreement-list": "/t/alpha/agreements/",
        "agreement-new": "/t/alpha/agreements/new/",
        "sla-document": f"/t/alpha/agreements/{draft.pk}/",
        "customers": "/t/alpha/customers/",
        "customer": f"/t/alpha/customers/{customer.pk}/",
        "services": "/t/alpha/services/",
        "calendars": "/t/alpha/calendars/",
        "calendar-edit": f"/t/alpha/calendars/{calendar.pk}/edit/",
        "api-tokens": "/t/alpha/settings/tokens/",
    }
    page.context.clear_cookies()
    log_in(page, "ada@alpha.example", "Admin-pass-2026")
    for language in ("en", "zh-hans"):
        page.context.add_cookies(
            [{"name": "django_language", "value": language, "url": live_server.url}]
        )
        for width in (1280, 390):
            page.set_viewport_size({"width": width, "height": 900})
            for name, path in pages.items():
                page.goto(path)
                assert page.evaluate("document.documentElement.scrollWidth") <= width, name
                page.screenshot(path=SCREENSHOTS / f"{name}-{language}-{width}.png", full_page=True)
            # The editor with an inline form refused: the error beside the field.
            page.goto(f"/t/alpha/agreements/{draft.pk}/")
            page.locator("a[hx-get$='/metrics/add/']").click()
            form = page.locator("#metric-rows tr.editing")
            form.locator("input[name=name]").fill("X" * 300)
            form.locator("button[type=submit]").click()
            expect(page.locator("#metric-rows tr.editing .errorlist").first).to_be_visible()
            # the refused form still fits the screen (a long option once widened the page)
            assert page.evaluate("document.documentElement.scrollWidth") <= width
            page.screenshot(
                path=SCREENSHOTS / f"sla-editor-error-{language}-{width}.png", full_page=True
            )
            if width == 390:
                page.get_by_text("Menu" if language == "en" else "菜单").click()
                page.screenshot(path=SCREENSHOTS / f"phone-menu-{language}.png")
                page.keyboard.press("Escape")


def test_list_filters_apply_as_chosen(page, manager_login):
    draft_of(manager_login, "SLA-2026-011")
    draft_of(manager_login, "SLA-2026-012")
    page.goto("/t/alpha/agreements/")
    page.evaluate("window.stillThisPage = true")
    page.get_by_label("Status").select_option("draft")
    expect(page).to_have_url(re.compile(r"status=draft"))
    expect(page.locator("#list-results")).to_contain_text("SLA-2026-012")
    page.get_by_label("Search").fill("2026-011")
    expect(page.locator("#list-results")).not_to_contain_text("SLA-2026-012")
    expect(page.locator("#list-results")).to_contain_text("SLA-2026-011")
    expect(page).to_have_url(re.compile(r"q=2026-011"))
    assert page.evaluate("window.stillThisPage") is True  # swapped in place, no reload
    page.get_by_role("link", name="Reference").click()  # sorted, filters kept
    expect(page).to_have_url(re.compile(r"sort=-reference"))
    expect(page.get_by_label("Search")).to_have_value("2026-011")
