"""The review round: record an approval, send back to draft, email the customer's approval
link (member pages under /t/<slug>/), and the public approval page /a/<token>/ (no login).

A refused form is shown again on its own page, the message beside the field, nothing lost.
The public page shows the same calm page for a tampered, expired or used link.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.http import require_http_methods

from slaweb.mail.models import OutboxMessage
from slaweb.ratelimit import rate_limit
from slaweb.tenancy.audit_display import tenant_zone
from slaweb.tenancy.context import Actor, acting_as, tenant_context
from slaweb.tenancy.models import Role, Tenant
from slaweb.tenancy.pages import TenantPageMixin
from slaweb.tenancy.views import tenant_url

from . import services
from .choices import AgreementStatus, Side
from .forms import contacts_of
from .forms_workflow import LinkApproveForm, LinkDeclineForm, RecordApprovalForm, SendBackForm
from .models import Agreement, Contact
from .services.approval_link import link_key, pending_agreement, read_token

INVALID = 400


def _apply_errors(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


def review_state(agreement: Agreement) -> dict:
    """What the review panel shows: approvals, missing sides, the link email if sent."""
    approvals = list(agreement.approvals.all())
    approved = {approval.side for approval in approvals}
    missing = [side for side in Side.values if side not in approved]
    link_mail = None
    if agreement.status == AgreementStatus.IN_REVIEW and Side.CUSTOMER in missing:
        link_mail = OutboxMessage.objects.filter(key=link_key(agreement)).first()
    return {"approvals": approvals, "missing_sides": missing, "link_mail": link_mail}


class ReviewActionView(TenantPageMixin, View):
    """POST (and a plain GET page for the form without JavaScript); managers only."""

    model = Agreement
    read_role = write_role = Role.MANAGER
    template_name = "agreements/approval_form.html"
    title = ""

    def scope_queryset(self, queryset):
        return queryset.select_related("customer", "customer_contact")

    def make_form(self, agreement, data=None):
        raise NotImplementedError

    def get(self, request, pk):
        agreement = self.get_object()
        if agreement.status != AgreementStatus.IN_REVIEW:
            return redirect(tenant_url(request, "agreements:detail", pk))
        return self.page(agreement, self.make_form(agreement))

    def post(self, request, pk):
        agreement = self.get_object()
        form = self.make_form(agreement, request.POST)
        if form.is_valid():
            try:
                self.act(request, agreement, form.cleaned_data)
            except services.ConflictError as error:
                form.add_error(None, error.message)
            except ValidationError as error:
                _apply_errors(form, error)
            else:
                messages.success(request, self.done_message)
                return redirect(tenant_url(request, "agreements:detail", pk) + "#approvals")
        return self.page(agreement, form, status=INVALID)

    def page(self, agreement, form, status=200):
        context = {
            "agreement": agreement,
            "form": form,
            "title": self.title,
            "action_url": tenant_url(self.request, self.url_name, agreement.pk),
            **review_state(agreement),
        }
        return render(self.request, self.template_name, context, status=status)


class RecordApprovalView(ReviewActionView):
    url_name = "agreements:approval-record"

    @property
    def title(self):
        return _("Record an approval")

    @property
    def done_message(self):
        return _("Approval recorded.")

    def make_form(self, agreement, data=None):
        missing = review_state(agreement)["missing_sides"]
        return RecordApprovalForm(data, agreement=agreement, missing=missing)

    def act(self, request, agreement, data):
        services.approve(
            agreement,
            side=data["side"],
            user=request.user,
            comment=data["comment"],
            on_behalf_of=data.get("on_behalf_of"),
            evidence=data.get("evidence", ""),
        )


class SendBackView(ReviewActionView):
    url_name = "agreements:send-back"

    @property
    def title(self):
        return _("Send back to draft")

    @property
    def done_message(self):
        return _("Sent back to draft; approvals given so far were dropped.")

    def make_form(self, agreement, data=None):
        return SendBackForm(data)

    def act(self, request, agreement, data):
        services.send_back(agreement, reason=data["reason"])


class RequestApprovalLinkView(TenantPageMixin, View):
    """Email the customer's contact the approval link (once per review round)."""

    model = Agreement
    read_role = write_role = Role.MANAGER

    def post(self, request, pk):
        agreement = self.get_object()
        try:
            message = services.request_customer_approval(
                agreement, base_url=request.build_absolute_uri("/")
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(
                request,
                _("The approval link was emailed to %(address)s.")
                % {"address": message.to_address},
            )
        return redirect(tenant_url(request, "agreements:detail", pk) + "#approvals")


class ContactOptionsView(TenantPageMixin, View):
    """The <option>s of the contact list for the chosen customer (the agreement form's HTMX
    dependent select): only that customer's contacts, of this tenant."""

    model = Agreement
    read_role = Role.MANAGER

    def get(self, request):
        customer = request.GET.get("customer", "")
        contacts = contacts_of(self.tenant_rows(Contact), customer if customer.isdigit() else None)
        if not customer.isdigit():
            contacts = contacts.none()
        options = format_html_join(
            "", '<option value="{}">{}</option>', ((c.pk, str(c)) for c in contacts)
        )
        return HttpResponse(format_html('<option value="">---------</option>{}', options))


# --------------------------------------------------------------------------
# The public page of the emailed link


LANGUAGES = ("zh-hans", "en")


def _calm(request):
    """The same page, status and text for every link that cannot be used."""
    return render(request, "agreements/approval_link_invalid.html", status=404)


def link_rate() -> str:
    return getattr(settings, "AGREEMENT_LINK_RATE", "30/m")


@require_http_methods(["GET", "POST"])
@rate_limit(key="ip", rate=link_rate, scope="agreement-link")
def approval_link(request, token: str):
    payload = read_token(token)
    if payload is None:
        return _calm(request)
    with tenant_context(payload.tenant_id):
        agreement = pending_agreement(payload)
        if agreement is None:
            return _calm(request)
        contact = agreement.customer_contact
        language = request.GET.get("lang") or contact.language
        if language not in LANGUAGES:
            language = "zh-hans"
        actor = Actor(user_id=None, label=f"{contact.name} <{contact.email}>", via="link")
        with translation.override(language), acting_as(actor):
            return _link_page(request, agreement, language)


def _link_page(request, agreement, language):
    approve_form, decline_form = LinkApproveForm(), LinkDeclineForm()
    done = None
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "approve":
                approve_form = LinkApproveForm(request.POST)
                if approve_form.is_valid():
                    services.approve_by_link(
                        agreement, comment=approve_form.cleaned_data["comment"]
                    )
                    done = "approved"
            elif action == "decline":
                decline_form = LinkDeclineForm(request.POST)
                if decline_form.is_valid():
                    services.decline_by_link(agreement, reason=decline_form.cleaned_data["reason"])
                    done = "declined"
        except ValidationError:  # a concurrent answer or a change of the agreement won
            return _calm(request)
    if done:
        return render(
            request,
            "agreements/approval_link_done.html",
            {"agreement": agreement, "done": done, "language": language},
        )
    full = (
        Agreement.objects.select_related("customer", "default_calendar")
        .prefetch_related("services", "tiers__calendar", "metrics__tiers", "exclusions")
        .get(pk=agreement.pk)
    )
    context = {
        "agreement": full,
        "approve_form": approve_form,
        "decline_form": decline_form,
        "language": language,
        "provider_approval": full.approvals.filter(side=Side.PROVIDER).first(),
        "zone": tenant_zone(Tenant.objects.get(pk=agreement.tenant_id)),
    }
    status = INVALID if request.method == "POST" else 200
    return render(request, "agreements/approval_link.html", context, status=status)
