"""Publishing pages: publish a period's report (managers), republish with a reason, the
revisions of a period, and the difference between two revisions.

The forms work with HTMX (the publishing panel on the report page swaps itself) and without
JavaScript (a full page with the form and its errors). Both call reports.services.publishing.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.generic import TemplateView, View

from agreements.models import Agreement
from metrics.periods import agreement_time_zone, bounds
from slaweb.tenancy.pages import TenantPageMixin

from .. import periods
from ..forms import PublishForm, RepublishForm
from ..models import Report
from ..rendering.text import period_name
from ..services.delivery import publish_and_send
from ..services.publishing import diff

INVALID = 422


def apply_errors(form: forms.Form, error: ValidationError) -> None:
    for field, messages_ in error.message_dict.items():
        form.add_error(field if field in form.fields else None, messages_)


class PeriodMixin(TenantPageMixin):
    """The URL's agreement family (newest version, 404 for another tenant's) and period."""

    model = Agreement

    def setup_period(self):
        self.agreement = (
            self.get_queryset()
            .filter(family=self.kwargs["family"])
            .select_related("tenant", "customer", "default_calendar")
            .order_by("-version")
            .first()
        )
        if self.agreement is None:
            raise Http404
        try:
            self.period_kind, self.period_start = periods.parse(self.kwargs["period"])
        except ValueError as error:
            raise Http404 from error
        self.period_label = periods.label(self.period_kind, self.period_start)

    def revisions(self) -> list[Report]:
        return list(
            self.tenant_rows(Report)
            .filter(
                family=self.agreement.family,
                period_kind=self.period_kind,
                period_start=self.period_start,
            )
            .select_related("published_by")
            .defer("snapshot")
            .order_by("-revision")
        )

    def report_url(self, revision: int | None = None) -> str:
        url = reverse(
            "reports:report",
            args=[self.request.tenant.slug, self.agreement.family, self.period_label],
        )
        return f"{url}?revision={revision}" if revision else url

    def period_context(self) -> dict:
        from django.utils import timezone

        _start, end_at = bounds(
            self.period_start, self.period_kind, agreement_time_zone(self.agreement)
        )
        return {
            "agreement": self.agreement,
            "period_kind": self.period_kind,
            "period_start": self.period_start,
            "period_label": self.period_label,
            "period_title": period_name(self.period_kind, self.period_start),
            "period_is_open": end_at > timezone.now(),
        }


class PublishActionMixin(PeriodMixin):
    """POST: publish (first) or republish (with a reason); GET shows the form page."""

    form_class: type[forms.Form]
    template_name: str

    def panel_context(self, form) -> dict:
        revisions = self.revisions()
        return {
            **self.period_context(),
            "report": revisions[0] if revisions else None,
            "revisions": revisions,
            "can_write": True,
            "publish_form": form if isinstance(form, PublishForm) else None,
            "republish_form": form if isinstance(form, RepublishForm) else None,
            "republish_open": isinstance(form, RepublishForm),
        }

    def get(self, request, family, period):
        self.setup_period()
        return render(request, self.template_name, self.panel_context(self.form_class()))

    def post(self, request, family, period):
        self.setup_period()
        form = self.form_class(request.POST)
        if form.is_valid():
            try:
                report = publish_and_send(
                    self.agreement,
                    self.period_kind,
                    self.period_start,
                    user=request.user,
                    reason=form.cleaned_data.get("reason", ""),
                    send=form.cleaned_data["send"],
                )
            except ValidationError as error:
                apply_errors(form, error)
            else:
                message = _("Revision %(n)d of the report was published.") % {"n": report.revision}
                if form.cleaned_data["send"]:
                    message += " " + _("It is being emailed to the report's recipients.")
                messages.success(request, message)
                if request.htmx:
                    response = HttpResponse()
                    response["HX-Redirect"] = self.report_url()
                    return response
                return redirect(self.report_url())
        context = self.panel_context(form)
        if request.htmx:
            return render(request, "reports/_publishing_panel.html", context, status=INVALID)
        return render(request, self.template_name, context, status=INVALID)


class PublishView(PublishActionMixin, View):
    form_class = PublishForm
    template_name = "reports/publish.html"


class RepublishView(PublishActionMixin, View):
    form_class = RepublishForm
    template_name = "reports/republish.html"


class RevisionsView(PeriodMixin, TemplateView):
    """Every revision of one agreement and period, newest first, with links to each and to
    what changed from the one before."""

    template_name = "reports/revisions.html"

    def get_context_data(self, **kwargs):
        self.setup_period()
        context = super().get_context_data(**kwargs)
        revisions = self.revisions()
        context.update(self.period_context(), revisions=revisions, report=None)
        return context


# How the diff page names a snapshot's sections and fields (codes stay as they are).
SECTIONS = {
    "agreement": gettext_lazy("Agreement"),
    "period": gettext_lazy("Period"),
    "health": gettext_lazy("Health"),
    "counts": gettext_lazy("Metrics by status"),
    "metrics": gettext_lazy("Indicators"),
    "breaches": gettext_lazy("Breaches"),
    "tickets": gettext_lazy("Tickets"),
    "satisfaction": gettext_lazy("Satisfaction"),
    "analysis": gettext_lazy("Analysis"),
    "actions": gettext_lazy("Improvement actions"),
    "follow_ups": gettext_lazy("Follow-ups"),
    "credits": gettext_lazy("Service credits"),
}
FIELDS = {
    "value": gettext_lazy("actual"),
    "compliance_rate": gettext_lazy("compliance rate (%)"),
    "status": gettext_lazy("status"),
    "count_all": gettext_lazy("records"),
    "count_within_target": gettext_lazy("within target"),
    "count_within_minimum": gettext_lazy("within minimum"),
    "change": gettext_lazy("change"),
    "breach_streak": gettext_lazy("missed in a row"),
    "records_total": gettext_lazy("records behind it"),
    "amount": gettext_lazy("amount"),
    "percent": gettext_lazy("credit (%)"),
    "total": gettext_lazy("total"),
    "unresolved_total": gettext_lazy("unresolved at the period's end"),
    "mean": gettext_lazy("mean"),
    "rho": gettext_lazy("rank correlation"),
    "n": gettext_lazy("n"),
    "target": gettext_lazy("target"),
    "minimum": gettext_lazy("minimum"),
    "missed_target": gettext_lazy("missed the target"),
    "missed_minimum": gettext_lazy("missed the minimum"),
    "running_overdue": gettext_lazy("still open and overdue"),
    "resolved": gettext_lazy("resolved"),
    "count": gettext_lazy("count"),
    "answered": gettext_lazy("answered"),
    "invited": gettext_lazy("invited"),
    "response_rate": gettext_lazy("response rate (%)"),
}
# The named parts between a section and its field.
PARTS = {
    "history": gettext_lazy("history"),
    "cause": gettext_lazy("cause"),
    "records": pgettext_lazy("report part", "records"),
    "previous": gettext_lazy("previous period"),
    "by_tier": gettext_lazy("by priority"),
    "by_kind": gettext_lazy("by kind"),
    "unresolved": gettext_lazy("unresolved"),
    "trend": gettext_lazy("trend"),
    "overall": gettext_lazy("overall"),
    "csat": "CSAT",
    "distribution": gettext_lazy("distribution"),
    "correlations": gettext_lazy("correlation"),
    "hint": gettext_lazy("revision hint"),
    "months": gettext_lazy("months"),
}


def describe(path: str) -> dict:
    """metrics[Response].history[2026-03-01].compliance_rate -> section, the item chain
    ("Response › history › 2026-03-01") and the field's label."""
    parts, item = [], ""
    for char in path:
        if char in ".[":
            if item:
                parts.append(item)
            item = ""
        elif char == "]":
            parts.append(item)
            item = ""
        else:
            item += char
    if item:
        parts.append(item)
    section = parts[0] if parts else path
    field = parts[-1] if len(parts) > 1 else ""
    return {
        "section": SECTIONS.get(section, section),
        "where": " › ".join(str(PARTS.get(part, part)) for part in parts[1:-1]),
        "field": FIELDS.get(field, field.replace("_", " ")),
    }


def collapse(changes: list[dict]) -> list[dict]:
    """Rows for the page: an entry of a list that is only in one revision (a record behind a
    breach, an unresolved ticket) is one row, not one per field."""
    rows, seen = [], set()
    for change in changes:
        path = change["path"]
        if change["change"] in ("added", "removed") and "]" in path and not path.endswith("]"):
            item = path[: path.rindex("]") + 1]
            if (item, change["change"]) in seen:
                continue
            seen.add((item, change["change"]))
            label = describe(item + ".entry")
            listed, absent = _("listed"), "—"
            rows.append(
                {
                    **change,
                    **label,
                    "field": _("entry"),
                    "old": listed if change["change"] == "removed" else absent,
                    "new": listed if change["change"] == "added" else absent,
                }
            )
            continue
        rows.append({**change, **describe(path)})
    return rows


class DiffView(PeriodMixin, TemplateView):
    """?from=1&to=2 (default: the latest revision against the one before)."""

    template_name = "reports/diff.html"

    def get_context_data(self, **kwargs):
        self.setup_period()
        context = super().get_context_data(**kwargs)
        revisions = {
            r.revision: r
            for r in self.tenant_rows(Report).filter(
                family=self.agreement.family,
                period_kind=self.period_kind,
                period_start=self.period_start,
            )
        }
        if len(revisions) < 2:
            raise Http404
        newest = max(revisions)
        try:
            new_n = int(self.request.GET.get("to") or newest)
            old_n = int(self.request.GET.get("from") or new_n - 1)
        except ValueError as error:
            raise Http404 from error
        if old_n not in revisions or new_n not in revisions or old_n == new_n:
            raise Http404
        old, new = revisions[old_n], revisions[new_n]
        changes = collapse(diff(old, new))
        context.update(
            self.period_context(),
            old=old,
            new=new,
            changes=changes,
            numbers=sorted(revisions, reverse=True),
        )
        return context
