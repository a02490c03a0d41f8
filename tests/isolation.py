"""Generic tenant-isolation suites. Every tenant model's API and page tests inherit them.

API: set `basename` (router basename), `factory`, and optionally `foreign_keys`
({field: factory} for fields that point at tenant rows) and `payload(tenant)` for a
valid create body. Pages: set `url_names` (detail/edit URL names taking the pk) and
`post_url_names` (URL names that change the object on POST).
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from slaweb.tenancy.context import tenant_context
from tests.conftest import api_client_for


def snapshot(obj):
    with tenant_context(obj.tenant_id):
        return type(obj).objects.filter(pk=obj.pk).values().get()


class APIIsolationTests:
    basename: str
    factory: type
    foreign_keys: dict = {}
    client_role = "admin"

    def payload(self, tenant) -> dict:
        return {}

    @pytest.fixture
    def other(self, tenant_b, admin_b):
        return self.factory(tenant=tenant_b)

    @pytest.fixture
    def own(self, tenant_a):
        return self.factory(tenant=tenant_a)

    @pytest.fixture
    def api(self, admin_a):
        return api_client_for(admin_a)

    def list_url(self):
        return reverse(f"api:{self.basename}-list")

    def detail_url(self, pk):
        return reverse(f"api:{self.basename}-detail", args=[pk])

    def test_list_shows_no_row_of_another_tenant(self, api, own, other):
        response = api.get(self.list_url(), {"page_size": 500})
        assert response.status_code == 200
        ids = {row["id"] for row in response.json()["results"]}
        assert own.pk in ids
        assert other.pk not in ids

    def test_reading_another_tenants_row_is_404(self, api, other):
        assert api.get(self.detail_url(other.pk)).status_code == 404

    @pytest.mark.parametrize("method", ["patch", "put"])
    def test_updating_another_tenants_row_is_404_and_changes_nothing(self, api, own, other, method):
        before = snapshot(other)
        body = api.get(self.detail_url(own.pk)).json()
        response = getattr(api, method)(self.detail_url(other.pk), body, format="json")
        assert response.status_code in (404, 405)
        assert snapshot(other) == before

    def test_deleting_another_tenants_row_is_404_and_keeps_it(self, api, other):
        before = snapshot(other)
        assert api.delete(self.detail_url(other.pk)).status_code in (404, 405)
        assert snapshot(other) == before

    def test_a_foreign_key_to_another_tenants_row_is_400(self, api, tenant_a, tenant_b, own):
        for field, factory in self.foreign_keys.items():
            foreign = factory(tenant=tenant_b)
            body = {**self.payload(tenant_a), field: foreign.pk}
            response = api.post(self.list_url(), body, format="json")
            assert response.status_code == 400, (field, response.content)
            assert field in response.json(), response.json()
            response = api.patch(self.detail_url(own.pk), {field: foreign.pk}, format="json")
            assert response.status_code == 400, (field, response.content)


class PageIsolationTests:
    """Pages of tenant objects: another tenant's object is 404, through either slug."""

    factory: type
    url_names: list[str] = []
    post_url_names: list[str] = []

    @pytest.fixture
    def other(self, tenant_b, admin_b):
        return self.factory(tenant=tenant_b)

    @pytest.fixture
    def browser(self, client, admin_a):
        client.force_login(admin_a.user)
        return client

    def test_another_tenants_object_is_404_under_my_tenant(self, browser, tenant_a, other):
        for name in self.url_names:
            assert browser.get(reverse(name, args=[tenant_a.slug, other.pk])).status_code == 404, (
                name
            )
        before = snapshot(other)
        for name in self.post_url_names:
            assert browser.post(reverse(name, args=[tenant_a.slug, other.pk])).status_code == 404, (
                name
            )
        assert snapshot(other) == before

    def test_another_tenants_pages_are_404_for_a_non_member(self, browser, tenant_b, other):
        for name in self.url_names:
            assert browser.get(reverse(name, args=[tenant_b.slug, other.pk])).status_code == 404, (
                name
            )
        for name in self.post_url_names:
            assert browser.post(reverse(name, args=[tenant_b.slug, other.pk])).status_code == 404, (
                name
            )
        assert browser.get(reverse("tenancy:dashboard", args=[tenant_b.slug])).status_code == 404
