"""The report page of an emailed link, /r/<token>/ (no login; decision 010, "Delivery").

The tenant comes from the signed token; the delivery is read inside that tenant's scope
under RLS, so a token naming another tenant's delivery finds nothing. Tampered, expired
and unknown links get the same calm 404 page. The reader sees the published revision
(its frozen snapshot), downloads its stored PDF and can acknowledge it once.
"""

from __future__ import annotations

import logging
from zoneinfo import ZoneInfo

from django import forms
from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from slaweb.ratelimit import rate_limit
from slaweb.tenancy.context import Actor, acting_as, tenant_context
from slaweb.tenancy.models import Tenant

from ..choices import FileFormat, FileState
from ..models import ReportFile
from ..services import delivery as service

log = logging.getLogger(__name__)

LANGUAGES = service.LANGUAGES


class AcknowledgeForm(forms.Form):
    name = forms.CharField(
        label=_("Your name"),
        max_length=200,
        help_text=_("Recorded with the date and time of your acknowledgement."),
        error_messages={"required": _("Enter your name to acknowledge the report.")},
    )

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError(_("Enter your name to acknowledge the report."))
        return name


def link_rate() -> str:
    """Per client address, pages and downloads together (settings.REPORT_LINK_RATE)."""
    return getattr(settings, "REPORT_LINK_RATE", "30/m")


def _language(request, default: str) -> str:
    wanted = request.GET.get("lang", "")
    if wanted in LANGUAGES:
        return wanted
    return default if default in LANGUAGES else "zh-hans"


def _calm(request):
    """The same page and status for every link that cannot be used, in both languages."""
    first = _language(request, request.LANGUAGE_CODE or "zh-hans")
    other = "en" if first == "zh-hans" else "zh-hans"
    with translation.override(first):
        return render(
            request,
            "reports/public/calm.html",
            {"language": first, "languages": [first, other]},
            status=404,
        )


def _open(request, token: str):
    """(payload, None) for a usable token, else (None, the calm page)."""
    payload = service.read_token(token)
    if payload is None:
        return None, _calm(request)
    return payload, None


@require_http_methods(["GET", "POST"])
@rate_limit(key="ip", rate=link_rate, scope="report-link")
def report_link(request, token: str):
    payload, refused = _open(request, token)
    if refused:
        return refused
    with tenant_context(payload.tenant_id):
        delivery = service.open_delivery(payload)
        if delivery is None:
            return _calm(request)
        language = _language(request, delivery.language)
        actor = Actor(user_id=None, label=f"{delivery.name} <{delivery.email}>", via="link")
        with translation.override(language), acting_as(actor):
            return _page(request, token, delivery, language)


def _page(request, token, delivery, language):
    form = AcknowledgeForm(initial={"name": delivery.name})
    status = 200
    if request.method == "POST":
        form = AcknowledgeForm(request.POST)
        if form.is_valid():
            service.acknowledge(delivery, form.cleaned_data["name"])
            return redirect(f"{reverse('report-link', args=[token])}?lang={language}#acknowledge")
        status = 400
    else:
        service.mark_opened(delivery)
    delivery.refresh_from_db(fields=["acknowledged_at", "acknowledged_name"])
    report = delivery.report
    tenant = Tenant.objects.get(pk=delivery.tenant_id)
    has_pdf = ReportFile.objects.filter(
        report=report, format=FileFormat.PDF, state=FileState.READY
    ).exists()
    context = {
        "delivery": delivery,
        "report": report,
        "snap": report.snapshot,
        "tenant": tenant,
        "zone": ZoneInfo(tenant.time_zone),
        "form": form,
        "language": language,
        "other_language": "en" if language == "zh-hans" else "zh-hans",
        "token": token,
        "has_pdf": has_pdf,
        "period": service.period_name(report),
        "body": report_body(report.snapshot, language),
    }
    return render(request, "reports/public/report.html", context, status=status)


def report_body(snapshot: dict, language: str) -> str:
    """The report body the page and the PDF share (reports.rendering.html), else a
    minimal table, so a reader always sees the figures."""
    try:
        from ..rendering.html import render_body

        return render_body(snapshot, language=language)
    except Exception:  # a snapshot the shared body cannot show: the minimal one
        log.warning("the report body could not be rendered", exc_info=True)
        counts = snapshot.get("counts") or {}
        context = {
            "snap": snapshot,
            "summary": service.summary_of(snapshot),
            "measured": (counts.get("metrics") or 0) - (counts.get("no_data") or 0),
        }
        return render_to_string("reports/public/_minimal_body.html", context)


@require_http_methods(["GET"])
@rate_limit(key="ip", rate=link_rate, scope="report-link")
def report_link_pdf(request, token: str):
    """The stored PDF of the delivered revision (the reader's language first)."""
    payload, refused = _open(request, token)
    if refused:
        return refused
    with tenant_context(payload.tenant_id):
        delivery = service.open_delivery(payload)
        if delivery is None:
            return _calm(request)
        language = _language(request, delivery.language)
        files = ReportFile.objects.filter(
            report_id=delivery.report_id, format=FileFormat.PDF, state=FileState.READY
        )
        stored = files.filter(language=language).first() or files.first()
        if stored is None:
            return _calm(request)
        response = HttpResponse(bytes(stored.content), content_type="application/pdf")
        name = service.attachment_name(delivery.report)
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        response["Cache-Control"] = "private, no-store"
        return response
