"""The outbox page: admins see what was mailed, what failed and why, and which addresses
are suppressed (and may mail one again)."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import ListView

from slaweb.tenancy.models import Role
from slaweb.tenancy.pages import TenantPageMixin

from . import selectors, services
from .filtersets import OutboxMessageFilterSet
from .models import OutboxMessage, Suppression


class OutboxView(TenantPageMixin, ListView):
    read_role = write_role = Role.ADMIN
    model = OutboxMessage
    template_name = "mail/outbox.html"
    paginate_by = 50

    def scope_queryset(self, queryset):
        self.filterset = OutboxMessageFilterSet(self.request.GET or None, queryset=queryset)
        return selectors.outbox_messages(self.filterset.qs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["filter_form"] = self.filterset.form
        context["suppressions"] = selectors.suppressions()
        return context


class SuppressionRemoveView(TenantPageMixin, View):
    read_role = write_role = Role.ADMIN
    model = Suppression

    def post(self, request, pk):
        suppression = self.get_object()
        services.unsuppress(suppression.address)
        messages.success(
            request,
            _("%(address)s will receive mail again.") % {"address": suppression.address},
        )
        return redirect(reverse("mail:outbox", args=[request.tenant.slug]))
