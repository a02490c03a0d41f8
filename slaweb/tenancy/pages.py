"""The one base for tenant pages (everything under /t/<slug>/).

`TenantPageMixin` does three things in one place:
- access: TenantMiddleware resolved request.tenant and request.membership; a visitor
  without a membership of this tenant gets 404 (never 403), a member without the role
  gets 403 (`read_role` for GET/HEAD/OPTIONS, `write_role` for other methods);
- the queryset: `get_queryset()` is `model`'s rows of request.tenant, then
  `scope_queryset(queryset)` (the only customisation point: filters, select_related,
  annotations); `get_object()` looks the URL's `pk` up in that queryset, so another
  tenant's id is a 404;
- other models: `tenant_rows(Model or queryset)` and `get_tenant_object(Model or
  queryset, **lookup)` narrow any other model to the tenant (404 when missing).

Subclasses may not define get_queryset, queryset or get_object (TypeError when the class
is created), so the tenant filter cannot be dropped by accident. Works with Django's
generic views (ListView, DetailView, TemplateView) and plain View:

    class CustomerDetailView(TenantPageMixin, DetailView):
        model = Customer
        def scope_queryset(self, queryset):
            return queryset.prefetch_related("contacts")

    class ContactCreateView(TenantPageMixin, View):
        read_role = write_role = Role.MANAGER
        def post(self, request, pk):
            customer = self.get_tenant_object(Customer, pk=pk)
"""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404

from .models import Role
from .models import tenant_rows as _tenant_rows

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


class TenantAccessMixin:
    """Membership and role checks only (the first half of TenantPageMixin)."""

    read_role = Role.VIEWER
    write_role = Role.MANAGER

    def dispatch(self, request, *args, **kwargs):
        if getattr(request, "membership", None) is None or request.tenant is None:
            raise Http404
        required = self.read_role if request.method in SAFE_METHODS else self.write_role
        if not request.membership.has_role(required):
            raise PermissionDenied
        kwargs.pop("tenant_slug", None)
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["can_write"] = self.request.membership.has_role(self.write_role)
        return context


class TenantPageMixin(TenantAccessMixin):
    """Base of every tenant page: access, and the queryset scoped to request.tenant."""

    model = None
    pk_url_kwarg = "pk"

    PROTECTED = ("get_queryset", "queryset", "get_object")

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        overridden = [name for name in cls.PROTECTED if name in cls.__dict__]
        if overridden:
            raise TypeError(
                f"{cls.__name__} overrides {', '.join(overridden)}: set `model` and "
                "override scope_queryset() instead"
            )

    def tenant_rows(self, model_or_queryset):
        return _tenant_rows(model_or_queryset, self.request.tenant)

    def get_queryset(self):
        if self.model is None:
            raise ImproperlyConfigured(f"{type(self).__name__} needs a `model`")
        queryset = self.tenant_rows(self.model)
        ordering = self.get_ordering() if hasattr(self, "get_ordering") else None
        if ordering:
            queryset = queryset.order_by(*([ordering] if isinstance(ordering, str) else ordering))
        return self.scope_queryset(queryset)

    def scope_queryset(self, queryset):
        return queryset

    def get_object(self, queryset=None):
        """The URL's object among the tenant's rows (404 otherwise)."""
        queryset = self.get_queryset() if queryset is None else self.tenant_rows(queryset)
        pk = self.kwargs.get(self.pk_url_kwarg)
        if pk is None:
            raise AttributeError(f"{type(self).__name__}: the URL has no `{self.pk_url_kwarg}`")
        return get_object_or_404(queryset, pk=pk)

    def get_tenant_object(self, model_or_queryset, **lookup):
        """One row of any tenant model, by `lookup`, among the tenant's rows (404 otherwise)."""
        return get_object_or_404(self.tenant_rows(model_or_queryset), **lookup)
