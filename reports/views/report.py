"""The report page of one agreement family and period: live from the snapshot builder while
nothing is published, else the latest revision (or ?revision=N); a period picker, the
publishing panel (core) and the downloads of a published revision."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.views.generic import TemplateView, View

from agreements.choices import MeasurementPeriod
from agreements.models import Agreement
from metrics.periods import agreement_time_zone, period_end, period_start, previous
from slaweb.tenancy.pages import TenantPageMixin

from .. import periods
from ..choices import FileFormat, FileState
from ..models import Report, ReportFile
from ..rendering.html import body_context
from ..rendering.text import period_name
from ..selectors import reports as selectors


def latest_complete(kind: str, today: dt.date) -> dt.date:
    """The start of the last period of `kind` that has ended by `today`."""
    return previous(period_start(today, kind), kind)


class FamilyMixin(TenantPageMixin):
    model = Agreement

    def family_agreement(self) -> Agreement:
        """The family's newest version (the builder picks the version in force itself)."""
        agreement = (
            self.get_queryset()
            .filter(family=self.kwargs["family"])
            .select_related("tenant", "customer", "default_calendar")
            .order_by("-version")
            .first()
        )
        if agreement is None:
            raise Http404
        return agreement


class LatestReportView(FamilyMixin, View):
    """/reports/agreements/<family>/: the latest complete month (or ?kind=quarter|year), or
    ?period=2026-09 from the period picker (works without JavaScript)."""

    def get(self, request, family):
        agreement = self.family_agreement()
        wanted = request.GET.get("period", "")
        try:
            kind, start = periods.parse(wanted)
        except ValueError:
            kind = request.GET.get("kind")
            if kind not in MeasurementPeriod.values:
                kind = MeasurementPeriod.MONTH
            today = timezone.now().astimezone(ZoneInfo(agreement_time_zone(agreement))).date()
            start = latest_complete(kind, today)
        target = reverse(
            "reports:report",
            args=[request.tenant.slug, agreement.family, periods.label(kind, start)],
        )
        if request.htmx:  # htmx would follow a 302 and swap a whole page into a fragment
            return HttpResponse(status=200, headers={"HX-Redirect": target})
        return redirect(target)


class ReportView(FamilyMixin, TemplateView):
    template_name = "reports/report.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        agreement = self.family_agreement()
        try:
            kind, start = periods.parse(self.kwargs["period"])
        except ValueError as error:
            raise Http404 from error
        revisions = list(selectors.revisions(agreement.family, kind, start))
        report = self.chosen(revisions)
        if report is not None:
            snapshot = report.snapshot
        else:
            from .. import snapshot as builder

            snapshot = builder.build(agreement, kind, start)
        context.update(body_context(snapshot))
        context.update(
            agreement=agreement,
            period_kind=kind,
            period_start=start,
            period_label=periods.label(kind, start),
            period_title=period_name(kind, start),
            report=report,
            revisions=revisions,
            is_latest=report is not None and report == revisions[0],
            picker=self.picker(agreement, kind, start),
            files=self.files(report),
        )
        return context

    def chosen(self, revisions: list[Report]) -> Report | None:
        wanted = self.request.GET.get("revision")
        if not wanted:
            return revisions[0] if revisions else None
        match = [r for r in revisions if str(r.revision) == wanted]
        if not match:
            raise Http404
        return match[0]

    def picker(self, agreement, kind: str, start: dt.date) -> dict:
        """Previous / next period links, the other period kinds around this one, and the
        recent periods of this kind for the picker's list."""
        today = timezone.now().astimezone(ZoneInfo(agreement_time_zone(agreement))).date()
        current = period_start(today, kind)
        recent, cursor = [], current
        for _ in range(12 if kind == MeasurementPeriod.MONTH else 8):
            recent.append((periods.label(kind, cursor), period_name(kind, cursor)))
            cursor = previous(cursor, kind)
        if all(value != periods.label(kind, start) for value, _name in recent):
            recent.append((periods.label(kind, start), period_name(kind, start)))  # an older one
        following = period_end(start, kind)
        return {
            "previous": periods.label(kind, previous(start, kind)),
            "next": periods.label(kind, following) if following <= current else None,
            "kinds": [
                (value, label, periods.label(value, period_start(start, value)), value == kind)
                for value, label in MeasurementPeriod.choices
            ],
            "recent": recent,
        }

    def files(self, report: Report | None) -> dict:
        """Each format in the page's language with its file row (if requested), and the ready
        files in other languages (the PDF mailed to a Chinese reader, say)."""
        if report is None:
            return {"mine": [], "others": []}
        language = self.request.LANGUAGE_CODE
        rows = list(
            self.tenant_rows(ReportFile)
            .filter(report=report)
            .defer("content")
            .order_by("language", "format")
        )
        mine = {f.format: f for f in rows if f.language == language}
        return {
            "mine": [
                {"format": value, "label": label, "file": mine.get(value)}
                for value, label in FileFormat.choices
            ],
            "others": [f for f in rows if f.language != language and f.state == FileState.READY],
        }
