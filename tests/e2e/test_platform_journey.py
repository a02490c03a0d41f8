import pytest
from playwright.sync_api import expect

from slaweb.tenancy.models import Role
from tests.factories import MembershipFactory, TenantFactory

from .conftest import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_an_admin_logs_in_creates_an_api_token_and_switches_language(page):
    tenant = TenantFactory(slug="alpha", name="Alpha Ltd")
    admin = MembershipFactory(tenant=tenant, role=Role.ADMIN, user__email="admin@alpha.example")
    admin.user.set_password("Admin-pass-2026")
    admin.user.save()

    log_in(page, "admin@alpha.example", "Admin-pass-2026")
    expect(page.get_by_role("heading", name="Alpha Ltd")).to_be_visible()

    page.get_by_role("navigation", name="Main").get_by_role("link", name="API tokens").click()
    page.get_by_label("Name").fill("ticket sync")
    page.get_by_role("button", name="Create token").click()
    expect(page.get_by_text("Copy it now")).to_be_visible()
    key = page.locator("#new-token").inner_text()
    assert key.startswith("slw_")
    expect(page.get_by_role("cell", name="ticket sync")).to_be_visible()

    page.get_by_label("Language").select_option("zh-hans")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(
        page.get_by_role("navigation", name="主导航").get_by_role("link", name="API 令牌")
    ).to_be_visible()
