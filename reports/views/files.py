"""Files of a published report revision: request (POST), progress (HTMX polls the row's
partial every 2 s; without JavaScript the page refreshes itself) and download (the stored
bytes, inside the tenant's scope). A viewer may request a file: it renders what they may
already read and changes no data."""

from __future__ import annotations

from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.generic import DetailView, View

from slaweb.tenancy.models import Role
from slaweb.tenancy.pages import TenantPageMixin

from .. import periods
from ..choices import FileFormat, FileState
from ..models import Report, ReportFile
from ..services import files


def report_url(request, report: Report) -> str:
    url = reverse(
        "reports:report",
        args=[
            request.tenant.slug,
            report.family,
            periods.label(report.period_kind, report.period_start),
        ],
    )
    return f"{url}?revision={report.revision}"


def _languages() -> set[str]:
    from django.conf import settings

    return {code for code, _name in settings.LANGUAGES}


class FileRequestView(TenantPageMixin, View):
    model = Report
    write_role = Role.VIEWER  # rendering a report one may read changes no data

    def post(self, request, pk):
        report = self.get_object()
        fmt = request.POST.get("format", "")
        language = request.POST.get("language") or request.LANGUAGE_CODE
        if fmt not in FileFormat.values or language not in _languages():
            return HttpResponseBadRequest(_("Choose PDF, XLSX or CSV in a language of the site."))
        row = files.request_file(report, fmt, language)
        if request.htmx:
            return render(request, "reports/_file.html", _file_context(row))
        return redirect(reverse("reports:file", args=[request.tenant.slug, row.pk]))


def _file_context(row: ReportFile) -> dict:
    return {
        "file": row,
        "fmt": row.format,
        "label": row.get_format_display(),
        "report": row.report,
    }


class FileView(TenantPageMixin, DetailView):
    """The state of one file: the HTMX partial, or a small page that refreshes while pending."""

    model = ReportFile
    context_object_name = "file"

    def scope_queryset(self, queryset):
        return queryset.defer("content").select_related("report")

    def get_template_names(self):
        return ["reports/_file.html" if self.request.htmx else "reports/file.html"]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(_file_context(self.object))
        context["report_url"] = report_url(self.request, self.object.report)
        return context


class FileDownloadView(TenantPageMixin, DetailView):
    model = ReportFile

    def scope_queryset(self, queryset):
        return queryset.select_related("report")

    def get(self, request, pk):
        row = self.get_object()
        if row.state != FileState.READY:
            return redirect(reverse("reports:file", args=[request.tenant.slug, row.pk]))
        response = HttpResponse(bytes(row.content), content_type=files.CONTENT_TYPES[row.format])
        response["Content-Disposition"] = content_disposition_header(True, files.filename(row))
        response["Content-Length"] = str(row.size)
        return response
