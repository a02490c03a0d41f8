"""Pages that read well: the calendar editor's slot table and country list, numbers as
people write them, units from a list, Chinese punctuation."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.template import Context, Template
from django.urls import reverse
from django.utils import translation

from agreements.models import BusinessCalendar
from slaweb.tenancy.context import tenant_context
from tests.factories.agreements import (
    AgreementFactory,
    BusinessCalendarFactory,
    CustomerFactory,
    MetricDefinitionFactory,
    PriorityTierFactory,
)

from .test_pages_catalog import calendar_post

pytestmark = pytest.mark.django_db


def url(name, *args, slug="alpha"):
    return reverse(f"agreements:{name}", args=[slug, *args])


def render(source, language="en", **context):
    with translation.override(language):
        return Template("{% load agreement_format %}" + source).render(Context(context))


class TestNumbers:
    @pytest.mark.parametrize(
        ("source", "context", "expected"),
        [
            ("{{ v|percent }}", {"v": Decimal("99.5000")}, "99.5 %"),
            ("{{ v|number }}", {"v": Decimal("4.5000")}, "4.5"),
            ("{{ v|money:'CNY' }}", {"v": Decimal("55000")}, "CNY 55,000.00"),
            ("{{ v|duration }}", {"v": 1440}, "24 h"),
            ("{{ v|duration }}", {"v": 150}, "2 h 30 min"),
            ("{{ v|duration }}", {"v": 15}, "15 min"),
            ("{{ v|duration }}", {"v": None}, "—"),
        ],
    )
    def test_filters(self, source, context, expected):
        assert render(source, **context) == expected

    def test_metric_values_in_their_unit(self, tenant_a):
        with tenant_context(tenant_a):
            score = MetricDefinitionFactory.build(kind="satisfaction_score", unit="score")
            time = MetricDefinitionFactory.build(kind="response_time", unit="min")
            availability = MetricDefinitionFactory.build(kind="availability_percent", unit="%")
        assert render("{{ v|metric_value:m }}", v=Decimal("4.5000"), m=score) == "4.5 / 5"
        assert render("{{ v|metric_value:m }}", v=Decimal("1440"), m=time) == "24 h"
        assert render("{{ v|metric_value:m }}", v=Decimal("99.5"), m=availability) == "99.5 %"

    def test_the_sla_document_reads_like_a_contract(self, manager, tenant_a):
        agreement = AgreementFactory(
            tenant=tenant_a, monthly_fee=Decimal("55000"), currency="CNY", credit_percent=5
        )
        PriorityTierFactory(
            agreement=agreement,
            code="P4",
            name="Low",
            response_minutes=240,
            resolution_minutes=1440,
        )
        MetricDefinitionFactory(
            agreement=agreement,
            name="Availability",
            kind="availability_percent",
            unit="%",
            target=Decimal("99.5"),
            minimum_acceptable=Decimal("99"),
        )
        page = manager.get(url("detail", agreement.pk)).content.decode()
        assert "CNY 55,000.00" in page
        assert "≥ 99.5 %" in page and "99.5000" not in page
        assert "24 h" in page and "1440 min" not in page

    def test_units_are_chosen_from_a_list(self, manager, tenant_a):
        agreement = AgreementFactory(tenant=tenant_a)
        form = manager.get(url("metric-add", agreement.pk), HTTP_HX_REQUEST="true")
        page = form.content.decode()
        select = re.search(r'<select name="unit"[^>]*>(.*?)</select>', page, re.S)
        assert select, "the unit is a select"
        assert 'value="min"' in select.group(1) and 'value="%"' in select.group(1)
        refused = manager.post(
            url("metric-add", agreement.pk),
            {
                "name": "X",
                "kind": "availability_percent",
                "unit": "parsecs",
                "target": "99",
                "minimum_acceptable": "98",
                "attainment_goal_percent": "100",
                "period": "month",
                "order": 0,
                "lock_version": agreement.lock_version,
            },
            HTTP_HX_REQUEST="true",
        )
        assert refused.status_code == 422
        assert "Select a valid choice" in refused.content.decode()


class TestCalendarEditor:
    def test_each_slot_is_one_row_of_four_cells(self, manager, tenant_a):
        calendar = BusinessCalendarFactory(tenant=tenant_a, name="Office")
        page = manager.get(url("catalog-calendar-edit", calendar.pk)).content.decode()
        rows = re.findall(r'<tr id="slots-\d+"[^>]*>(.*?)</tr>', page, re.S)
        assert rows
        for row in rows:
            cells = re.findall(r"<td[ >].*?</td>", row, re.S)
            assert len(cells) == 5  # weekday, start, end, remove, problems
            assert "<select" in cells[0] and 'type="time"' in cells[1] and 'type="time"' in cells[2]
            assert 'type="checkbox"' in cells[3]
        # The row cells stay table cells (the .field class is spacing only).
        css = open("static/css/slaweb.css").read()
        assert ".table td.field { display:table-cell;" in css

    def test_a_week_with_a_lunch_break_is_saved(self, manager, tenant_a):
        slots = [
            (str(day), start, end)
            for day in range(5)
            for start, end in (("09:00", "12:00"), ("13:00", "18:00"))
        ]
        response = manager.post(url("catalog-calendar-create"), calendar_post("Lunch", slots=slots))
        assert response.status_code == 302, response.content.decode()[:2000]
        with tenant_context(tenant_a):
            calendar = BusinessCalendar.objects.get(name="Lunch")
            saved = sorted(calendar.slots.values_list("weekday", "start_time", "end_time"))
        assert saved == [
            (day, dt.time(*start), dt.time(*end))
            for day in range(5)
            for start, end in (((9, 0), (12, 0)), ((13, 0), (18, 0)))
        ]

    @pytest.mark.parametrize(("language", "china"), [("en", "China"), ("zh-hans", "中国")])
    def test_one_entry_per_country_named_in_the_page_language(
        self, client, manager, language, china
    ):
        client.cookies["django_language"] = language
        page = manager.get(url("catalog-calendar-create")).content.decode()
        select = re.search(r'<select name="country"[^>]*>(.*?)</select>', page, re.S).group(1)
        options = re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', select)
        codes = [code for code, _name in options if code]
        assert len(codes) == len(set(codes)) and 150 < len(codes) < 300
        assert all(len(code) == 2 for code in codes)
        assert ("CN", china) in options
        assert not any(re.search(r"\([A-Z]{2,3}\)", name) for _code, name in options)


class TestAdminAndLogin:
    def test_a_token_post_redirects_and_a_reload_creates_no_second_token(
        self, client, admin_a, manager_a
    ):
        from slaweb.tenancy.models import ApiToken

        client.force_login(admin_a.user)
        tokens = reverse("tenancy:tokens", args=["alpha"])
        response = client.post(tokens, {"name": "ticket sync", "membership": manager_a.pk})
        assert response.status_code == 302 and response["Location"] == tokens
        page = client.get(tokens).content.decode()
        key = re.search(r'<code class="secret" id="new-token">([^<]+)</code>', page).group(1)
        assert 'data-copy="#new-token"' in page  # the copy button (static/js/slaweb.js)
        assert "<script>" not in page and "onclick" not in page
        reload = client.get(tokens).content.decode()
        assert key not in reload
        with tenant_context(admin_a.tenant_id):
            assert ApiToken.objects.filter(name="ticket sync").count() == 1

    def test_the_login_form_asks_for_the_email(self, client):
        page = client.get(reverse("login")).content.decode()
        assert re.search(r'<label for="id_username">Email:</label>', page)
        assert "Username" not in page


class TestChinese:
    def test_labels_end_with_a_full_width_colon(self, client, manager, tenant_a):
        client.cookies["django_language"] = "zh-hans"
        agreement = AgreementFactory(tenant=tenant_a)
        page = manager.get(url("edit", agreement.pk)).content.decode()
        labels = re.findall(r"<label[^>]*>([^<]+)</label>", page)
        assert labels
        assert not [label for label in labels if label.rstrip().endswith(":")]
        assert any(label.rstrip().endswith("：") for label in labels)

    def test_default_tiers_units_and_badges_in_chinese(self, client, manager, tenant_a):
        client.cookies["django_language"] = "zh-hans"
        agreement = AgreementFactory(tenant=tenant_a)
        PriorityTierFactory(
            agreement=agreement,
            code="P1",
            name="Urgent",
            response_minutes=15,
            resolution_minutes=150,
        )
        page = manager.get(url("detail", agreement.pk)).content.decode()
        assert "15 分钟" in page and "2 小时 30 分钟" in page
        assert 'class="badge status-draft">草稿' in page

    def test_default_tiers_and_exclusions_are_written_in_the_tenants_language(
        self, manager, tenant_a
    ):
        from agreements import services

        tenant_a.language = "zh-hans"
        tenant_a.save()
        with tenant_context(tenant_a), translation.override("en"):
            customer = CustomerFactory(tenant=tenant_a)
            agreement = services.create_agreement(
                title="T", reference="SLA-ZH", customer=customer, effective_from=dt.date(2026, 1, 1)
            )
            names = list(agreement.tiers.order_by("order").values_list("name", flat=True))
            exclusions = set(agreement.exclusions.values_list("description", flat=True))
        assert names == ["紧急", "高", "中", "低"]
        assert "不可抗力事件。" in exclusions


class TestPhoneHeader:
    def test_the_menu_is_a_details_button_holding_the_main_nav(self, manager, tenant_a):
        page = manager.get(url("list")).content.decode()
        menu = re.search(
            r'<details class="menu">\s*<summary>(.*?)</summary>(.*?)</details>\s*\n', page, re.S
        )
        assert menu and "Menu" in menu.group(1)
        assert '<nav class="mainnav" aria-label="Main">' in menu.group(2)
        css = open("static/css/slaweb.css").read()
        # Wide screens show the menu's content as a row; phones get the button.
        assert ".menu::details-content { content-visibility:visible; display:contents; }" in css
        assert "@media (max-width: 900px)" in css
        assert "<script>" not in page and " onclick=" not in page and " style=" not in page
