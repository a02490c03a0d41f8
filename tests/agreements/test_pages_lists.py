"""List pages: sortable columns, filters that apply as chosen (HTMX) with a no-JS submit,
references that do not break, "used by" links, contact phone and email checks."""

import re

import pytest
from django.urls import reverse

from agreements.models import Contact
from slaweb.tenancy.context import tenant_context
from tests.factories.agreements import (
    AgreementFactory,
    BusinessCalendarFactory,
    ContactFactory,
    CustomerFactory,
    ServiceFactory,
)

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def url(name, *args, slug="alpha"):
    return reverse(f"agreements:{name}", args=[slug, *args])


def order_of(page, names):
    return sorted(names, key=page.index)


class TestSorting:
    def test_agreements_sort_by_each_column_both_ways(self, manager, tenant_a):
        AgreementFactory(tenant=tenant_a, reference="SLA-A", title="Zulu")
        AgreementFactory(tenant=tenant_a, reference="SLA-B", title="Alpha")
        page = manager.get(url("list")).content.decode()
        assert order_of(page, ["SLA-A", "SLA-B"]) == ["SLA-A", "SLA-B"]
        page = manager.get(url("list"), {"sort": "title"}).content.decode()
        assert order_of(page, ["SLA-A", "SLA-B"]) == ["SLA-B", "SLA-A"]
        assert 'aria-sort="ascending"><a class="sort" href="?sort=-title"' in page
        page = manager.get(url("list"), {"sort": "-title"}).content.decode()
        assert order_of(page, ["SLA-A", "SLA-B"]) == ["SLA-A", "SLA-B"]
        assert 'aria-sort="descending"' in page
        # An unknown column falls back to the default order, never an error.
        assert manager.get(url("list"), {"sort": "password"}).status_code == 200

    @pytest.mark.parametrize(
        ("name", "keys"),
        [
            ("catalog-customer-list", ["name", "kind", "contacts", "agreements"]),
            ("catalog-service-list", ["name", "agreements"]),
            ("catalog-calendar-list", ["name", "time_zone", "country", "agreements"]),
        ],
    )
    def test_catalog_lists_sort(self, manager, tenant_a, name, keys):
        CustomerFactory(tenant=tenant_a, name="Bravo")
        CustomerFactory(tenant=tenant_a, name="Alpha")
        ServiceFactory(tenant=tenant_a, name="Bravo")
        ServiceFactory(tenant=tenant_a, name="Alpha")
        BusinessCalendarFactory(tenant=tenant_a, name="Bravo")
        BusinessCalendarFactory(tenant=tenant_a, name="Alpha")
        for key in keys:
            for sort in (key, f"-{key}"):
                response = manager.get(url(name), {"sort": sort})
                assert response.status_code == 200
                assert (
                    f'href="?sort={"-" if sort == key else ""}{key}"' in response.content.decode()
                )
        page = manager.get(url(name), {"sort": "-name"}).content.decode()
        assert order_of(page, [">Alpha<", ">Bravo<"]) == [">Bravo<", ">Alpha<"]

    def test_pagination_and_filters_keep_the_sort(self, manager, tenant_a):
        page = manager.get(url("list"), {"sort": "-title", "status": "draft"}).content.decode()
        assert '<input type="hidden" name="sort" value="-title">' in page
        assert "status=draft" in re.search(r'href="(\?[^"]*sort=reference[^"]*)"', page).group(1)


class TestFilters:
    def test_filters_apply_as_chosen_with_a_no_js_button(self, manager, tenant_a):
        for name in (
            "list",
            "catalog-customer-list",
            "catalog-service-list",
            "catalog-calendar-list",
        ):
            page = manager.get(url(name)).content.decode()
            form = re.search(r'<form method="get" class="filters"[^>]*>', page).group(0)
            assert 'hx-get="' in form and 'hx-push-url="true"' in form
            assert (
                'hx-target="#list-results"' in form
                and 'hx-trigger="input delay:400ms, change"' in form
            )
            assert '<div id="list-results">' in page
            assert '<button type="submit">' in page

    def test_an_htmx_filter_answers_with_the_results(self, manager, tenant_a):
        AgreementFactory(tenant=tenant_a, reference="SLA-KEEP", title="Keep")
        AgreementFactory(tenant=tenant_a, reference="SLA-DROP", title="Drop")
        page = manager.get(url("list"), {"q": "keep"}, **HTMX).content.decode()
        assert "SLA-KEEP" in page and "SLA-DROP" not in page


class TestReadable:
    def test_references_do_not_break_and_long_values_wrap(self, manager, tenant_a):
        AgreementFactory(tenant=tenant_a, reference="SLA-2026-001", title="x" * 200)
        page = manager.get(url("list")).content.decode()
        assert re.search(r'<td class="ref"><a [^>]*>SLA-2026-001</a>', page)
        css = open("static/css/slaweb.css").read()
        assert ".table td { overflow-wrap:anywhere; }" in css
        assert ".nowrap, .ref, .badge { white-space:nowrap; }" in css

    def test_used_by_agreements_are_links(self, manager, tenant_a):
        customer = CustomerFactory(tenant=tenant_a)
        agreement = AgreementFactory(tenant=tenant_a, customer=customer, reference="SLA-USED")
        page = manager.get(url("catalog-customer-detail", customer.pk)).content.decode()
        assert re.search(
            rf'<a href="{re.escape(url("detail", agreement.pk))}"><span class="ref">SLA-USED v1</span>',
            page,
        )


class TestContacts:
    def contact(self, **changes):
        data = {
            "name": "Li Lei",
            "email": "li@customer.example",
            "language": "zh-hans",
            "title": "",
            "phone": "+86 21 5555 0100",
            "email_status": "ok",
        }
        data.update(changes)
        return data

    @pytest.mark.parametrize("phone", ["call me", "12", "+86 21 5555 0100 <script>"])
    def test_a_bad_phone_is_refused(self, manager, tenant_a, phone):
        customer = CustomerFactory(tenant=tenant_a)
        response = manager.post(
            url("catalog-contact-create", customer.pk), self.contact(phone=phone)
        )
        assert response.status_code == 400
        assert 'id="id_phone_error"' in response.content.decode()

    def test_a_bad_email_is_refused(self, manager, tenant_a):
        customer = CustomerFactory(tenant=tenant_a)
        response = manager.post(
            url("catalog-contact-create", customer.pk), self.contact(email="li@")
        )
        assert response.status_code == 400
        assert 'id="id_email_error"' in response.content.decode()

    def test_an_email_of_another_customers_contact_is_flagged(self, manager, tenant_a):
        other = CustomerFactory(tenant=tenant_a, name="Northwind")
        ContactFactory(customer=other, email="shared@customer.example")
        customer = CustomerFactory(tenant=tenant_a, name="Huaxin")
        response = manager.post(
            url("catalog-contact-create", customer.pk),
            self.contact(email="Shared@customer.example", phone="021-5555 0100 ext. 12"),
            follow=True,
        )
        page = response.content.decode()
        assert "also used by a contact of Northwind" in page
        with tenant_context(tenant_a):
            contact_pk = Contact.objects.get(customer=customer).pk  # saved, and flagged
        row = manager.post(
            url("catalog-contact-edit", contact_pk),
            {
                f"c{contact_pk}-{k}": v
                for k, v in self.contact(email="shared@customer.example").items()
            },
            **HTMX,
        ).content.decode()
        assert 'class="warning-text" role="status"' in row and "Northwind" in row
