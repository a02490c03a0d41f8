"""Roles, generated from the URLconf and the API routers (routes added later are included):
a viewer gets 403 on every write (every page POST, every API POST/PUT/PATCH/DELETE); a
manager gets 403 on every admin action: whatever a view declares admin-only, and always
the settings pages (members, invitations, tokens, audit) and their API resources.

The role check comes before the object lookup, so made-up ids give 403 too (not 404)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from slaweb.tenancy.models import Role
from tests.conftest import api_client_for
from tests.routes import Route, api_routes, tenant_page_routes

pytestmark = pytest.mark.django_db

MISSING_ID = 987654321
# Admin-only whatever the views declare: the settings area and its API resources.
ADMIN_PAGE_PREFIX = "t/<slug:tenant_slug>/settings/"
ADMIN_API_BASENAMES = {"membership", "invitation", "auditevent"}
# POSTs a viewer may make because they change no data the viewer could not read: each names
# why. Their views declare write_role = Role.VIEWER (checked below).
VIEWER_POSTS = {
    "reports:file-request": "builds a PDF/XLSX/CSV of a published report the viewer reads",
}


# URL arguments that are not ids: a well-formed value that names nothing.
SAMPLE_KWARGS = {"family": "00000000-0000-4000-8000-000000000000", "period": "2026-03"}


def page_url(route: Route, slug: str) -> str:
    kwargs = {
        name: SAMPLE_KWARGS.get(name, MISSING_ID) for name in route.kwargs if name != "tenant_slug"
    }
    return reverse(route.name, kwargs={"tenant_slug": slug, **kwargs})


def api_url(route: Route) -> str:
    return reverse(route.name, kwargs={name: MISSING_ID for name in route.kwargs})


def is_admin_page(route: Route) -> bool:
    return route.path.startswith(ADMIN_PAGE_PREFIX)


def is_admin_api(route: Route) -> bool:
    return route.basename in ADMIN_API_BASENAMES


def page_writes():
    return [
        pytest.param(route, method, id=f"{route.name} {method.upper()}")
        for route in tenant_page_routes()
        for method in route.write_methods
        if route.name not in VIEWER_POSTS
    ]


def test_the_viewer_posts_are_declared_by_their_views():
    routes = {route.name: route for route in tenant_page_routes()}
    for name in VIEWER_POSTS:
        assert routes[name].role("post") == Role.VIEWER, name
    lowered = {r.name for r in routes.values() if r.write_methods and r.role("post") == Role.VIEWER}
    assert lowered == set(VIEWER_POSTS)  # no view lowers its write role unlisted


def api_writes():
    return [
        pytest.param(route, method, id=f"{route.name} {method.upper()}")
        for route in api_routes()
        for method in route.write_methods
    ]


def admin_pages():
    return [
        pytest.param(route, method, id=f"{route.name} {method.upper()}")
        for route in tenant_page_routes()
        for method in sorted(route.methods & {"get", *route.write_methods})
        if is_admin_page(route) or route.role(method) == Role.ADMIN
    ]


def admin_api():
    return [
        pytest.param(route, method, id=f"{route.name} {method.upper()}")
        for route in api_routes()
        for method in sorted(route.methods)
        if is_admin_api(route) or route.role(method) == Role.ADMIN
    ]


def test_the_route_lists_are_not_empty():
    # Guards the generators below: an empty list would make them pass vacuously.
    assert len(page_writes()) > 20 and len(api_writes()) > 20
    assert {p.values[0].name for p in admin_pages()} >= {"tenancy:members", "tenancy:tokens"}
    assert {p.values[0].basename for p in admin_api()} >= ADMIN_API_BASENAMES


@pytest.mark.parametrize("route,method", page_writes())
def test_a_viewer_cannot_write_through_any_page(client, viewer_a, tenant_a, route, method):
    client.force_login(viewer_a.user)
    response = getattr(client, method)(page_url(route, tenant_a.slug))
    assert response.status_code == 403, response.status_code


@pytest.mark.parametrize("route,method", api_writes())
def test_a_viewer_cannot_write_through_the_api(viewer_a, route, method):
    response = getattr(api_client_for(viewer_a), method)(api_url(route), {}, format="json")
    assert response.status_code == 403, (response.status_code, response.content)


@pytest.mark.parametrize("route,method", admin_pages())
def test_a_manager_cannot_use_admin_pages(client, manager_a, tenant_a, route, method):
    client.force_login(manager_a.user)
    response = getattr(client, method)(page_url(route, tenant_a.slug))
    assert response.status_code == 403, response.status_code


@pytest.mark.parametrize("route,method", admin_api())
def test_a_manager_cannot_use_admin_api_resources(manager_a, route, method):
    client = api_client_for(manager_a)
    response = getattr(client, method)(api_url(route), {}, format="json")
    assert response.status_code == 403, (response.status_code, response.content)


@pytest.mark.parametrize(
    "route",
    [r for r in tenant_page_routes() if r.has_get and len(r.kwargs) == 1],
    ids=lambda r: r.name,
)
def test_a_viewer_reads_every_page_not_reserved_to_a_higher_role(client, viewer_a, tenant_a, route):
    client.force_login(viewer_a.user)
    response = client.get(page_url(route, tenant_a.slug))
    if route.role("get") == Role.VIEWER and not is_admin_page(route):
        assert response.status_code in (200, 302), response.status_code  # 302: a hub page
        assert "/login/" not in response.get("Location", "")
    else:
        assert response.status_code == 403
