"""A customer answers a satisfaction survey from the link in a real email, in Chinese;
opening the link again says it cannot be used; the manager sees the low score's
follow-up and closes it. Screenshots of the pages go to SHOTS_DIR when it is set."""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from slaweb.mail import services as mail
from slaweb.tenancy.context import tenant_context
from slaweb.tenancy.models import Role
from surveys import services
from surveys.models import Campaign, FollowUp, Round
from tests.factories import MembershipFactory, TenantFactory
from tests.surveys.conftest import make_campaign

from .conftest import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
SHOTS = os.environ.get("SHOTS_DIR", "")


def shoot(page, name):
    """Full-page screenshots at 1280 and 390 px when SHOTS_DIR is set."""
    if not SHOTS:
        return
    Path(SHOTS).mkdir(parents=True, exist_ok=True)
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=f"{SHOTS}/{name}-{width}.png", full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})


@pytest.fixture
def mailed_link(smtp_inbox, monkeypatch):
    """A campaign dispatched now; its mails delivered to the real SMTP server."""
    queued = []
    monkeypatch.setattr(mail, "_queue", lambda name, *args, **kw: queued.append((name, args)))
    tenant = TenantFactory(slug="alpha", name="Alpha IT 运维中心")
    manager = MembershipFactory(tenant=tenant, role=Role.MANAGER, user__email="mia@alpha.example")
    manager.user.set_password("Manager-pass-2026")
    manager.user.save()
    campaign = make_campaign(tenant, "SLA-2026-001")
    with tenant_context(tenant):
        Campaign.objects.filter(pk=campaign.pk).update(next_run_at=timezone.now())
    services.dispatch_due_campaigns()
    for name, args in queued:
        (mail.deliver_many if name == "send_messages" else mail.deliver)(*args)
    chinese = next(m for m in smtp_inbox.messages if m["X-Rcpt-To"].startswith("li."))
    text = chinese.get_body(("plain",)).get_content()
    link = re.search(r"https?://\S+/s/[A-Za-z0-9_-]{43}/", text).group(0)
    return tenant, campaign, urlsplit(link).path


def test_answer_in_chinese_then_the_manager_closes_the_follow_up(page, mailed_link):
    tenant, campaign, path = mailed_link
    page.goto(path)
    expect(page.get_by_role("heading", level=1)).to_have_text("您对我们的服务满意吗？")
    expect(page.get_by_text("Server operations support")).to_be_visible()
    shoot(page, "public-answer-zh")
    page.goto(path + "?lang=en")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "How satisfied were you with our service?"
    )
    shoot(page, "public-answer-en")
    page.get_by_role("link", name="中文").click()

    # submitting with a missing rating keeps the rest and names the question
    speed = page.get_by_role("group", name=re.compile("您对本次服务的响应速度是否满意"))
    page.get_by_role("group", name=re.compile("服务人员是否能准确理解")).get_by_label(
        "4 满意"
    ).check()
    page.get_by_role("button", name="提交回答").click()
    expect(page.get_by_role("alert")).to_contain_text("请检查您的回答")
    expect(
        page.get_by_role("group", name=re.compile("服务人员是否能准确理解")).get_by_label("4 满意")
    ).to_be_checked()
    shoot(page, "public-answer-error-zh")

    speed = page.get_by_role("group", name=re.compile("您对本次服务的响应速度是否满意"))
    speed.get_by_label("2 不满意").check()
    page.get_by_role("group", name=re.compile("服务人员在沟通过程中")).get_by_label(
        "5 非常满意"
    ).check()
    page.get_by_role("group", name=re.compile("综合本次服务体验")).get_by_label("3 一般").check()
    page.get_by_label("您认为哪些服务环节需要改进？或有哪些其他需求？").fill("希望增加夜间技术支持")
    page.get_by_role("button", name="提交回答").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("感谢您的回答")
    shoot(page, "public-thanks-zh")

    page.goto(path)  # the browser speaks English: both languages, English first
    expect(page.get_by_role("heading", level=1)).to_have_text("This link cannot be used")
    expect(page.get_by_role("heading", level=2)).to_have_text("此链接无法使用")
    expect(page.get_by_text("该问卷可能已经作答")).to_be_visible()
    shoot(page, "public-used-zh")

    with tenant_context(tenant):
        follow_up = FollowUp.objects.get()
        round_ = Round.objects.get()
    assert follow_up.lowest_score == 2

    log_in(page, "mia@alpha.example", "Manager-pass-2026")
    page.goto(f"/t/{tenant.slug}/surveys/campaigns/")
    shoot(page, "manager-campaigns-en")
    page.get_by_role("link", name=campaign.name).click()
    shoot(page, "manager-campaign-en")
    page.goto(f"/t/{tenant.slug}/surveys/rounds/{round_.pk}/")
    shoot(page, "manager-round-en")
    page.goto(f"/t/{tenant.slug}/surveys/campaigns/{campaign.pk}/results/")
    expect(page.get_by_text("Mean of the overall satisfaction question (1-5).")).to_be_visible()
    shoot(page, "manager-results-en")
    page.goto(f"/t/{tenant.slug}/surveys/questionnaires/{campaign.questionnaire_id}/")
    shoot(page, "manager-questionnaire-en")

    page.get_by_role("navigation", name="Surveys").get_by_role("link", name="Follow-ups").click()
    shoot(page, "manager-followups-en")
    page.get_by_role("link", name=re.compile(r"\d")).first.click()
    expect(page.get_by_text("希望增加夜间技术支持")).to_be_visible()
    page.get_by_role("button", name="Close").click()  # nothing filled in: refused
    expect(page.locator("#error-summary")).to_be_visible()
    shoot(page, "manager-followup-error-en")
    page.get_by_label("Cause found").fill("Night shift had one engineer")
    page.get_by_label("Action taken").fill("A second engineer on nights from July")
    page.get_by_role("button", name="Close").click()
    expect(page.get_by_text("The follow-up was closed.")).to_be_visible()
    with tenant_context(tenant):
        assert FollowUp.objects.get().status == "closed"

    # the manager pages in Chinese
    page.get_by_label("Language").select_option("zh-hans")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    for name, url in [
        ("manager-campaigns-zh", f"/t/{tenant.slug}/surveys/campaigns/"),
        ("manager-results-zh", f"/t/{tenant.slug}/surveys/campaigns/{campaign.pk}/results/"),
        ("manager-round-zh", f"/t/{tenant.slug}/surveys/rounds/{round_.pk}/"),
        ("manager-followup-zh", f"/t/{tenant.slug}/surveys/follow-ups/{follow_up.pk}/"),
        ("manager-campaign-form-zh", f"/t/{tenant.slug}/surveys/campaigns/{campaign.pk}/edit/"),
    ]:
        page.goto(url)
        shoot(page, name)
    expect(page.get_by_role("heading", level=1)).to_have_text("编辑调查活动")
