"""A customer opens the emailed report link in a real browser, in Chinese: the report is
shown, an empty name is refused beside the field, the acknowledgement is recorded (the
browser's own form post passes CSRF); a tampered link shows the calm page."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from reports.models import ReportDelivery
from reports.services import delivery as service
from slaweb.tenancy.context import tenant_context
from tests.factories import TenantFactory
from tests.factories.reports import ReportDeliveryFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_reader_acknowledges_the_report_from_the_link_in_chinese(page):
    tenant = TenantFactory(slug="alpha", name="Alpha IT 运维中心")
    sent = ReportDeliveryFactory(
        tenant=tenant,
        name="李雷",
        email="li@customer.example",
        language="zh-hans",
        expires_at=timezone.now() + dt.timedelta(days=60),
    )
    path = f"/r/{service.make_token(sent)}/"

    page.goto(path)
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")
    expect(page.get_by_role("heading", name=sent.report.agreement.title)).to_be_visible()
    name = page.get_by_label("您的姓名")
    expect(name).to_have_value("李雷")

    name.fill("")
    page.get_by_role("button", name="确认报告").click()
    expect(page.locator("#id_name_error")).to_contain_text("请输入您的姓名以确认报告。")

    page.get_by_label("您的姓名").fill("李雷（IT 经理）")
    page.get_by_role("button", name="确认报告").click()
    expect(page.locator(".ack-done")).to_contain_text("已由 李雷（IT 经理） 于")
    with tenant_context(tenant):
        row = ReportDelivery.objects.get(pk=sent.pk)
    assert row.acknowledged_name == "李雷（IT 经理）" and row.opened_at is not None

    response = page.goto(path[:-5] + "xxxx/")
    assert response.status == 404
    expect(page.get_by_role("heading", name="此链接无法使用")).to_be_visible()
