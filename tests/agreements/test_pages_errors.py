"""Every error is seen: inline editors answer a refusal with the form and its errors
(status 422 or 409, which htmx is configured to swap), beside the field, linked with
aria-describedby, marked aria-invalid; ids are unique per row; long input is refused, not
cut; a long form with errors gets a summary linking to each field."""

import json
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from agreements.models import Agreement, ExclusionRule, MetricDefinition, PriorityTier
from slaweb.tenancy.context import tenant_context
from tests.factories.agreements import (
    AgreementFactory,
    MetricDefinitionFactory,
    MetricTierFactory,
    PriorityTierFactory,
)

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def url(name, *args, slug="alpha"):
    return reverse(f"agreements:{name}", args=[slug, *args])


@pytest.fixture
def draft(tenant_a):
    agreement = AgreementFactory(tenant=tenant_a, title="Server operations", reference="SLA-OPS")
    tier = PriorityTierFactory(
        agreement=agreement, code="P1", name="Urgent", response_minutes=15, resolution_minutes=120
    )
    metric = MetricDefinitionFactory(
        agreement=agreement,
        name="Fault response",
        kind="response_time",
        target=Decimal("60"),
        minimum_acceptable=Decimal("120"),
    )
    MetricTierFactory(metric=metric, tier=tier)
    with tenant_context(tenant_a):
        return Agreement.objects.get(pk=agreement.pk)


def tier_of(draft):
    with tenant_context(draft.tenant_id):
        return PriorityTier.objects.get(agreement=draft, code="P1")


def metric_data(draft, **changes):
    data = {
        "name": "Availability",
        "kind": "availability_percent",
        "direction": "",
        "unit": "%",
        "target": "99.5",
        "minimum_acceptable": "99",
        "attainment_goal_percent": "100",
        "period": "month",
        "order": 1,
        "lock_version": draft.lock_version,
    }
    data.update(changes)
    return data


def assert_error_beside(page, field_id, text):
    """The message sits in "<id>_error", the input points at it and is marked invalid."""
    match = re.search(
        rf'<div class="errorlist" id="{field_id}_error" role="alert">(.*?)</div>', page, re.S
    )
    assert match, f"no error beside {field_id}"
    assert text in match.group(1)
    tag = re.search(rf'<(?:input|select|textarea)[^>]*id="{field_id}"[^>]*>', page)
    assert tag, f"no input {field_id}"
    assert 'aria-invalid="true"' in tag.group(0)
    assert f"{field_id}_error" in tag.group(0)


class TestInlineRefusalsAreSwappedWithTheirMessage:
    def test_htmx_is_configured_to_swap_refusals(self, manager, draft):
        page = manager.get(url("detail", draft.pk)).content.decode()
        config = re.search(r"<meta name=\"htmx-config\" content='([^']*)'>", page).group(1)
        handling = json.loads(config)["responseHandling"]
        swapped = [rule for rule in handling if rule.get("swap")]
        assert any(re.search(rule["code"], "422") for rule in swapped)
        assert any(re.search(rule["code"], "409") for rule in swapped)
        assert not any(re.search(rule["code"], "500") for rule in swapped)

    def test_minimum_better_than_target(self, manager, draft):
        response = manager.post(
            url("metric-add", draft.pk),
            metric_data(draft, target="98", minimum_acceptable="99"),
            **HTMX,
        )
        assert response.status_code == 422
        page = response.content.decode()
        row = re.search(r'<input type="hidden" name="row" value="([0-9a-f]{6})">', page).group(1)
        assert_error_beside(page, f"metrics-new{row}-target", "must be at least the minimum")
        with tenant_context(draft.tenant_id):
            assert not MetricDefinition.objects.filter(name="Availability").exists()

    def test_negative_minutes(self, manager, draft):
        tier = tier_of(draft)
        data = {
            "code": "P1",
            "name": "Urgent",
            "response_minutes": "-5",
            "resolution_minutes": "120",
            "order": 0,
            "lock_version": draft.lock_version,
        }
        response = manager.post(url("tier-edit", draft.pk, tier.pk), data, **HTMX)
        assert response.status_code == 422
        assert_error_beside(
            response.content.decode(), f"tiers-{tier.pk}-response_minutes", "greater than or equal"
        )
        assert tier_of(draft).response_minutes == 15

    def test_a_percentage_over_100(self, manager, draft):
        response = manager.post(
            url("metric-add", draft.pk),
            metric_data(draft, target="101", minimum_acceptable="99", row="abc123"),
            **HTMX,
        )
        assert response.status_code == 422
        assert_error_beside(response.content.decode(), "metrics-newabc123-target", "100")

    def test_an_empty_exclusion(self, manager, draft):
        response = manager.post(
            url("exclusion-add", draft.pk),
            {
                "kind": "force_majeure",
                "description": " ",
                "lock_version": draft.lock_version,
                "row": "00aa11",
            },
            **HTMX,
        )
        assert response.status_code == 422
        assert_error_beside(
            response.content.decode(), "exclusions-new00aa11-description", "This field is required"
        )
        with tenant_context(draft.tenant_id):
            assert not ExclusionRule.objects.filter(agreement=draft, kind="force_majeure").exists()

    def test_removing_the_last_tier_a_metric_uses(self, manager, draft):
        tier = tier_of(draft)
        response = manager.post(
            url("tier-delete", draft.pk, tier.pk), {"lock_version": draft.lock_version}, **HTMX
        )
        assert response.status_code == 409
        assert response["HX-Reswap"] == "none"
        message = json.loads(response["HX-Trigger"])["slaweb:error"]
        assert "Fault response" in message or "priority tier" in message
        with tenant_context(draft.tenant_id):
            assert PriorityTier.objects.filter(pk=tier.pk).exists()
        # Without JavaScript the same refusal comes back as a message on the page.
        plain = manager.post(
            url("tier-delete", draft.pk, tier.pk), {"lock_version": draft.lock_version}, follow=True
        )
        assert message in plain.content.decode().replace("&#x27;", "'")

    def test_two_people_editing_the_same_row(self, manager, draft):
        tier = tier_of(draft)
        first = {
            "code": "P1",
            "name": "First editor",
            "response_minutes": 15,
            "resolution_minutes": 120,
            "order": 0,
            "lock_version": draft.lock_version,
        }
        assert manager.post(url("tier-edit", draft.pk, tier.pk), first, **HTMX).status_code == 200
        second = dict(first, name="Second editor")  # the same, now stale, lock_version
        response = manager.post(url("tier-edit", draft.pk, tier.pk), second, **HTMX)
        assert response.status_code == 409
        page = response.content.decode()
        assert 'class="conflict wide" role="alert" tabindex="-1"' in page
        assert "Someone else changed this agreement" in page
        assert 'value="Second editor"' in page  # the editor's input is kept
        assert tier_of(draft).name == "First editor"

    def test_without_javascript_the_form_page_shows_the_error(self, manager, draft):
        response = manager.post(
            url("metric-add", draft.pk), metric_data(draft, target="98", minimum_acceptable="99")
        )
        assert response.status_code == 422
        page = response.content.decode()
        assert "<html" in page and "must be at least the minimum" in page


class TestInlineFormsShareThePage:
    def test_two_open_forms_never_share_an_id(self, manager, draft):
        tier = tier_of(draft)
        pages = [
            manager.get(url("tier-add", draft.pk), **HTMX).content.decode(),
            manager.get(url("tier-add", draft.pk), **HTMX).content.decode(),
            manager.get(url("tier-edit", draft.pk, tier.pk), **HTMX).content.decode(),
            manager.get(url("metric-add", draft.pk), **HTMX).content.decode(),
        ]
        ids = [i for page in pages for i in re.findall(r' id="([^"]+)"', page)]
        assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
        assert f'id="tiers-{tier.pk}-name"' in pages[2]
        assert f'for="tiers-{tier.pk}-name"' in pages[2]

    def test_a_saved_row_takes_the_focus_back(self, manager, draft):
        tier = tier_of(draft)
        data = {
            "code": "P1",
            "name": "Renamed",
            "response_minutes": 15,
            "resolution_minutes": 120,
            "order": 0,
            "lock_version": draft.lock_version,
        }
        page = manager.post(url("tier-edit", draft.pk, tier.pk), data, **HTMX).content.decode()
        assert re.search(r"<a [^>]*data-autofocus[^>]*>Edit", page)
        cancel = manager.get(url("tier-edit", draft.pk, tier.pk) + "?cancel=1", **HTMX)
        assert "data-autofocus" in cancel.content.decode()
        # The full page has no autofocus of its own.
        assert "data-autofocus>" not in manager.get(url("detail", draft.pk)).content.decode()

    def test_the_empty_row_is_marked_so_an_added_row_hides_it(self, manager, tenant_a):
        empty = AgreementFactory(tenant=tenant_a, reference="SLA-EMPTY")
        page = manager.get(url("detail", empty.pk)).content.decode()
        assert '<tr class="empty-row"><td colspan="8" class="empty">No metrics yet.' in page


class TestLongInput:
    def test_no_maxlength_attribute_cuts_a_paste(self, manager, draft):
        page = manager.get(url("edit", draft.pk)).content.decode()
        assert "maxlength" not in page
        form = manager.get(url("metric-add", draft.pk), **HTMX).content.decode()
        assert "maxlength" not in form

    def test_a_10000_character_title_is_refused_with_a_summary(self, manager, draft):
        form = manager.get(url("edit", draft.pk)).context["form"]
        data = {k: v for k, v in form.initial.items() if v is not None and k != "services"}
        data.update(customer=draft.customer_id, title="x" * 10_000, lock_version=draft.lock_version)
        response = manager.post(url("edit", draft.pk), data)
        assert response.status_code == 400
        page = response.content.decode()
        assert "at most 200 characters (it has 10000)" in page
        summary = re.search(r'<div class="error-summary".*?</div>', page, re.S).group(0)
        assert 'href="#id_title"' in summary and "data-autofocus" in summary
        with tenant_context(draft.tenant_id):
            assert Agreement.objects.get(pk=draft.pk).title == "Server operations"

    def test_a_long_metric_name_is_refused_inline(self, manager, draft):
        response = manager.post(
            url("metric-add", draft.pk), metric_data(draft, name="m" * 300, row="abcdef"), **HTMX
        )
        assert response.status_code == 422
        assert_error_beside(response.content.decode(), "metrics-newabcdef-name", "at most 200")
