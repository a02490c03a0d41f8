"""The page, form and API bases cannot be bypassed by accident."""

import pytest
from django import forms
from django.test import RequestFactory
from django.views import View
from django.views.generic import DetailView
from rest_framework.permissions import BasePermission

from slaweb.tenancy.api.base import TenantScopedViewSet
from slaweb.tenancy.api.views import MembershipViewSet
from slaweb.tenancy.context import TenantContextError, tenant_context
from slaweb.tenancy.forms import TenantForm, TenantModelForm
from slaweb.tenancy.models import ApiToken, Membership, Role
from slaweb.tenancy.pages import TenantPageMixin
from tests.conftest import api_client_for
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "name",
    [
        "get_queryset",
        "queryset",
        "get_object",
        "get_permissions",
        "permission_classes",
        "get_authenticators",
        "authentication_classes",
    ],
)
def test_the_viewset_base_refuses_overriding_scoping_and_access(name):
    with pytest.raises(TypeError, match=name):
        type("Sneaky", (TenantScopedViewSet,), {"model": Membership, name: lambda self: []})


def test_a_viewset_adds_permissions_and_keeps_the_base_ones():
    class NoDeletes(BasePermission):
        def has_permission(self, request, view):
            return request.method != "DELETE"

    view = type("Extra", (MembershipViewSet,), {"extra_permission_classes": (NoDeletes,)})()
    kinds = [type(p).__name__ for p in view.get_permissions()]
    assert kinds == ["TenantRolePermission", "NoDeletes"]
    assert [type(a).__name__ for a in view.get_authenticators()] == ["TenantTokenAuthentication"]


def test_an_extra_permission_refuses_and_the_role_check_still_applies(
    admin_a, viewer_a, manager_a, settings
):
    from django.urls import path
    from rest_framework.routers import SimpleRouter

    class NoDeletes(BasePermission):
        def has_permission(self, request, view):
            return request.method != "DELETE"

    class Guarded(MembershipViewSet):
        extra_permission_classes = (NoDeletes,)

    router = SimpleRouter()
    router.register("guarded", Guarded, basename="guarded")
    import types

    urls = types.ModuleType("guarded_urls")
    urls.urlpatterns = [path("api/v1/", include_router(router))]
    settings.ROOT_URLCONF = urls
    admin = api_client_for(admin_a)
    assert admin.get("/api/v1/guarded/").status_code == 200
    assert admin.delete(f"/api/v1/guarded/{manager_a.pk}/").status_code == 403
    # The extra permission allows PATCH; the base role check (write_role admin) still refuses.
    change = {"role": Role.VIEWER}
    assert (
        api_client_for(viewer_a).patch(f"/api/v1/guarded/{manager_a.pk}/", change).status_code
        == 403
    )
    assert admin.patch(f"/api/v1/guarded/{manager_a.pk}/", change).status_code == 200


def include_router(router):
    from django.urls import include

    return include(router.urls)


@pytest.mark.parametrize("name", ["get_queryset", "queryset", "get_object"])
def test_the_page_base_refuses_overriding_the_queryset(name):
    with pytest.raises(TypeError, match=name):
        type("Sneaky", (TenantPageMixin, DetailView), {"model": Membership, name: lambda self: 1})


def _page(view_class, membership, **kwargs):
    request = RequestFactory().get("/")
    request.user, request.tenant, request.membership = (
        membership.user,
        membership.tenant,
        membership,
    )
    view = view_class()
    view.setup(request, tenant_slug=membership.tenant.slug, **kwargs)
    return view


class MemberPage(TenantPageMixin, View):
    model = Membership

    def scope_queryset(self, queryset):
        return queryset.select_related("user")


def test_a_page_queryset_is_the_tenants_rows(admin_a, admin_b):
    with tenant_context(admin_a.tenant):
        view = _page(MemberPage, admin_a, pk=admin_a.pk)
        sql = str(view.get_queryset().query)
        assert f'"tenancy_membership"."tenant_id" = {admin_a.tenant_id}' in sql
        assert view.get_object() == admin_a


def test_a_page_object_of_another_tenant_is_404(admin_a, admin_b):
    from django.http import Http404

    # Scopes disabled and a queryset passed in: the base's tenant filter still applies.
    with tenant_context(admin_a.tenant):
        view = _page(MemberPage, admin_a, pk=admin_b.pk)
        with pytest.raises(Http404):
            view.get_object()
        sql = str(view.tenant_rows(Membership.objects.with_scopes_disabled()).query)
        assert f'"tenant_id" = {admin_a.tenant_id}' in sql


def test_outsiders_get_404_and_members_without_the_role_403(viewer_a):
    from django.core.exceptions import PermissionDenied
    from django.http import Http404

    class AdminPage(TenantPageMixin, View):
        read_role = Role.ADMIN

        def get(self, request):
            return "ok"

    with tenant_context(viewer_a.tenant):
        view = _page(AdminPage, viewer_a)
        with pytest.raises(PermissionDenied):
            view.dispatch(view.request)
        view.request.membership = None
        with pytest.raises(Http404):
            view.dispatch(view.request)


class TokenModelForm(TenantModelForm):
    # No SafeModelChoiceField needed: the base makes the class-level queryset safe.
    class Meta:
        model = ApiToken
        fields = ["membership", "name"]


class HandWrittenForm(TenantForm):
    member = forms.ModelChoiceField(queryset=Membership.objects.none())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A careless hand-written queryset: the base narrows it again after __init__.
        self.fields["member"].queryset = Membership.objects.with_scopes_disabled().all()


def test_a_model_form_offers_and_accepts_the_tenants_rows_only(admin_a, admin_b):
    other_a = MembershipFactory(tenant=admin_a.tenant)
    with tenant_context(admin_a.tenant):
        form = TokenModelForm(tenant=admin_a.tenant)
        assert set(form.fields["membership"].queryset) == {admin_a, other_a}
        assert f'"tenant_id" = {admin_a.tenant_id}' in str(form.fields["membership"].queryset.query)
        bad = TokenModelForm({"membership": admin_b.pk, "name": "x"}, tenant=admin_a.tenant)
        assert not bad.is_valid()
        assert "membership" in bad.errors
        good = TokenModelForm({"membership": other_a.pk, "name": "x"}, tenant=admin_a.tenant)
        assert good.is_valid(), good.errors
        assert good.instance.tenant_id == admin_a.tenant_id


def test_a_hand_written_queryset_is_narrowed_after_init(admin_a, admin_b):
    with tenant_context(admin_a.tenant):
        form = HandWrittenForm(tenant=admin_a.tenant)
        sql = str(form.fields["member"].queryset.query)
        assert f'"tenant_id" = {admin_a.tenant_id}' in sql
        assert list(form.fields["member"].queryset) == [admin_a]


def test_a_form_takes_the_open_tenant_and_refuses_to_work_without_one(admin_a):
    with tenant_context(admin_a.tenant):
        assert TokenModelForm().tenant_id == admin_a.tenant_id
    with pytest.raises(TenantContextError):
        TokenModelForm()


def _routes(patterns, prefix=""):
    from django.urls import URLResolver

    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _routes(pattern.url_patterns, prefix + str(pattern.pattern))
        else:
            yield prefix + str(pattern.pattern), pattern.callback


def test_every_tenant_page_goes_through_the_page_base():
    from django.urls import get_resolver

    routes = [
        (route, callback)
        for route, callback in _routes(get_resolver().url_patterns)
        if route.startswith("t/<slug:tenant_slug>/")
    ]
    assert len(routes) > 10
    outside = sorted(
        route
        for route, callback in routes
        if not issubclass(getattr(callback, "view_class", object), TenantPageMixin)
    )
    assert not outside, f"tenant pages not built on TenantPageMixin: {outside}"


def test_every_api_viewset_goes_through_the_viewset_base():
    from django.urls import get_resolver

    from slaweb.tenancy.api.base import TenantScopedViewSetMixin

    routes = [
        (route, callback)
        for route, callback in _routes(get_resolver().url_patterns)
        if route.startswith("api/v1/") and hasattr(callback, "cls")
    ]
    assert len(routes) > 10
    outside = sorted(
        {
            f"{route} ({callback.cls.__name__})"
            for route, callback in routes
            if hasattr(callback, "actions")  # a viewset, not a single APIView such as /me/
            and not issubclass(callback.cls, TenantScopedViewSetMixin)
        }
    )
    assert not outside, f"viewsets not built on the tenant base: {outside}"


def _project_forms():
    import importlib
    import pkgutil

    from django.apps import apps

    for config in apps.get_app_configs():
        if not config.name.startswith(("slaweb", "agreements", "metrics", "surveys", "reports")):
            continue
        module = importlib.import_module(config.name)
        for info in pkgutil.walk_packages(module.__path__, config.name + "."):
            if "forms" in info.name.rsplit(".", 1)[-1]:
                importlib.import_module(info.name)

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    return [
        form
        for form in set(subclasses(forms.BaseForm))
        if form.__module__.startswith(("slaweb", "agreements", "metrics", "surveys", "reports"))
    ]


def test_every_form_with_tenant_choices_narrows_them_in_the_base_form():
    from slaweb.tenancy.forms import TenantFormMixin
    from slaweb.tenancy.models import TenantOwned

    project_forms = _project_forms()
    assert len(project_forms) > 10
    by_hand = sorted(
        f"{form.__module__}.{form.__name__}"
        for form in project_forms
        if not issubclass(form, TenantFormMixin)
        and any(
            isinstance(field, forms.ModelChoiceField)
            and field.queryset is not None
            and issubclass(field.queryset.model, TenantOwned)
            for field in form.base_fields.values()
        )
    )
    assert not by_hand, f"forms choosing tenant rows without TenantForm/TenantModelForm: {by_hand}"
