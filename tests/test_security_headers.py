"""Content-Security-Policy, no inline script, the site's own error pages, no-store on a
secret shown once. The page crawl starts at the demo tenant's dashboard and follows every
link and form inside the tenant (href, action, hx-get, hx-post), so pages added later are
checked too; it fails when a page with a GET view was never reached."""

from __future__ import annotations

import re
from collections import Counter
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import RequestFactory
from django.urls import resolve, reverse
from django.urls.exceptions import Resolver404
from django.utils import translation
from django.views.defaults import bad_request, server_error

from agreements.choices import AgreementStatus
from agreements.models import Agreement
from agreements.services import new_version
from slaweb.tenancy.context import tenant_context
from slaweb.tenancy.models import Membership, Role, Tenant
from tests.factories.registry import factories_by_table
from tests.routes import tenant_page_routes

pytestmark = pytest.mark.django_db

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)
INLINE_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.I)
INLINE_STYLE = re.compile(r"<style\b|<[^>]+\sstyle\s*=", re.I)
LINK = re.compile(r'(?:href|hx-get|hx-post|action)="(/t/[^"#?]+)')
MAX_PAGES = 1500
# Pages of one route differ only by their ids: a few of each show its policy, and the
# demo's many reports and periods no longer use up MAX_PAGES before other routes are seen.
MAX_PER_ROUTE = 100


def assert_strict_page(response, where):
    policy = response.get("Content-Security-Policy", "")
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy, where
    assert "default-src 'self'" in policy, where
    html = response.content.decode()
    assert not INLINE_SCRIPT.search(html), (where, INLINE_SCRIPT.search(html).group())
    assert not INLINE_HANDLER.search(html), (where, INLINE_HANDLER.search(html).group())
    assert not INLINE_STYLE.search(html), (where, INLINE_STYLE.search(html).group())
    for src in re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', html):
        assert src.startswith("/"), (where, src)  # no CDN


@pytest.fixture
def demo_admin(client):
    call_command("seed_demo", stdout=StringIO())
    tenant = Tenant.objects.get(slug="demo")
    with tenant_context(tenant):
        admin = Membership.objects.filter(role=Role.ADMIN).select_related("user").first()
        # A draft with every kind of part, so that the editor's part pages are linked.
        active = Agreement.objects.filter(
            status=AgreementStatus.ACTIVE, recipients__isnull=False
        ).first()
        if not Agreement.objects.filter(family=active.family, status="draft").exists():
            new_version(active)
    client.force_login(admin.user)
    return tenant


def crawl(client, start, seen, per_route=None):
    """GET every tenant page reachable from `start` and not in `seen` (which grows), at
    most `per_route` of one route; return the URL names reached."""
    queue, reached, visits = [start], set(), Counter()
    while queue and visits.total() < MAX_PAGES:
        path = queue.pop(0)
        if path in seen:
            continue
        seen.add(path)
        try:
            match = resolve(path)
        except Resolver404:
            continue
        name = f"{match.namespace}:{match.url_name}"
        if per_route is not None and visits[name] >= per_route:
            continue
        visits[name] += 1
        responses = [client.get(path)]
        # HTMX fragments link on too (edit rows, a row that a plain GET redirects from).
        if name.endswith(("-edit", "-add", "-create")) or responses[0].status_code == 302:
            responses.append(client.get(path, HTTP_HX_REQUEST="true"))
        for response in responses:
            if response.status_code in (301, 302, 405):
                continue
            assert response.status_code == 200, (path, response.status_code)
            reached.add(name)
            if response.get("Content-Disposition", "").startswith("attachment"):
                continue  # a download (a PDF, a workbook), not a page
            assert_strict_page(response, path)
            links = LINK.findall(response.content.decode())
            queue.extend(link for link in links if link.startswith(start))
    return reached


def test_every_tenant_page_has_the_policy_and_no_inline_script(client, demo_admin):
    start = reverse("tenancy:dashboard", args=[demo_admin.slug])
    pages = {route.name: route for route in tenant_page_routes() if route.has_get}
    seen = set()
    reached = crawl(client, start, seen, per_route=MAX_PER_ROUTE)
    missing = set(pages) - reached
    if missing:  # rows the demo lacks: one of each missing page's model, then again
        factories = factories_by_table()
        models = {getattr(pages[name].view_class, "model", None) for name in missing}
        for model in models - {None}:
            if model._meta.db_table in factories:
                factories[model._meta.db_table](tenant=demo_admin)
        # Again, through the pages without an object (lists) only: they link the new rows.
        seen = {path for path in seen if len(resolve(path).kwargs) > 1}
        reached |= crawl(client, start, seen)
    assert set(pages) - reached == set(), (
        "pages no link leads to, even with a factory row of their model (a model without a "
        "factory in tests/factories cannot be added here)"
    )


@pytest.mark.parametrize("language,title", [("en", "Page not found"), ("zh-hans", "页面不存在")])
def test_a_missing_page_is_the_sites_own_404(client, admin_a, language, title):
    client.force_login(admin_a.user)
    response = client.get("/no/such/page/", HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 404
    html = response.content.decode()
    assert title in html
    assert 'class="topbar"' in html  # the site's layout
    assert "URLconf" not in html and "Traceback" not in html
    assert_strict_page(response, "404")


def test_a_tenant_of_which_one_is_no_member_is_the_sites_404(client, admin_a, tenant_b):
    client.force_login(admin_a.user)
    response = client.get(reverse("tenancy:dashboard", args=[tenant_b.slug]))
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


def test_a_viewer_refused_an_admin_page_sees_the_sites_403(client, viewer_a, tenant_a):
    client.force_login(viewer_a.user)
    response = client.get(reverse("tenancy:members", args=[tenant_a.slug]))
    assert response.status_code == 403
    assert "Not allowed" in response.content.decode()
    assert_strict_page(response, "403")


def test_a_form_without_its_csrf_token_gets_the_sites_page(admin_a):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("login"), {"username": "x", "password": "y"})
    assert response.status_code == 403
    assert "The form has expired" in response.content.decode()
    assert "CSRF verification failed" not in response.content.decode()


def test_the_500_and_400_pages_render_without_a_request_context():
    request = RequestFactory().get("/")
    with translation.override("zh-hans"):
        response = server_error(request)
    assert response.status_code == 500
    assert "出了点问题" in response.content.decode()
    response = bad_request(request, exception=None)
    assert response.status_code == 400
    assert "Bad request" in response.content.decode()


def test_the_new_token_page_is_never_cached(client, admin_a, tenant_a):
    client.force_login(admin_a.user)
    response = client.post(
        reverse("tenancy:tokens", args=[tenant_a.slug]),
        {"name": "ci", "membership": admin_a.pk},
        follow=True,
    )
    assert response.status_code == 200, response.content
    assert "slw_" in response.content.decode()  # the page that shows the key once
    assert "no-store" in response["Cache-Control"]


def test_the_api_docs_work_under_the_policy(client):
    response = client.get(reverse("api-docs"))
    assert response.status_code == 200
    assert_strict_page(response, "api docs")
