"""Resolve the tenant of each request and open its context for the whole request.

Pages: /t/<slug>/... -> the logged-in user's membership of that tenant (404 otherwise),
rendered in the tenant's time zone.
API: `Authorization: Token <key>` -> the token's membership and tenant.

Each request runs in one transaction (so the RLS setting is transaction-local), and a
request that fails writes nothing: Django turns a view's exception into a 500 response
inside get_response, so the transaction is marked for rollback by status instead
(like ATOMIC_REQUESTS, which only sees exceptions):
- any response >= 500;
- any response >= 400 under /api/ (DRF error responses) and under /t/<slug>/ (tenant
  pages: a form re-rendered with errors, 403, 404, 409 wrote nothing on purpose);
- other pages (login, password reset) keep their 4xx writes: a failed login is recorded
  (django-axes) and must stay recorded.
Tasks queued with delay_on_commit are dropped with the rollback.
"""

from __future__ import annotations

import re
from datetime import timedelta

from django.contrib.auth.views import redirect_to_login
from django.db import transaction
from django.http import Http404
from django.utils import timezone

from .context import Actor, acting_as, set_db_setting, tenant_context
from .models import ApiToken, Membership, Tenant, hash_token

TENANT_PATH = re.compile(r"^/t/(?P<slug>[a-z0-9][a-z0-9-]*)/")
API_PATH = "/api/v1/"
LAST_USED_RESOLUTION = timedelta(minutes=5)


class TenantMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.tenant = None
        request.membership = None
        request.api_token = None
        with transaction.atomic():
            response = self._respond(request)
            if failed(request, response):
                transaction.set_rollback(True)
            return response

    def _respond(self, request):
        if request.path_info.startswith(API_PATH):
            if "HTTP_AUTHORIZATION" in request.META:
                return self._api(request)
            return self.get_response(request)
        match = TENANT_PATH.match(request.path_info)
        if match:
            return self._page(request, match["slug"])
        if request.user.is_authenticated:
            with acting_as(_actor(request.user, "web")):
                return self.get_response(request)
        return self.get_response(request)

    def _page(self, request, slug):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        tenant = Tenant.objects.filter(slug=slug).first()
        if tenant is None:
            raise Http404
        with tenant_context(tenant, _actor(request.user, "web")):
            membership = Membership.objects.filter(user=request.user).first()
            if membership is None:
                raise Http404
            membership.tenant = tenant
            request.tenant, request.membership = tenant, membership
            # Pages show and read times in the organisation's zone; the API stays in UTC.
            with timezone.override(tenant.time_zone or "UTC"):
                return self.get_response(request)

    def _api(self, request):
        found = self._find_token(request.META["HTTP_AUTHORIZATION"])
        if found is None:
            request.api_token_invalid = True
            return self.get_response(request)
        token_id, tenant_id = found
        with tenant_context(tenant_id):
            token = ApiToken.objects.select_related("membership__user", "membership__tenant").get(
                pk=token_id
            )
            user = token.membership.user
            if not user.is_active:
                request.api_token_invalid = True
                return self.get_response(request)
            request.tenant, request.membership, request.api_token = (
                token.membership.tenant,
                token.membership,
                token,
            )
            _touch(token)
            with acting_as(_actor(user, "api")):
                return self.get_response(request)

    @staticmethod
    def _find_token(header: str) -> tuple[int, int] | None:
        scheme, _, key = header.partition(" ")
        if scheme.lower() != "token" or not key.strip():
            return None
        digest = hash_token(key.strip())
        # Before a tenant is known, a token row is visible only through its digest (RLS).
        set_db_setting("token_digest", digest)
        found = (
            ApiToken.objects.with_scopes_disabled()
            .filter(digest=digest, revoked_at__isnull=True)
            .values_list("pk", "tenant_id")
            .first()
        )
        set_db_setting("token_digest", None)
        return found


def failed(request, response) -> bool:
    """Whether the request's writes are rolled back (see the module docstring)."""
    status = response.status_code
    if status >= 500:
        return True
    tenant_data = request.path_info.startswith(API_PATH) or TENANT_PATH.match(request.path_info)
    return status >= 400 and bool(tenant_data)


def _actor(user, via: str) -> Actor:
    return Actor(user_id=user.pk, label=user.get_username(), via=via)


def _touch(token: ApiToken) -> None:
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
