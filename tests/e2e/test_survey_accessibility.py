"""The public answer page by tool and by keyboard: axe-core finds no serious or critical
violation (WCAG 2.1 A/AA and best practices) in Chinese and English at 1280 and 390 px,
and a respondent answers with the keyboard alone (Tab, arrow keys, Space, Enter).

axe-core (MPL-2.0, Deque Systems) is vendored as tests/e2e/vendor/axe.min.js (see
tests/e2e/vendor/README.md); it is injected into the page by the test only."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from slaweb.mail import services as mail
from slaweb.tenancy.context import tenant_context
from surveys import services
from surveys.models import Campaign, Invitation, Response
from tests.factories import TenantFactory
from tests.surveys.conftest import issue_token, make_campaign

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
AXE = Path(__file__).parent / "vendor" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]


@pytest.fixture
def link(monkeypatch):
    """The answer page path of a Chinese contact's invitation, dispatched now."""
    monkeypatch.setattr(mail, "_queue", lambda *args, **kw: None)  # no mail needed here
    tenant = TenantFactory(slug="alpha", name="Alpha IT 运维中心")
    campaign = make_campaign(tenant, "SLA-2026-001")
    with tenant_context(tenant):
        services.add_dimension(campaign.questionnaire, "recommend")  # the 0-10 scale too
        Campaign.objects.filter(pk=campaign.pk).update(next_run_at=timezone.now())
    services.dispatch_due_campaigns()
    with tenant_context(tenant):
        invitation = Invitation.objects.get(language="zh-hans")
    return tenant, invitation, f"/s/{issue_token(tenant, invitation)}/"


@pytest.fixture
def axe_page(browser, live_server):
    # the site's Content-Security-Policy forbids inline scripts, axe is injected as one
    context = browser.new_context(base_url=live_server.url, bypass_csp=True)
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


def serious_violations(page) -> list[str]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", TAGS
    )
    assert len(result["passes"]) > 20  # axe really checked the page
    if os.environ.get("AXE_REPORT"):
        print([(v["id"], v["impact"], len(v["nodes"])) for v in result["violations"]])
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


@pytest.mark.parametrize("width", [1280, 390])
@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_axe_finds_no_serious_violation_on_the_answer_page(axe_page, link, language, width):
    _tenant, _invitation, path = link
    axe_page.set_viewport_size({"width": width, "height": 900})
    axe_page.goto(f"{path}?lang={language}")
    expect(axe_page.locator("form.survey-form")).to_be_visible()
    assert serious_violations(axe_page) == []
    # and with the errors shown after an empty submit (focus moves to the summary)
    axe_page.locator("button[type=submit]").click()
    expect(axe_page.locator("#error-summary")).to_be_focused()
    assert serious_violations(axe_page) == []


def test_the_form_is_answered_with_the_keyboard_alone(page, link):
    tenant, invitation, path = link
    page.goto(f"{path}?lang=en")
    first = page.locator("fieldset.scale input[type=radio]").first
    for _ in range(30):  # Tab from the top of the page to the first rating
        page.keyboard.press("Tab")
        if first.evaluate("node => node === document.activeElement"):
            break
    expect(first).to_be_focused()
    # four ratings: Space picks the focused point, the arrow keys move within the scale,
    # Tab goes on to the next question's scale
    page.keyboard.press("Space")
    expect(first).to_be_checked()
    for _ in range(3):
        page.keyboard.press("ArrowRight")
    focused_value = page.evaluate("document.activeElement.value")
    assert focused_value == "4"
    for _ in range(3):
        page.keyboard.press("Tab")
        page.keyboard.press("Space")
        page.keyboard.press("ArrowRight")
        page.keyboard.press("ArrowRight")  # 3 after 1: the arrow keys select as they move
    page.keyboard.press("Tab")  # the open question
    page.keyboard.type("Faster answers, please")
    page.keyboard.press("Tab")  # the recommendation scale
    page.keyboard.press("Space")
    page.keyboard.press("ArrowLeft")  # from 0 back to 10
    page.keyboard.press("Enter")  # submits the form from a radio button
    expect(page).to_have_url(re.compile(r"/s/thanks/"))
    with tenant_context(tenant):
        response = Response.objects.get()
        scores = dict(response.answers.values_list("question__code", "score"))
        texts = dict(response.answers.values_list("question__code", "text"))
    assert sorted(v for v in scores.values() if v is not None) == [3, 3, 3, 4, 10]
    assert "Faster answers, please" in texts.values()
