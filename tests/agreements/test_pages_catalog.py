"""Catalog pages: customers with inline contacts (HTMX and plain posts), services and
business calendars (slots, holidays, working days, quick choices, 14-day preview);
isolation, roles, archive/delete rules, constant queries, Chinese."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from agreements.models import BusinessCalendar, Contact, Customer, Service
from agreements.views_catalog import calendar_preview, describe_week
from slaweb.tenancy.context import tenant_context
from tests.factories.agreements import (
    AgreementFactory,
    AgreementServiceFactory,
    BusinessCalendarFactory,
    CalendarHolidayFactory,
    CalendarSlotFactory,
    CalendarWorkingDayFactory,
    ContactFactory,
    CustomerFactory,
    ServiceFactory,
)
from tests.isolation import PageIsolationTests, snapshot

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def url(name, *args, slug="alpha"):
    return reverse(f"agreements:catalog-{name}", args=[slug, *args])


def in_tenant(obj_or_tenant, fn):
    tenant_id = getattr(obj_or_tenant, "tenant_id", None) or obj_or_tenant.pk
    with tenant_context(tenant_id):
        return fn()


def business_slots(tenant, calendar):
    for day in range(5):
        CalendarSlotFactory(
            tenant=tenant,
            calendar=calendar,
            weekday=day,
            start_time=dt.time(9),
            end_time=dt.time(12),
        )
        CalendarSlotFactory(
            tenant=tenant,
            calendar=calendar,
            weekday=day,
            start_time=dt.time(13),
            end_time=dt.time(18),
        )


def calendar_post(name="Office hours", slots=(), holidays=(), workdays=(), **fields):
    data = {
        "name": name,
        "time_zone": "Asia/Shanghai",
        "country": "CN",
        "subdivision": "",
        **fields,
    }
    for prefix, rows, keys in (
        ("slots", slots, ("weekday", "start_time", "end_time")),
        ("holidays", holidays, ("date", "name")),
        ("workdays", workdays, ("date", "name")),
    ):
        data[f"{prefix}-TOTAL_FORMS"] = str(len(rows))
        data[f"{prefix}-INITIAL_FORMS"] = "0"
        for i, row in enumerate(rows):
            for key, value in zip(keys, row, strict=True):
                data[f"{prefix}-{i}-{key}"] = value
    return data


def form_values(page: str, form_id: str) -> dict:
    """What a browser submits for a form of the page (inputs, selected options, textareas)."""
    from html.parser import HTMLParser

    class Parser(HTMLParser):
        def __init__(self):
            super().__init__()
            self.inside, self.values, self.select, self.textarea = False, {}, None, None

        def handle_starttag(self, tag, attrs):
            attrs = dict(attrs)
            if tag == "form":
                self.inside = attrs.get("id") == form_id
            elif not self.inside:
                return
            elif tag == "input" and attrs.get("name"):
                if attrs.get("type") == "checkbox":
                    if "checked" in attrs:
                        self.values[attrs["name"]] = attrs.get("value") or "on"
                elif attrs.get("type") not in ("submit", "button"):
                    self.values[attrs["name"]] = attrs.get("value") or ""
            elif tag == "select":
                self.select = attrs.get("name")
                self.values.setdefault(self.select, "")
            elif tag == "option" and self.select and "selected" in attrs:
                self.values[self.select] = attrs.get("value", "")
            elif tag == "textarea":
                self.textarea = attrs.get("name")
                self.values[self.textarea] = ""

        def handle_data(self, data):
            if self.textarea:
                self.values[self.textarea] += data

        def handle_endtag(self, tag):
            if tag == "form":
                self.inside = False
            elif tag == "select":
                self.select = None
            elif tag == "textarea":
                self.textarea = None

    parser = Parser()
    parser.feed(page)
    return parser.values


# --------------------------------------------------------------------------
# Isolation: another tenant's objects are 404 and unchanged


class TestCustomerPagesIsolation(PageIsolationTests):
    factory = CustomerFactory
    url_names = [
        "agreements:catalog-customer-detail",
        "agreements:catalog-customer-edit",
        "agreements:catalog-contact-create",
    ]
    post_url_names = [
        "agreements:catalog-customer-edit",
        "agreements:catalog-customer-archive",
        "agreements:catalog-customer-unarchive",
        "agreements:catalog-customer-delete",
        "agreements:catalog-contact-create",
    ]


class TestContactPagesIsolation(PageIsolationTests):
    factory = ContactFactory
    url_names = ["agreements:catalog-contact-row", "agreements:catalog-contact-edit"]
    post_url_names = [
        "agreements:catalog-contact-edit",
        "agreements:catalog-contact-archive",
        "agreements:catalog-contact-unarchive",
    ]


class TestServicePagesIsolation(PageIsolationTests):
    factory = ServiceFactory
    url_names = ["agreements:catalog-service-edit"]
    post_url_names = [
        "agreements:catalog-service-edit",
        "agreements:catalog-service-archive",
        "agreements:catalog-service-unarchive",
        "agreements:catalog-service-delete",
    ]


class TestCalendarPagesIsolation(PageIsolationTests):
    factory = BusinessCalendarFactory
    url_names = ["agreements:catalog-calendar-detail", "agreements:catalog-calendar-edit"]
    post_url_names = [
        "agreements:catalog-calendar-edit",
        "agreements:catalog-calendar-archive",
        "agreements:catalog-calendar-unarchive",
        "agreements:catalog-calendar-delete",
    ]


def test_lists_show_only_my_tenants_rows(manager, tenant_a, tenant_b):
    CustomerFactory(tenant=tenant_a, name="Alpha customer")
    CustomerFactory(tenant=tenant_b, name="Bravo customer")
    ServiceFactory(tenant=tenant_b, name="Bravo service")
    BusinessCalendarFactory(tenant=tenant_b, name="Bravo calendar")
    page = manager.get(url("customer-list")).content.decode()
    assert "Alpha customer" in page and "Bravo customer" not in page
    assert "Bravo service" not in manager.get(url("service-list")).content.decode()
    assert "Bravo calendar" not in manager.get(url("calendar-list")).content.decode()


# --------------------------------------------------------------------------
# Roles: viewers read, managers write


def test_a_viewer_reads_but_cannot_create_edit_archive_or_delete(viewer, tenant_a):
    customer = CustomerFactory(tenant=tenant_a, name="Kept")
    contact = ContactFactory(tenant=tenant_a, customer=customer, name="Li Lei")
    service = ServiceFactory(tenant=tenant_a, name="Hotline")
    calendar = BusinessCalendarFactory(tenant=tenant_a, name="Hours")
    before = [snapshot(obj) for obj in (customer, contact, service, calendar)]

    for name, args in (
        ("customer-list", ()),
        ("customer-detail", (customer.pk,)),
        ("service-list", ()),
        ("calendar-list", ()),
        ("calendar-detail", (calendar.pk,)),
    ):
        assert viewer.get(url(name, *args)).status_code == 200, name
    page = viewer.get(url("customer-detail", customer.pk)).content.decode()
    assert "Li Lei" in page
    assert url("contact-edit", contact.pk) not in page  # no edit controls for viewers
    assert url("customer-edit", customer.pk) not in page

    for name, args in (
        ("customer-create", ()),
        ("customer-edit", (customer.pk,)),
        ("service-create", ()),
        ("service-edit", (service.pk,)),
        ("calendar-create", ()),
        ("calendar-edit", (calendar.pk,)),
        ("contact-edit", (contact.pk,)),
        ("contact-create", (customer.pk,)),
    ):
        assert viewer.get(url(name, *args)).status_code == 403, name
    posts = [
        ("customer-create", (), {"name": "New", "kind": "internal"}),
        ("customer-edit", (customer.pk,), {"name": "Changed", "kind": "internal"}),
        ("customer-archive", (customer.pk,), {}),
        ("customer-delete", (customer.pk,), {}),
        (
            "contact-create",
            (customer.pk,),
            {"name": "X", "email": "x@example.com", "language": "en", "email_status": "ok"},
        ),
        ("contact-edit", (contact.pk,), {"name": "Changed"}),
        ("contact-archive", (contact.pk,), {}),
        ("service-create", (), {"name": "New service"}),
        ("service-edit", (service.pk,), {"name": "Changed"}),
        ("service-archive", (service.pk,), {}),
        ("service-delete", (service.pk,), {}),
        ("calendar-create", (), calendar_post("New calendar")),
        ("calendar-edit", (calendar.pk,), calendar_post("Changed")),
        ("calendar-archive", (calendar.pk,), {}),
        ("calendar-delete", (calendar.pk,), {}),
    ]
    for name, args, data in posts:
        assert viewer.post(url(name, *args), data).status_code == 403, name
        assert viewer.post(url(name, *args), data, **HTMX).status_code == 403, name
    assert [snapshot(obj) for obj in (customer, contact, service, calendar)] == before
    counts = in_tenant(
        tenant_a,
        lambda: (
            Customer.objects.count(),
            Contact.objects.count(),
            Service.objects.count(),
            BusinessCalendar.objects.count(),
        ),
    )
    assert counts == (1, 1, 1, 1)


# --------------------------------------------------------------------------
# Customers


class TestCustomerList:
    def test_search_kind_filter_archived_toggle_and_empty_state(self, manager, tenant_a):
        CustomerFactory(tenant=tenant_a, name="Finance department", kind="internal")
        CustomerFactory(tenant=tenant_a, name="Acme Trading", kind="external")
        CustomerFactory(tenant=tenant_a, name="Old Finance Co", kind="external", archived=True)
        page = manager.get(url("customer-list")).content.decode()
        assert "Finance department" in page and "Acme Trading" in page
        assert "Old Finance Co" not in page
        page = manager.get(url("customer-list"), {"q": "finance"}).content.decode()
        assert "Finance department" in page and "Acme Trading" not in page
        page = manager.get(
            url("customer-list"), {"q": "finance", "archived": "on"}
        ).content.decode()
        # The row's badge (the filter's own checkbox is named "archived" too).
        assert "Old Finance Co" in page and '<span class="badge grey">archived</span>' in page
        page = manager.get(
            url("customer-list"), {"kind": "external", "archived": "on"}
        ).content.decode()
        assert (
            "Acme Trading" in page and "Old Finance Co" in page and "Finance department" not in page
        )
        page = manager.get(url("customer-list"), {"q": "nothing like this"}).content.decode()
        assert "No customer matches these filters." in page

    def test_empty_list_invites_the_first_customer(self, manager):
        page = manager.get(url("customer-list")).content.decode()
        assert "No customers yet." in page
        assert url("customer-create") in page

    def test_pagination_keeps_the_filters(self, manager, tenant_a):
        for n in range(30):
            CustomerFactory(tenant=tenant_a, name=f"Branch {n:02d}", kind="internal")
        response = manager.get(url("customer-list"), {"kind": "internal"})
        assert len(response.context["object_list"]) == 25
        assert "kind=internal&amp;page=2" in response.content.decode()
        response = manager.get(url("customer-list"), {"kind": "internal", "page": 2})
        assert [c.name for c in response.context["object_list"]] == [
            f"Branch {n}" for n in range(25, 30)
        ]

    def test_the_list_runs_a_constant_number_of_queries(
        self, manager, tenant_a, django_assert_max_num_queries
    ):
        customer = CustomerFactory(tenant=tenant_a)
        ContactFactory(tenant=tenant_a, customer=customer)
        AgreementFactory(tenant=tenant_a, customer=customer)
        with CaptureQueriesContext(connection) as few:
            manager.get(url("customer-list"))
        for _n in range(20):
            other = CustomerFactory(tenant=tenant_a)
            ContactFactory.create_batch(2, tenant=tenant_a, customer=other)
            AgreementFactory(tenant=tenant_a, customer=other)
        with django_assert_max_num_queries(len(few)):
            response = manager.get(url("customer-list"))
        rows = list(response.context["object_list"])
        assert len(rows) == 21
        assert {row.contact_count for row in rows} == {1, 2}
        assert {row.agreement_count for row in rows} == {1}


class TestCustomerForms:
    def test_a_manager_creates_and_edits_a_customer(self, manager, tenant_a):
        form_page = manager.get(url("customer-create")).content.decode()
        assert 'for="id_name"' in form_page and 'id="id_name_helptext"' in form_page
        assert "field required" in form_page
        response = manager.post(
            url("customer-create"), {"name": "Finance", "kind": "internal", "notes": ""}
        )
        customer = in_tenant(tenant_a, lambda: Customer.objects.get(name="Finance"))
        assert response.status_code == 302
        assert response["Location"] == url("customer-detail", customer.pk)
        response = manager.post(
            url("customer-edit", customer.pk),
            {"name": "Finance dept", "kind": "internal"},
            follow=True,
        )
        assert "Customer “Finance dept” was saved." in response.content.decode()
        assert snapshot(customer)["name"] == "Finance dept"

    def test_a_taken_name_is_an_error_beside_the_field(self, manager, tenant_a, tenant_b):
        CustomerFactory(tenant=tenant_a, name="Acme")
        CustomerFactory(tenant=tenant_b, name="Bravo's client")
        response = manager.post(url("customer-create"), {"name": "Acme", "kind": "external"})
        assert response.status_code == 400
        page = response.content.decode()
        assert 'id="id_name_error"' in page and "A customer with this name already exists." in page
        assert 'aria-invalid="true"' in page
        # Another tenant's names do not count.
        assert (
            manager.post(
                url("customer-create"), {"name": "Bravo's client", "kind": "external"}
            ).status_code
            == 302
        )

    def test_archive_and_unarchive(self, manager, tenant_a):
        customer = CustomerFactory(tenant=tenant_a, name="Acme")
        response = manager.post(url("customer-archive", customer.pk), follow=True)
        assert "was archived" in response.content.decode()
        assert snapshot(customer)["archived"] is True
        assert "Acme" not in manager.get(url("customer-list")).content.decode()
        manager.post(url("customer-unarchive", customer.pk))
        assert snapshot(customer)["archived"] is False

    def test_an_unused_customer_is_deleted_with_its_contacts(self, manager, tenant_a):
        customer = CustomerFactory(tenant=tenant_a, name="Gone Ltd")
        ContactFactory(tenant=tenant_a, customer=customer)
        response = manager.post(url("customer-delete", customer.pk))
        assert response.status_code == 302 and response["Location"] == url("customer-list")
        assert in_tenant(tenant_a, lambda: (Customer.objects.count(), Contact.objects.count())) == (
            0,
            0,
        )

    def test_a_customer_used_by_an_agreement_is_not_deleted(self, manager, tenant_a):
        customer = CustomerFactory(tenant=tenant_a, name="Acme")
        ContactFactory(tenant=tenant_a, customer=customer)
        AgreementFactory(tenant=tenant_a, customer=customer, reference="SLA-0042", title="Hotline")
        response = manager.post(url("customer-delete", customer.pk), follow=True)
        page = response.content.decode()
        assert (
            "“Acme” cannot be deleted: it is used by SLA-0042 v1 Hotline. Archive it instead."
            in page
        )
        assert in_tenant(tenant_a, lambda: (Customer.objects.count(), Contact.objects.count())) == (
            1,
            1,
        )
        assert "SLA-0042" in manager.get(url("customer-detail", customer.pk)).content.decode()


# --------------------------------------------------------------------------
# Contacts, inline


class TestContacts:
    @pytest.fixture
    def customer(self, tenant_a):
        return CustomerFactory(tenant=tenant_a, name="Acme")

    def contact_data(self, prefix="new", **changes):
        data = {
            "name": "Han Meimei",
            "email": "han@acme.example",
            "language": "zh-hans",
            "title": "IT manager",
            "phone": "+86 21 5555",
            "email_status": "ok",
            **changes,
        }
        return {f"{prefix}-{key}" if prefix else key: value for key, value in data.items()}

    def test_adding_with_htmx_returns_the_section_without_a_reload(self, manager, customer):
        response = manager.post(url("contact-create", customer.pk), self.contact_data(), **HTMX)
        assert response.status_code == 200
        page = response.content.decode()
        assert page.startswith('<section id="contacts"') and "<html" not in page
        assert "Han Meimei" in page and "Contact “Han Meimei” was added." in page
        contact = in_tenant(customer, lambda: Contact.objects.get())
        assert (contact.customer_id, contact.language, contact.tenant_id) == (
            customer.pk,
            "zh-hans",
            customer.tenant_id,
        )

    def test_adding_without_javascript_redirects_to_the_customer(self, manager, customer):
        response = manager.post(url("contact-create", customer.pk), self.contact_data())
        assert response.status_code == 302
        assert response["Location"] == url("customer-detail", customer.pk) + "#contacts"
        assert "Han Meimei" in manager.get(response["Location"]).content.decode()

    def test_errors_show_beside_the_field_with_and_without_htmx(self, manager, customer):
        ContactFactory(tenant=customer.tenant, customer=customer, email="taken@acme.example")
        response = manager.post(
            url("contact-create", customer.pk), self.contact_data(email="not-an-email"), **HTMX
        )
        assert response.status_code == 200  # HTMX swaps only successful answers
        assert 'id="id_new-email_error"' in response.content.decode()
        response = manager.post(
            url("contact-create", customer.pk), self.contact_data(email="taken@acme.example")
        )
        assert response.status_code == 400
        page = response.content.decode()
        assert 'id="id_new-email_error"' in page and "already has a contact with this email" in page
        assert in_tenant(customer, lambda: Contact.objects.count()) == 1

    def test_inline_edit_with_htmx_swaps_one_row(self, manager, customer):
        contact = ContactFactory(
            tenant=customer.tenant, customer=customer, name="Li Lei", email="li@acme.example"
        )
        prefix = f"c{contact.pk}"
        edit = manager.get(url("contact-edit", contact.pk), **HTMX).content.decode()
        assert edit.startswith(f'<tr id="contact-{contact.pk}" class="editing">')
        assert f'for="id_{prefix}-email"' in edit and url("contact-row", contact.pk) in edit
        row = manager.post(
            url("contact-edit", contact.pk),
            self.contact_data(
                prefix, name="Li Lei", email="li@acme.example", email_status="bounced"
            ),
            **HTMX,
        )
        page = row.content.decode()
        assert page.startswith(f'<tr id="contact-{contact.pk}">')
        assert '<span class="badge red">bounced</span>' in page
        assert snapshot(contact)["email_status"] == "bounced"
        cancel = manager.get(url("contact-row", contact.pk), **HTMX).content.decode()
        assert cancel.startswith(f'<tr id="contact-{contact.pk}">')
        invalid = manager.post(
            url("contact-edit", contact.pk), self.contact_data(prefix, name=""), **HTMX
        )
        assert (
            invalid.status_code == 200
            and f'id="id_{prefix}-name_error"' in invalid.content.decode()
        )
        assert snapshot(contact)["name"] == "Li Lei"

    def test_edit_without_javascript_is_a_page_and_a_redirect(self, manager, customer):
        contact = ContactFactory(tenant=customer.tenant, customer=customer, name="Li Lei")
        prefix = f"c{contact.pk}"
        page = manager.get(url("contact-edit", contact.pk)).content.decode()
        assert "<html" in page and f'name="{prefix}-name"' in page
        response = manager.post(
            url("contact-edit", contact.pk), self.contact_data(prefix, name="Li Lei (CIO)")
        )
        assert (
            response["Location"] == url("customer-detail", customer.pk) + f"#contact-{contact.pk}"
        )
        assert snapshot(contact)["name"] == "Li Lei (CIO)"
        assert (
            manager.post(
                url("contact-edit", contact.pk), self.contact_data(prefix, email="bad")
            ).status_code
            == 400
        )
        assert manager.get(url("contact-row", contact.pk)).status_code == 302

    def test_archive_and_unarchive_a_contact(self, manager, customer):
        contact = ContactFactory(tenant=customer.tenant, customer=customer, name="Li Lei")
        row = manager.post(url("contact-archive", contact.pk), **HTMX).content.decode()
        assert "archived" in row and url("contact-unarchive", contact.pk) in row
        assert snapshot(contact)["archived"] is True
        response = manager.post(url("contact-unarchive", contact.pk))
        assert response.status_code == 302
        assert snapshot(contact)["archived"] is False

    def test_email_status_badges(self, manager, customer):
        ContactFactory(tenant=customer.tenant, customer=customer, email_status="ok")
        ContactFactory(tenant=customer.tenant, customer=customer, email_status="opted_out")
        page = manager.get(url("customer-detail", customer.pk)).content.decode()
        assert '<span class="badge green">ok</span>' in page
        assert '<span class="badge amber">opted out</span>' in page


# --------------------------------------------------------------------------
# Services


class TestServices:
    def test_create_edit_search_archive(self, manager, tenant_a):
        response = manager.post(
            url("service-create"), {"name": "Customer support hotline", "description": "24/7"}
        )
        service = in_tenant(tenant_a, lambda: Service.objects.get())
        assert response["Location"] == url("service-edit", service.pk)
        manager.post(url("service-edit", service.pk), {"name": "Hotline", "description": "24/7"})
        assert snapshot(service)["name"] == "Hotline"
        ServiceFactory(tenant=tenant_a, name="Monthly finance report")
        page = manager.get(url("service-list"), {"q": "hot"}).content.decode()
        assert "Hotline" in page and "Monthly finance report" not in page
        manager.post(url("service-archive", service.pk), follow=True)
        assert "Hotline" not in manager.get(url("service-list")).content.decode()
        page = manager.get(url("service-list"), {"archived": "on"}).content.decode()
        assert "Hotline" in page and '<span class="badge grey">archived</span>' in page

    def test_duplicate_name_and_empty_state(self, manager, tenant_a):
        assert "No services yet." in manager.get(url("service-list")).content.decode()
        ServiceFactory(tenant=tenant_a, name="Hotline")
        response = manager.post(url("service-create"), {"name": "Hotline"})
        assert response.status_code == 400
        assert 'id="id_name_error"' in response.content.decode()

    def test_delete_only_when_unused(self, manager, tenant_a):
        unused = ServiceFactory(tenant=tenant_a, name="Unused")
        used = ServiceFactory(tenant=tenant_a, name="Used")
        AgreementServiceFactory(
            tenant=tenant_a, service=used, agreement__reference="SLA-0007", agreement__title="Ops"
        )
        manager.post(url("service-delete", unused.pk))
        page = manager.post(url("service-delete", used.pk), follow=True).content.decode()
        assert (
            "“Used” cannot be deleted: it is used by SLA-0007 v1 Ops. Archive it instead." in page
        )
        assert in_tenant(
            tenant_a, lambda: list(Service.objects.values_list("name", flat=True))
        ) == ["Used"]

    def test_the_list_runs_a_constant_number_of_queries(
        self, manager, tenant_a, django_assert_max_num_queries
    ):
        AgreementServiceFactory(tenant=tenant_a)
        with CaptureQueriesContext(connection) as few:
            manager.get(url("service-list"))
        for _n in range(20):
            AgreementServiceFactory(tenant=tenant_a)
        with django_assert_max_num_queries(len(few)):
            response = manager.get(url("service-list"))
        assert len(response.context["object_list"]) == 21
        assert {s.agreement_count for s in response.context["object_list"]} == {1}


# --------------------------------------------------------------------------
# Business calendars


LUNCH_BREAK = [
    (str(d), s, e) for d in range(5) for s, e in (("09:00", "12:00"), ("13:00", "18:00"))
]


class TestCalendarForm:
    def test_create_with_slots_holidays_and_working_days(self, manager, tenant_a):
        data = calendar_post(
            "Shanghai office",
            slots=LUNCH_BREAK,
            holidays=[("2030-01-02", "Company day"), ("", "")],
            workdays=[("2030-01-05", "Make-up Saturday")],
        )
        response = manager.post(url("calendar-create"), data)
        assert response.status_code == 302, response.content.decode()
        calendar = in_tenant(tenant_a, lambda: BusinessCalendar.objects.get(name="Shanghai office"))
        assert response["Location"] == url("calendar-detail", calendar.pk)

        def children():
            return (
                sorted((s.weekday, s.start_time, s.end_time) for s in calendar.slots.all()),
                [(h.date, h.name) for h in calendar.holidays.all()],
                [(w.date, w.name) for w in calendar.working_days.all()],
            )

        slots, holidays, workdays = in_tenant(tenant_a, children)
        assert len(slots) == 10 and slots[0] == (0, dt.time(9), dt.time(12))
        assert holidays == [(dt.date(2030, 1, 2), "Company day")]
        assert workdays == [(dt.date(2030, 1, 5), "Make-up Saturday")]
        engine = in_tenant(tenant_a, calendar.to_engine_calendar)
        assert engine.slots_on(dt.date(2030, 1, 5)) == ((540, 720), (780, 1080))  # Monday's hours

    def test_the_new_form_starts_with_business_hours_and_labels_every_input(self, manager):
        page = manager.get(url("calendar-create")).content.decode()
        assert 'name="slots-4-start_time"' in page and 'value="09:00"' in page
        assert 'for="id_slots-0-weekday"' in page and 'for="id_holidays-0-date"' in page
        assert (
            'for="id_time_zone"' in page
            and 'for="id_is_24x7"' in page
            and 'id="id_country"' in page
        )
        for label in ("Mon–Fri 09:00–18:00", "Mon–Fri 09:00–12:00 + 13:00–18:00", "24×7"):
            assert label in page

    def test_overlapping_slots_are_an_error_beside_the_slot(self, manager, tenant_a):
        data = calendar_post(
            slots=[("0", "09:00", "12:00"), ("1", "09:00", "18:00"), ("0", "11:00", "14:00")]
        )
        response = manager.post(url("calendar-create"), data)
        assert response.status_code == 400
        page = response.content.decode()
        assert (
            '<div class="errorlist" id="slots-2-errors" role="alert">'
            "<p>Time slots overlap: Monday 09:00-12:00 and Monday 11:00-14:00.</p>" in page
        )
        assert 'id="slots-0-errors"' not in page
        assert 'aria-describedby="slots-2-errors"' in page
        assert "Some time slots overlap" in page
        assert in_tenant(tenant_a, lambda: BusinessCalendar.objects.count()) == 0

    def test_an_incomplete_slot_a_doubled_date_and_a_day_both_off_and_on(self, manager, tenant_a):
        page = manager.post(
            url("calendar-create"), calendar_post(slots=[("0", "09:00", "")])
        ).content.decode()
        assert 'id="id_slots-0-end_time_error"' in page
        data = calendar_post(slots=LUNCH_BREAK, holidays=[("2030-01-02", "a"), ("2030-01-02", "b")])
        assert (
            'id="id_holidays-1-date_error"'
            in manager.post(url("calendar-create"), data).content.decode()
        )
        data = calendar_post(
            slots=LUNCH_BREAK, holidays=[("2030-01-05", "")], workdays=[("2030-01-05", "")]
        )
        response = manager.post(url("calendar-create"), data)
        assert response.status_code == 400
        assert "This date is also an extra holiday" in response.content.decode()
        assert in_tenant(tenant_a, lambda: BusinessCalendar.objects.count()) == 0

    def test_working_days_need_mondays_hours_and_regions_must_be_known(self, manager, tenant_a):
        data = calendar_post(slots=[("5", "10:00", "14:00")], workdays=[("2030-01-06", "")])
        page = manager.post(url("calendar-create"), data).content.decode()
        assert "Extra working days use Monday&#x27;s hours" in page
        data = calendar_post(slots=LUNCH_BREAK, country="DE", subdivision="XX")
        response = manager.post(url("calendar-create"), data)
        assert (
            response.status_code == 400 and 'id="id_subdivision_error"' in response.content.decode()
        )
        assert (
            manager.post(
                url("calendar-create"),
                calendar_post(slots=LUNCH_BREAK, country="DE", subdivision="by"),
            ).status_code
            == 302
        )
        assert in_tenant(tenant_a, lambda: BusinessCalendar.objects.get().subdivision) == "BY"

    def test_quick_choices_and_add_row_reshow_the_form_without_saving(self, manager, tenant_a):
        data = calendar_post("Typed name", slots=[("6", "10:00", "12:00")], preset="lunch")
        response = manager.post(url("calendar-create"), data, **HTMX)
        assert response.status_code == 200
        page = response.content.decode()
        assert 'value="Typed name"' in page
        assert 'name="slots-9-end_time" value="18:00"' in page
        assert 'value="12:00"' in page and "has-error" not in page
        editor = response.context["editor"]
        assert len(editor.slots.initial) == 10 and editor.slots.initial[0]["weekday"] == 0
        response = manager.post(url("calendar-create"), calendar_post(preset="24x7"))
        assert response.context["editor"].form["is_24x7"].value() is True
        assert response.context["editor"].slots.initial == []
        response = manager.post(
            url("calendar-create"), calendar_post(slots=[("0", "09:00", "18:00")], add="slots")
        )
        assert (
            len(response.context["editor"].slots.forms) == 1 + 2 + 1
        )  # typed + extra rows + the added one
        assert in_tenant(tenant_a, lambda: BusinessCalendar.objects.count()) == 0

    def test_editing_replaces_slots_and_moves_a_date(self, manager, tenant_a):
        calendar = BusinessCalendarFactory(tenant=tenant_a, name="Hours")
        business_slots(tenant_a, calendar)
        CalendarHolidayFactory(
            tenant=tenant_a, calendar=calendar, date=dt.date(2030, 3, 1), name="Off"
        )
        edit = manager.get(url("calendar-edit", calendar.pk))
        assert len(edit.context["editor"].slots.initial) == 10
        data = calendar_post(
            "Hours",
            slots=[(str(d), "08:00", "17:00") for d in range(5)],
            workdays=[("2030-03-01", "On after all")],
        )
        response = manager.post(url("calendar-edit", calendar.pk), data)
        assert response.status_code == 302, response.content.decode()

        def state():
            return (
                sorted({(s.start_time, s.end_time) for s in calendar.slots.all()}),
                calendar.holidays.count(),
                [w.date for w in calendar.working_days.all()],
            )

        assert in_tenant(tenant_a, state) == ([(dt.time(8), dt.time(17))], 0, [dt.date(2030, 3, 1)])

    def test_saving_the_edit_page_unchanged_keeps_everything(self, manager, tenant_a):
        calendar = BusinessCalendarFactory(tenant=tenant_a, name="Hours")
        business_slots(tenant_a, calendar)
        CalendarHolidayFactory(
            tenant=tenant_a, calendar=calendar, date=dt.date(2030, 3, 1), name="Off"
        )
        CalendarWorkingDayFactory(
            tenant=tenant_a, calendar=calendar, date=dt.date(2030, 3, 2), name="On"
        )

        def state():
            return (
                sorted((s.weekday, s.start_time, s.end_time) for s in calendar.slots.all()),
                [(h.date, h.name) for h in calendar.holidays.all()],
                [(w.date, w.name) for w in calendar.working_days.all()],
            )

        before = in_tenant(tenant_a, state)
        data = form_values(
            manager.get(url("calendar-edit", calendar.pk)).content.decode(), "calendar-form"
        )
        assert data["slots-INITIAL_FORMS"] == "10" and data["slots-9-end_time"] == "18:00"
        response = manager.post(url("calendar-edit", calendar.pk), data)
        assert response.status_code == 302, response.content.decode()
        assert in_tenant(tenant_a, state) == before
        assert len(before[0]) == 10

    def test_archive_and_delete_rules(self, manager, tenant_a):
        used = BusinessCalendarFactory(tenant=tenant_a, name="Used")
        unused = BusinessCalendarFactory(tenant=tenant_a, name="Unused")
        CalendarSlotFactory(tenant=tenant_a, calendar=unused)
        AgreementFactory(tenant=tenant_a, default_calendar=used, reference="SLA-0100", title="Ops")
        page = manager.post(url("calendar-delete", used.pk), follow=True).content.decode()
        assert "“Used” cannot be deleted: it is used by SLA-0100 v1 Ops." in page
        manager.post(url("calendar-delete", unused.pk))
        assert in_tenant(
            tenant_a, lambda: list(BusinessCalendar.objects.values_list("name", flat=True))
        ) == ["Used"]
        manager.post(url("calendar-archive", used.pk), follow=True)
        assert snapshot(used)["archived"] is True
        assert "Used" not in manager.get(url("calendar-list")).content.decode()


class TestCalendarPreview:
    def test_holidays_weekends_and_working_days_of_two_weeks(self, tenant_a):
        calendar = BusinessCalendarFactory(tenant=tenant_a, country="CN")
        business_slots(tenant_a, calendar)
        CalendarHolidayFactory(
            tenant=tenant_a, calendar=calendar, date=dt.date(2026, 9, 29), name="Team day"
        )
        CalendarWorkingDayFactory(
            tenant=tenant_a, calendar=calendar, date=dt.date(2026, 9, 27), name="Release Sunday"
        )

        def preview():
            fresh = BusinessCalendar.objects.prefetch_related(
                "slots", "holidays", "working_days"
            ).get(pk=calendar.pk)
            return calendar_preview(fresh, today=dt.date(2026, 9, 27))

        days = {row["date"]: row for row in in_tenant(tenant_a, preview)}
        assert len(days) == 14
        assert (days[dt.date(2026, 10, 4)]["kind"], days[dt.date(2026, 10, 4)]["label"]) == (
            "weekend",
            "weekend",
        )
        assert days[dt.date(2026, 10, 4)]["hours"] == ""
        assert days[dt.date(2026, 9, 27)]["label"] == "extra working day: Release Sunday"
        assert days[dt.date(2026, 9, 27)]["hours"] == "09:00–12:00, 13:00–18:00"
        assert (days[dt.date(2026, 9, 28)]["kind"], days[dt.date(2026, 9, 28)]["hours_total"]) == (
            "working",
            "8:00",
        )
        assert days[dt.date(2026, 9, 29)]["label"] == "holiday: Team day"
        assert days[dt.date(2026, 10, 1)]["label"] == "holiday: National Day"
        assert days[dt.date(2026, 10, 1)]["hours_total"] == "0:00"
        # China's official make-up working Saturday, from the holidays package.
        assert days[dt.date(2026, 10, 10)]["label"] == "extra working day (official make-up day)"
        assert days[dt.date(2026, 10, 10)]["hours_total"] == "8:00"

    def test_a_24x7_calendar_counts_every_hour(self, tenant_a):
        calendar = BusinessCalendarFactory(
            tenant=tenant_a, is_24x7=True, time_zone="Europe/Berlin", country=""
        )
        rows = in_tenant(tenant_a, lambda: calendar_preview(calendar, today=dt.date(2026, 3, 28)))
        assert [row["hours_total"] for row in rows[:3]] == [
            "24:00",
            "23:00",
            "24:00",
        ]  # DST on 29 March

    def test_the_detail_page_shows_the_next_14_days_from_today(self, manager, tenant_a):
        calendar = BusinessCalendarFactory(tenant=tenant_a, time_zone="Asia/Shanghai", country="")
        business_slots(tenant_a, calendar)
        tomorrow = timezone.now().astimezone(
            dt.timezone(dt.timedelta(hours=8))
        ).date() + dt.timedelta(days=1)
        CalendarHolidayFactory(tenant=tenant_a, calendar=calendar, date=tomorrow, name="Picnic")
        response = manager.get(url("calendar-detail", calendar.pk))
        assert len(response.context["preview"]) == 14
        assert response.context["preview"][1]["date"] == tomorrow
        page = response.content.decode()
        assert "holiday: Picnic" in page and "Mon–Fri 09:00–12:00, 13:00–18:00" in page
        assert "The next 14 days" in manager.get(url("calendar-edit", calendar.pk)).content.decode()


def test_describe_week_groups_equal_days():
    class Slot:
        def __init__(self, weekday, start, end):
            self.weekday, self.start_time, self.end_time = weekday, start, end

    slots = [Slot(d, dt.time(9), dt.time(18)) for d in range(5)] + [
        Slot(5, dt.time(22), dt.time(6))
    ]
    assert describe_week(slots) == ["Mon–Fri 09:00–18:00", "Sat 22:00–06:00 (+1)"]


def test_the_calendar_list_runs_a_constant_number_of_queries(
    manager, tenant_a, django_assert_max_num_queries
):
    calendar = BusinessCalendarFactory(tenant=tenant_a)
    business_slots(tenant_a, calendar)
    with CaptureQueriesContext(connection) as few:
        manager.get(url("calendar-list"))
    for _n in range(20):
        business_slots(tenant_a, BusinessCalendarFactory(tenant=tenant_a))
    with django_assert_max_num_queries(len(few)):
        response = manager.get(url("calendar-list"))
    rows = list(response.context["object_list"])
    assert len(rows) == 21
    assert {tuple(row.week_summary) for row in rows} == {("Mon–Fri 09:00–12:00, 13:00–18:00",)}


def test_the_catalog_speaks_chinese(manager, tenant_a):
    calendar = BusinessCalendarFactory(tenant=tenant_a, country="CN")
    business_slots(tenant_a, calendar)
    manager.post(reverse("set_language"), {"language": "zh-hans", "next": "/"})
    page = manager.get(url("customer-list")).content.decode()
    assert "新建客户" in page and "还没有客户。" in page
    page = manager.get(url("calendar-edit", calendar.pk)).content.decode()
    assert "每周工作时间" in page
    assert "未来 14 天" in page
