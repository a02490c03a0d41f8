"""Managers' view of a revision's deliveries: recipients, first opening, acknowledgement.

The panel (templates/reports/_deliveries_panel.html) is the page's body; an HTMX request
gets the panel alone, so the report page can load it in place
(templates/reports/_deliveries_slot.html)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from django.views.generic import DetailView

from slaweb.tenancy.models import Role
from slaweb.tenancy.pages import TenantPageMixin

from ..models import Report
from ..periods import label
from ..selectors.deliveries import deliveries_of


class DeliveriesView(TenantPageMixin, DetailView):
    model = Report
    read_role = Role.MANAGER
    context_object_name = "report"
    template_name = "reports/deliveries.html"

    def scope_queryset(self, queryset):
        return queryset.select_related("agreement")

    def get_template_names(self):
        if getattr(self.request, "htmx", False):
            return ["reports/_deliveries_panel.html"]
        return [self.template_name]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        deliveries = list(deliveries_of(self.object))
        context.update(
            deliveries=deliveries,
            acknowledged=sum(1 for d in deliveries if d.acknowledged_at),
            zone=ZoneInfo(self.request.tenant.time_zone),
            period=label(self.object.period_kind, self.object.period_start),
        )
        return context
