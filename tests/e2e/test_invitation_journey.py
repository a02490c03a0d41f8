"""An admin invites a person by email; the person opens the mailed link, fixes a bad
password, joins and lands in the tenant (real SMTP server, live server, Chromium)."""

import os
import re

import pytest
from playwright.sync_api import expect

from slaweb.mail import services as mail
from slaweb.mail.models import OutboxMessage
from slaweb.tenancy.context import tenant_context
from slaweb.tenancy.models import Role
from tests.factories import MembershipFactory, TenantFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
SHOTS = os.environ.get("SHOTS_DIR")  # set to keep screenshots of each page


def shoot(page, name):
    if SHOTS:
        for width in (1280, 390):
            page.set_viewport_size({"width": width, "height": 900})
            page.screenshot(path=f"{SHOTS}/{name}-{width}.png", full_page=True)
        page.set_viewport_size({"width": 1280, "height": 900})


def send_outbox(tenant):
    with tenant_context(tenant):
        ids = list(OutboxMessage.objects.filter(status="queued").values_list("pk", flat=True))
    for pk in ids:
        mail.deliver(tenant.pk, pk)


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_an_invited_person_joins_with_a_new_account(
    browser, live_server, smtp_inbox, settings, language
):
    settings.SITE_URL = live_server.url
    tenant = TenantFactory(slug="alpha", name="Alpha Ltd", language=language)
    admin = MembershipFactory(tenant=tenant, role=Role.ADMIN, user__email="admin@alpha.example")
    admin.user.set_password("Admin-pass-2026")
    admin.user.save()
    zh = language == "zh-hans"
    context = browser.new_context(
        base_url=live_server.url,
        locale="zh-CN" if zh else "en-US",
        viewport={"width": 1280, "height": 900},
    )
    context.set_default_timeout(15_000)
    page = context.new_page()

    page.goto("/accounts/login/")
    page.locator("#id_username").fill("admin@alpha.example")
    page.locator("#id_password").fill("Admin-pass-2026")
    page.locator("form.form button[type=submit]").click()
    page.goto("/t/alpha/settings/members/")
    page.locator("#id_email").fill("not-an-email")
    page.locator("form.form button[type=submit]").click()
    expect(page.locator("#id_email_error")).to_be_visible()
    page.locator("#id_email").fill("nova@example.com")
    page.locator("#id_role").select_option("manager")
    page.locator("form.form button[type=submit]").click()
    expect(page.get_by_role("cell", name="nova@example.com")).to_be_visible()
    shoot(page, f"members-{language}")
    context.clear_cookies()

    send_outbox(tenant)
    [message] = smtp_inbox.messages
    text = message.get_body(("plain",)).get_content()
    link = re.search(r"(https?://\S+/invitations/\S+/)", text).group(1)
    assert message["Subject"] == (
        "邀请您加入 slaweb 上的 Alpha Ltd" if zh else "You are invited to join Alpha Ltd on slaweb"
    )

    page.goto(link)
    shoot(page, f"accept-{language}")
    page.locator("#id_name").fill("Nova Person")
    page.locator("#id_password1").fill("short")
    page.locator("#id_password2").fill("short")
    page.locator("form.form button[type=submit]").click()
    expect(page.locator("#id_password2_error")).to_be_visible()
    expect(page.locator("#id_name")).to_have_value("Nova Person")  # input kept
    shoot(page, f"accept-error-{language}")
    page.locator("#id_password1").fill("Fresh-pass-2026")
    page.locator("#id_password2").fill("Fresh-pass-2026")
    page.locator("form.form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/t/alpha/$"))
    expect(
        page.get_by_text("欢迎加入 Alpha Ltd。" if zh else "Welcome to Alpha Ltd.")
    ).to_be_visible()

    context.clear_cookies()
    page.goto(link)
    expect(page.locator("h1")).to_have_text("此邀请无效" if zh else "This invitation is not valid")
    shoot(page, f"invalid-{language}")

    # the admin sees the invitation among the outgoing email, sent
    page.goto("/accounts/login/")
    page.locator("#id_username").fill("admin@alpha.example")
    page.locator("#id_password").fill("Admin-pass-2026")
    page.locator("form.form button[type=submit]").click()
    page.goto("/t/alpha/settings/mail/")
    row = page.get_by_role("row").filter(has_text="nova@example.com")
    expect(row).to_contain_text("已发送" if zh else "sent")
    shoot(page, f"outbox-{language}")
    context.close()
