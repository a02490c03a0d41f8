"""Pages of the metrics domain under /t/<slug>/: compliance grid and drill-down, the at-risk
board, improvement actions, data lists per kind, CSV imports and the webhook settings."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import BooleanField, ExpressionWrapper
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import DetailView, ListView, TemplateView

from agreements.choices import MeasurementPeriod, MetricKind
from agreements.models import Agreement
from slaweb.tenancy.models import Role
from slaweb.tenancy.pages import TenantPageMixin
from slaweb.tenancy.views import tenant_url

from . import imports, selectors, warnings
from .choices import ClockState
from .filtersets import (
    DeliveryFilterSet,
    ImprovementActionFilterSet,
    OutageFilterSet,
    SampleFilterSet,
    TicketFilterSet,
)
from .forms import ImprovementActionForm, MappingForm, UploadForm
from .models import (
    ClockRecompute,
    ComplianceResult,
    Delivery,
    ImportJob,
    ImprovementAction,
    Outage,
    Sample,
    Ticket,
    TicketClock,
    WebhookEvent,
    WebhookSecret,
)
from .models.surfaces import ImportStatus
from .periods import agreement_time_zone, bounds
from .services import hooks
from .webhooks import create_secret

PAGE_SIZE = 50
GRID_PERIODS = 12
SECRET_SESSION_KEY = "metrics:webhook-secret"
# Readable labels for filters the shared FilterSets leave to django-filter's generated text.
FILTER_LABELS = {
    "agreement": gettext_lazy("Agreement reference"),
    "external_id": gettext_lazy("External id"),
    "opened_from": gettext_lazy("Opened from"),
    "opened_to": gettext_lazy("Opened before"),
    "resolved": gettext_lazy("Resolved"),
    "due_from": gettext_lazy("Due from"),
    "due_to": gettext_lazy("Due before"),
    "start_from": gettext_lazy("Started from"),
    "start_to": gettext_lazy("Started before"),
    "period": gettext_lazy("Period (YYYY-MM)"),
}


class TenantTimeMixin:
    """Times on these pages are shown in the organisation's time zone (rendered inside it)."""

    def dispatch(self, request, *args, **kwargs):
        zone = getattr(getattr(request, "tenant", None), "time_zone", "") or "UTC"
        with timezone.override(ZoneInfo(zone)):
            response = super().dispatch(request, *args, **kwargs)
            if hasattr(response, "render") and not response.is_rendered:
                response.render()
        return response


class FilteredListView(TenantTimeMixin, TenantPageMixin, ListView):
    """A list with a shared FilterSet (the API uses the same one) and pagination."""

    filterset_class = None
    paginate_by = PAGE_SIZE

    def scope_queryset(self, queryset):
        self.filterset = self.filterset_class(
            self.request.GET or None, queryset=queryset, request=self.request
        )
        if self.filterset.is_bound and self.filterset.is_valid():
            return self.filterset.qs
        return queryset

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form = self.filterset.form
        for name, label in FILTER_LABELS.items():
            if name in form.fields:
                form.fields[name].label = label
        context["filter_form"] = form
        return context


# -- data per kind -------------------------------------------------------------------------

DATA_KINDS = {
    "tickets": (Ticket, TicketFilterSet, gettext_lazy("Tickets")),
    "deliveries": (Delivery, DeliveryFilterSet, gettext_lazy("Deliveries")),
    "outages": (Outage, OutageFilterSet, gettext_lazy("Outages")),
    "samples": (Sample, SampleFilterSet, gettext_lazy("Samples")),
}


class DataListView(FilteredListView):
    kind = "tickets"

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.model, self.filterset_class, self.title = DATA_KINDS[self.kind]
        self.template_name = f"metrics/data_{self.kind}.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(kind=self.kind, title=self.title, kinds=DATA_KINDS)
        return context


# -- compliance grid and drill-down --------------------------------------------------------


class GridView(TenantTimeMixin, TenantPageMixin, DetailView):
    """Metrics (rows) x the last GRID_PERIODS periods (columns) of one agreement family."""

    model = Agreement
    template_name = "metrics/grid.html"
    context_object_name = "agreement"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        results = list(
            self.tenant_rows(ComplianceResult)
            .filter(family=self.object.family)
            .select_related("metric")
            .order_by("period_kind", "metric_name", "period_start")
        )
        labels = dict(MeasurementPeriod.choices)
        tables = []
        for kind in MeasurementPeriod.values:  # one table per period length: month, quarter, year
            own = [r for r in results if r.period_kind == kind]
            periods = sorted({r.period_start for r in own})[-GRID_PERIODS:]
            if not periods:
                continue
            cells: dict[str, dict] = {}
            for r in own:
                cells.setdefault(r.metric_name, {})[r.period_start] = r
            rows = [
                {"name": name, "cells": [by_start.get(p) for p in periods]}
                for name, by_start in sorted(cells.items())
                if any(p in by_start for p in periods)
            ]
            tables.append({"kind": kind, "label": labels[kind], "periods": periods, "rows": rows})
        context["tables"] = tables
        context["recomputes"] = selectors.recent_recomputes(timezone.now())
        return context


class ResultDetailView(TenantTimeMixin, TenantPageMixin, DetailView):
    """The records behind one cell: late tickets and by how much, outages counted or excluded."""

    model = ComplianceResult
    template_name = "metrics/result_detail.html"
    context_object_name = "result"

    def scope_queryset(self, queryset):
        return queryset.select_related("metric", "agreement__default_calendar", "agreement__tenant")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        result = self.object
        # The records behind the cell, as compliance counts them (the reports read the same).
        start_at, end_at = bounds(
            result.period_start, result.period_kind, agreement_time_zone(result.agreement)
        )
        record_kind, rows = selectors.records_behind(
            result.family, result.metric, [result.period_start], start_at, end_at
        )
        if rows is not None:
            rows = self.tenant_rows(rows)
        if record_kind == "clock":
            target = dt.timedelta(minutes=float(result.metric.target))
            clock_rows = []
            for clock in rows[:500]:
                late = None
                if clock.elapsed is not None and clock.elapsed > target:
                    late = clock.elapsed - target
                elif clock.stopped_at is None and clock.counts_at <= timezone.now():
                    late = timezone.now() - clock.due_target_at
                clock_rows.append({"clock": clock, "late": late})
            context.update(clock_rows=clock_rows, target=target)
        elif record_kind == "ticket":
            fcr = result.metric.kind == MetricKind.FIRST_CONTACT_RESOLUTION_RATE
            context.update(rate_tickets=rows[:500], fcr=fcr)
        elif record_kind == "outage":
            context["outages"] = result.details.get("outages", [])
        elif record_kind == "delivery":
            context["deliveries"] = rows[:500]
        else:
            context["samples"] = rows[:500]
        context["late_states"] = (ClockState.WITHIN_MINIMUM, ClockState.MISSED)
        return context


# -- the at-risk board ---------------------------------------------------------------------


class BoardView(TenantTimeMixin, TenantPageMixin, ListView):
    """Running clocks due within the warning window, soonest first; the list part reloads
    itself every 30 s with HTMX (a refresh link without JavaScript)."""

    model = TicketClock
    template_name = "metrics/board.html"
    paginate_by = PAGE_SIZE

    def scope_queryset(self, queryset):
        self.now = timezone.now()
        return warnings.candidates(self.now).filter(pk__in=queryset.values("pk"))

    def get_template_names(self):
        if self.request.htmx:
            return ["metrics/_board_rows.html"]
        return [self.template_name]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        shares = warnings.Shares(self.now)
        context["risks"] = [shares.risk(clock) for clock in context["object_list"]]
        context["now"] = self.now
        context["recomputes"] = selectors.recent_recomputes(self.now)
        return context


class RecomputeStatusView(TenantTimeMixin, TenantPageMixin, TemplateView):
    """The clock-recompute banner alone: what the grid and the board poll while one runs."""

    template_name = "metrics/_recompute.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["recomputes"] = selectors.recent_recomputes(timezone.now())
        return context


class RecomputeRunAgainView(TenantTimeMixin, TenantPageMixin, DetailView):
    """Queue a failed or stalled clock recompute once more (managers)."""

    model = ClockRecompute
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        job = self.get_object()
        if hooks.run_again(job):
            messages.success(request, _("The recompute was queued again."))
        else:
            messages.error(request, _("This recompute is still running or has finished."))
        back = request.POST.get("next", "")
        if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
            back = tenant_url(request, "metrics:board")
        return redirect(back)


# -- improvement actions -------------------------------------------------------------------


class ActionListView(FilteredListView):
    model = ImprovementAction
    filterset_class = ImprovementActionFilterSet
    template_name = "metrics/action_list.html"

    def scope_queryset(self, queryset):
        # Pages run in the tenant's time zone: today is the organisation's today.
        overdue = ExpressionWrapper(
            ImprovementAction.overdue_on(timezone.localdate()), output_field=BooleanField()
        )
        queryset = queryset.select_related("agreement").annotate(is_overdue=overdue)
        return super().scope_queryset(queryset)


class ActionEditView(TenantTimeMixin, TenantPageMixin, DetailView):
    model = ImprovementAction
    template_name = "metrics/action_edit.html"
    context_object_name = "action"

    def scope_queryset(self, queryset):
        return queryset.select_related("agreement", "metric")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["form"] = kwargs.get("form") or ImprovementActionForm(instance=self.object)
        return context

    def post(self, request, pk):
        self.object = self.get_object()
        form = ImprovementActionForm(request.POST, instance=self.object)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form), status=422)
        form.save()
        messages.success(request, _("The improvement action was saved."))
        return redirect(tenant_url(request, "metrics:action-edit", self.object.pk))


# -- CSV import ----------------------------------------------------------------------------


class ImportStartView(TenantTimeMixin, TenantPageMixin, ListView):
    """Upload a file (and the recent imports)."""

    model = ImportJob
    template_name = "metrics/import_start.html"
    paginate_by = 20

    def scope_queryset(self, queryset):
        return queryset.defer("content", "errors")

    def get(self, request, *args, **kwargs):
        imports.fail_stuck_jobs()  # a job whose worker died shows as failed
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["form"] = kwargs.get("form") or UploadForm(
            initial={"kind": self.request.GET.get("kind", "tickets")}
        )
        return context

    def post(self, request):
        form = UploadForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                job = imports.create_job(
                    form.cleaned_data["kind"], form.cleaned_data["file"], request.user
                )
            except ValidationError as error:
                form.add_error("file", error)
            else:
                return redirect(tenant_url(request, "metrics:import-job", job.pk))
        self.object_list = self.get_queryset()
        return render(request, self.template_name, self.get_context_data(form=form), status=422)


class ImportJobView(TenantTimeMixin, TenantPageMixin, DetailView):
    """Preview and column mapping before the run; progress and the outcome after."""

    model = ImportJob
    template_name = "metrics/import_job.html"
    context_object_name = "job"

    def get_template_names(self):
        if self.request.htmx and self.request.GET.get("part") == "progress":
            return ["metrics/_import_progress.html"]
        return [self.template_name]

    def get_context_data(self, **kwargs):
        self.object = imports.fail_if_stuck(self.object)  # its worker died: show it failed
        context = super().get_context_data(**kwargs)
        job = self.object
        context["processed"] = imports.progress(job)
        context["percent"] = int(context["processed"] * 100 / job.total) if job.total else 0
        if job.status == ImportStatus.UPLOADED:
            context["preview"] = imports.preview(job)
            context["form"] = kwargs.get("form") or MappingForm(
                kind=job.kind, columns=job.columns, initial=MappingForm.initial_for(job.mapping)
            )
        context["first_errors"] = job.errors[:20]
        return context

    def post(self, request, pk):
        self.object = job = self.get_object()
        if job.status != ImportStatus.UPLOADED:
            return redirect(tenant_url(request, "metrics:import-job", job.pk))
        form = MappingForm(request.POST, kind=job.kind, columns=job.columns)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form), status=422)
        imports.start_import(job, form.mapping(), form.cleaned_data["store_valid"])
        return redirect(tenant_url(request, "metrics:import-job", job.pk))


class ImportErrorsView(TenantTimeMixin, TenantPageMixin, DetailView):
    """The rejected rows as CSV: line, column, reason."""

    model = ImportJob

    def get(self, request, pk):
        job = self.get_object()
        response = HttpResponse(
            "\ufeff" + imports.errors_csv(job), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="import-{job.pk}-errors.csv"'
        return response


# -- webhook settings ----------------------------------------------------------------------


class WebhookSettingsView(TenantTimeMixin, TenantPageMixin, TemplateView):
    read_role = Role.ADMIN
    write_role = Role.ADMIN
    template_name = "metrics/webhook_settings.html"

    def get(self, request, *args, **kwargs):
        secret = request.session.pop(SECRET_SESSION_KEY, None)
        response = self.render_to_response(self.get_context_data(new_secret=secret))
        response["Cache-Control"] = "no-store"
        return response

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        now = timezone.now()
        context.update(
            endpoint=self.request.build_absolute_uri(f"/hooks/{self.request.tenant.slug}/tickets/"),
            secrets=[s for s in self.tenant_rows(WebhookSecret)[:10]],
            events=self.tenant_rows(WebhookEvent)[:50],
            now=now,
        )
        return context

    def post(self, request, *args, **kwargs):
        _row, plain = create_secret(request.user)
        request.session[SECRET_SESSION_KEY] = plain
        messages.success(request, _("A new secret was created. Copy it now: it is shown once."))
        return redirect(tenant_url(request, "metrics:webhook"))
