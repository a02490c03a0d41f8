"""Generic tenant-isolation suites. Every tenant route joins one (tests/test_completeness.py
fails otherwise): a route or page added later needs an isolation class naming it.

Registration: a class covers the URL names it lists, and nothing else.
- APIIsolationTests: `basename` (router basename) covers every route of that viewset
  (api:<basename>-list, -detail and its actions). Set `factory` and `payload(tenant)` (a
  valid create body). `foreign_keys` ({field: factory}) must name exactly the
  serializer's writable related fields to tenant rows (checked): each is sent with
  another tenant's row on create and update, and the 400 must name that field.
- PageIsolationTests: `url_names` (GET pages of one object), `post_url_names` (POST
  actions on one object), `list_url_names` (pages without an object: lists, create forms
  with choices; my row's `marker()` must show there and the other tenant's must not).
  `url_args(obj, tenant)` builds the URL arguments after the tenant slug (default
  [obj.pk]; parts of an agreement override it).
- Both: `covers` lists further URL names the class vouches for, with a comment saying
  how (e.g. a test method of the class). IsolationCoverage alone is for a class that
  only has its own tests.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.db.models import Model
from django.urls import reverse
from django.utils.html import escape
from django_scopes import scopes_disabled
from rest_framework.relations import ManyRelatedField, RelatedField

from slaweb.tenancy.context import tenant_context
from slaweb.tenancy.models import TenantOwned
from tests.conftest import api_client_for


def snapshot(obj):
    with tenant_context(obj.tenant_id):
        return type(obj).objects.filter(pk=obj.pk).values().get()


class IsolationCoverage:
    """Base of every isolation class; `covers` is read by tests/test_completeness.py."""

    covers: list[str] = []

    @classmethod
    def covered_names(cls) -> set[str]:
        return set(cls.covers)


def _serializer_for(basename: str, action: str, tenant):
    from tests.routes import api_routes

    route = next(r for r in api_routes() if r.basename == basename)
    view = route.view_class()
    view.action, view.request, view.format_kwarg, view.kwargs = action, None, None, {}
    serializer_class = view.get_serializer_class()
    with scopes_disabled():  # the fields are only inspected
        serializer = serializer_class(context={"request": SimpleNamespace(tenant=tenant)})
        serializer.fields  # noqa: B018 - built here, inside the block
    return serializer


def writable_tenant_relations(basename: str, tenant) -> set[str]:
    """The serializer's writable fields that point at tenant rows (create and update)."""
    names = set()
    for action in ("create", "partial_update"):
        try:
            serializer = _serializer_for(basename, action, tenant)
        except (AssertionError, AttributeError):  # a read-only viewset
            continue
        for name, field in serializer.fields.items():
            relation = field.child_relation if isinstance(field, ManyRelatedField) else field
            if isinstance(relation, RelatedField) and not field.read_only:
                model = getattr(relation.queryset, "model", None)
                if model is not None and issubclass(model, TenantOwned):
                    names.add(name)
    return names


class APIIsolationTests(IsolationCoverage):
    basename: str
    factory: type
    foreign_keys: dict = {}
    client_role = "admin"

    @classmethod
    def covered_names(cls) -> set[str]:
        from tests.routes import api_routes

        names = {r.name for r in api_routes() if r.basename == cls.basename}
        return names | set(cls.covers)

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

    def test_reading_another_tenants_row_is_404(self, api, own, other):
        assert api.get(self.detail_url(own.pk)).status_code == 200  # the URL is right
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

    def _related_value(self, field, pk, tenant):
        schema = _serializer_for(self.basename, "create", tenant).fields[field]
        return [pk] if isinstance(schema, ManyRelatedField) else pk

    def test_a_foreign_key_to_another_tenants_row_is_400(self, api, tenant_a, tenant_b, own):
        # Every writable relation to tenant rows is declared (none left untested; with
        # none, the serializer has none).
        assert set(self.foreign_keys) == writable_tenant_relations(self.basename, tenant_a)
        if self.foreign_keys:
            # The payload is valid as it is: a 400 below is the foreign key's doing.
            control = api.post(self.list_url(), self.payload(tenant_a), format="json")
            assert control.status_code == 201, control.content
        for field, factory in self.foreign_keys.items():
            foreign = factory(tenant=tenant_b)
            value = self._related_value(field, foreign.pk, tenant_a)
            body = {**self.payload(tenant_a), field: value}
            response = api.post(self.list_url(), body, format="json")
            assert response.status_code == 400, (field, response.content)
            assert _names_missing_object(response.json(), field, foreign.pk), response.json()

            before = snapshot(own)
            current = api.get(self.detail_url(own.pk)).json()
            patch = {field: value}
            if "lock_version" in current:  # else the 400 would be the missing lock's
                patch["lock_version"] = current["lock_version"]
            response = api.patch(self.detail_url(own.pk), patch, format="json")
            assert response.status_code == 400, (field, response.content)
            assert _names_missing_object(response.json(), field, foreign.pk), response.json()
            assert snapshot(own) == before


def _names_missing_object(errors: dict, field: str, pk) -> bool:
    """The error is on `field` and says the row does not exist (DRF's does_not_exist)."""
    messages = errors.get(field)
    if not messages:
        return False
    text = str(messages)
    return "does not exist" in text and str(pk) in text


class PageIsolationTests(IsolationCoverage):
    """Pages of tenant objects: another tenant's object is 404, through either slug, and
    lists under my tenant never show it."""

    factory: type
    url_names: list[str] = []
    post_url_names: list[str] = []
    list_url_names: list[str] = []

    @classmethod
    def covered_names(cls) -> set[str]:
        return (
            set(cls.url_names) | set(cls.post_url_names) | set(cls.list_url_names) | set(cls.covers)
        )

    def url_args(self, obj, tenant) -> list:
        return [obj.pk]

    def marker(self, obj: Model) -> str:
        """Text that shows where the object is listed."""
        return str(obj)

    @pytest.fixture
    def other(self, tenant_b, admin_b):
        return self.factory(tenant=tenant_b)

    @pytest.fixture
    def own(self, tenant_a):
        return self.factory(tenant=tenant_a)

    @pytest.fixture
    def browser(self, client, admin_a):
        client.force_login(admin_a.user)
        return client

    def test_my_own_object_is_served(self, browser, tenant_a, own):
        # The URLs are right: the 404s below are the tenant check's.
        for name in self.url_names:
            url = reverse(name, args=[tenant_a.slug, *self.url_args(own, tenant_a)])
            response = browser.get(url)
            # 302: a fragment's plain GET sends the browser to the page that holds it.
            assert response.status_code in (200, 302), name
            assert "login" not in response.get("Location", ""), name

    def test_another_tenants_object_is_404_under_my_tenant(self, browser, tenant_a, other):
        for name in self.url_names:
            url = reverse(name, args=[tenant_a.slug, *self.url_args(other, tenant_a)])
            assert browser.get(url).status_code == 404, name
        before = snapshot(other)
        for name in self.post_url_names:
            url = reverse(name, args=[tenant_a.slug, *self.url_args(other, tenant_a)])
            assert browser.post(url).status_code == 404, name
        assert snapshot(other) == before

    def test_another_tenants_pages_are_404_for_a_non_member(self, browser, tenant_b, other):
        for name in self.url_names:
            url = reverse(name, args=[tenant_b.slug, *self.url_args(other, tenant_b)])
            assert browser.get(url).status_code == 404, name
        before = snapshot(other)
        for name in self.post_url_names:
            url = reverse(name, args=[tenant_b.slug, *self.url_args(other, tenant_b)])
            assert browser.post(url).status_code == 404, name
        assert snapshot(other) == before
        assert browser.get(reverse("tenancy:dashboard", args=[tenant_b.slug])).status_code == 404

    def test_lists_show_my_row_and_not_another_tenants(self, browser, tenant_a, own, other):
        for name in self.list_url_names:
            assert self.marker(own) != self.marker(other)
            response = browser.get(reverse(name, args=[tenant_a.slug]))
            assert response.status_code == 200, name
            page = response.content.decode()
            assert escape(self.marker(own)) in page, name  # the marker is one that shows
            assert escape(self.marker(other)) not in page, name
