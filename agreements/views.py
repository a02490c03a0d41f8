"""The agreement editor's pages (customers, services and calendars: views_catalog.py)."""

from __future__ import annotations

import json
import re
import secrets

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Prefetch, Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import DetailView, ListView

from slaweb.tenancy.models import AuditEvent, Role
from slaweb.tenancy.pages import TenantPageMixin
from slaweb.tenancy.views import tenant_url

from . import selectors, services
from .choices import AgreementStatus, Side
from .diff import diff_versions
from .filtersets import AgreementFilterSet
from .forms import (
    AgreementFilterForm,
    AgreementForm,
    ApprovalForm,
    ExclusionForm,
    MetricForm,
    RecipientForm,
    TerminateForm,
    TierForm,
)
from .listing import SortableListMixin
from .models import (
    Agreement,
    AgreementApproval,
    ExclusionRule,
    MetricDefinition,
    PriorityTier,
    ReportRecipient,
    Service,
)

HISTORY_LIMIT = 50


class AgreementListView(SortableListMixin, TenantPageMixin, ListView):
    model = Agreement
    template_name = "agreements/agreement_list.html"
    paginate_by = 25
    sorts = {
        "reference": ("reference", "-version"),
        "title": ("title", "reference", "-version"),
        "customer": ("customer__name", "reference", "-version"),
        "status": ("status", "reference", "-version"),
        "in_force": ("effective_from", "reference", "-version"),
        "metrics": ("metric_count", "reference", "-version"),
    }
    default_sort = "reference"

    def scope_queryset(self, queryset):
        self.filter_form = AgreementFilterForm(self.request.GET or None, tenant=self.request.tenant)
        queryset = selectors.agreements(self.request.tenant, queryset)  # as the API lists them
        if self.filter_form.is_valid():
            queryset = self._filter(queryset, self.filter_form.cleaned_data)
        return self.sort(queryset)

    @staticmethod
    def _filter(queryset, data):
        """The page's form feeds the same FilterSet the API uses (one home for the rules)."""
        params = {
            "search": data["q"],
            "customer": data["customer"] and data["customer"].pk,
            "service": data["service"] and data["service"].pk,
            "status": [data["status"]] if data["status"] else [],
            "kind": data["kind"],
            "expiring_within_days": data["expiring"],
        }
        params = {name: value for name, value in params.items() if value not in (None, "", [])}
        return AgreementFilterSet(params, queryset=queryset).qs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["filter_form"] = self.filter_form
        context["filtered"] = any(
            v for k, v in self.request.GET.items() if k not in ("page", "sort")
        )
        return context


def agreement_document_queryset(agreements):
    """Everything the SLA document shows, in a fixed number of queries."""
    return agreements.select_related(
        "customer", "customer_contact", "default_calendar", "supersedes"
    ).prefetch_related(
        Prefetch("services", queryset=Service.objects.order_by("name")),
        Prefetch(
            "tiers",
            queryset=PriorityTier.objects.select_related("calendar").order_by("order", "code"),
        ),
        Prefetch(
            "metrics",
            queryset=MetricDefinition.objects.prefetch_related(
                Prefetch("tiers", queryset=PriorityTier.objects.order_by("order", "code"))
            ).order_by("order", "id"),
        ),
        "exclusions",
        Prefetch("recipients", queryset=ReportRecipient.objects.select_related("contact")),
        Prefetch("approvals", queryset=AgreementApproval.objects.select_related("approved_by")),
    )


class AgreementDocumentMixin(TenantPageMixin):
    model = Agreement

    def scope_queryset(self, queryset):
        return agreement_document_queryset(queryset)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        agreement = self.object
        context["versions"] = list(
            self.tenant_rows(Agreement)
            .filter(family=agreement.family)
            .only(
                "pk",
                "version",
                "status",
                "effective_from",
                "effective_to",
                "activated_at",
                "reference",
            )
            .order_by("-version")
        )
        context["approved_sides"] = {approval.side for approval in agreement.approvals.all()}
        context["sides"] = Side.choices
        return context


class AgreementDetailView(AgreementDocumentMixin, DetailView):
    template_name = "agreements/agreement_detail.html"
    context_object_name = "agreement"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        agreement = self.object
        membership = self.request.membership
        is_manager = membership.has_role(Role.MANAGER)
        status = agreement.status
        context.update(
            editable=is_manager and status == AgreementStatus.DRAFT,
            can_submit=is_manager and status == AgreementStatus.DRAFT,
            can_approve=is_manager and status == AgreementStatus.IN_REVIEW,
            can_activate=is_manager
            and status == AgreementStatus.IN_REVIEW
            and context["approved_sides"] >= {Side.PROVIDER, Side.CUSTOMER},
            can_new_version=is_manager
            and status == AgreementStatus.ACTIVE
            and not any(
                v.status in (AgreementStatus.DRAFT, AgreementStatus.IN_REVIEW)
                for v in context["versions"]
            ),
            can_terminate=is_manager and status == AgreementStatus.ACTIVE,
            approval_form=ApprovalForm(),
            terminate_form=TerminateForm(),
            history=agreement_history(agreement),
        )
        return context


def agreement_history(agreement):
    """Audit events of the agreement and of its current tiers and metrics."""
    parts = Q(model="agreements.agreement", object_id=str(agreement.pk))
    parts |= Q(
        model="agreements.prioritytier", object_id__in=[str(t.pk) for t in agreement.tiers.all()]
    )
    parts |= Q(
        model="agreements.metricdefinition",
        object_id__in=[str(m.pk) for m in agreement.metrics.all()],
    )
    return AuditEvent.objects.filter(parts).order_by("-at", "-id")[:HISTORY_LIMIT]


class AgreementPrintView(AgreementDocumentMixin, DetailView):
    template_name = "agreements/agreement_print.html"
    context_object_name = "agreement"


class AgreementDiffView(TenantPageMixin, View):
    """Differences between any two versions of the same agreement."""

    model = Agreement

    def get(self, request, pk):
        agreement = self.get_object()
        versions = list(
            self.tenant_rows(Agreement).filter(family=agreement.family).order_by("version")
        )
        by_id = {str(v.pk): v for v in versions}
        default_old = agreement.supersedes or (versions[0] if versions else agreement)
        old = by_id.get(request.GET.get("from", ""), default_old)
        new = by_id.get(request.GET.get("to", ""), agreement)
        if request.GET.get("from") and request.GET["from"] not in by_id:
            raise Http404
        if request.GET.get("to") and request.GET["to"] not in by_id:
            raise Http404
        return render(
            request,
            "agreements/agreement_diff.html",
            {
                "agreement": agreement,
                "versions": versions,
                "old": old,
                "new": new,
                "changes": diff_versions(old, new) if old.pk != new.pk else [],
            },
        )


# --------------------------------------------------------------------------
# Writes: every change goes through services.py (validated, atomic, lock-checked)


def _errors_text(error: ValidationError) -> str:
    return " ".join(error.messages)


def _apply_errors(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


# A refused form comes back with this status; htmx swaps it (see htmx-config in base.html).
INVALID = 422

CONFLICT_MESSAGE = gettext_lazy(
    "Someone else changed this agreement after you opened it. Your input is kept below; "
    "reload the agreement to see the other change, then apply yours again."
)


class AgreementCreateView(TenantPageMixin, View):
    model = Agreement
    read_role = Role.MANAGER

    def get(self, request):
        initial = {"effective_from": timezone.localdate()}
        return self._render(AgreementForm(tenant=request.tenant, initial=initial))

    def post(self, request):
        form = AgreementForm(request.POST, tenant=request.tenant)
        if form.is_valid():
            fields = {k: v for k, v in form.cleaned_data.items() if k != "lock_version"}
            try:
                agreement = services.create_agreement(**fields)
            except ValidationError as error:
                _apply_errors(form, error)
            else:
                messages.success(
                    request,
                    _("Draft created with the default priority tiers P1–P4. Add its metrics next."),
                )
                return redirect(tenant_url(request, "agreements:detail", agreement.pk))
        return self._render(form, status=400)

    def _render(self, form, status=200):
        return render(self.request, "agreements/agreement_form.html", {"form": form}, status=status)


class DraftMixin(TenantPageMixin):
    """Views that change a draft: managers only; the URL's agreement (pk) is the tenant's."""

    model = Agreement
    read_role = Role.MANAGER

    def scope_queryset(self, queryset):
        return queryset.select_related("customer")

    def get_agreement(self):
        return self.get_object()


class AgreementEditView(DraftMixin, View):
    def get(self, request, pk):
        agreement = self.get_agreement()
        if not agreement.is_editable:
            messages.error(request, _errors_text(_not_editable(agreement)))
            return redirect(tenant_url(request, "agreements:detail", pk))
        return self._render(agreement, AgreementForm(instance=agreement, tenant=request.tenant))

    def post(self, request, pk):
        agreement = self.get_agreement()
        form = AgreementForm(request.POST, instance=agreement, tenant=request.tenant)
        status = 400
        if form.is_valid():
            fields = dict(form.cleaned_data)
            lock_version = fields.pop("lock_version")
            try:
                services.update_agreement(self.get_agreement(), lock_version, **fields)
            except services.ConflictError:
                form.add_error(None, CONFLICT_MESSAGE)
                status = 409
            except ValidationError as error:
                _apply_errors(form, error)
            else:
                messages.success(request, _("Saved."))
                return redirect(tenant_url(request, "agreements:detail", pk))
        return self._render(agreement, form, status=status)

    def _render(self, agreement, form, status=200):
        return render(
            self.request,
            "agreements/agreement_form.html",
            {"form": form, "agreement": agreement},
            status=status,
        )


def _not_editable(agreement) -> ValidationError:
    try:
        agreement.ensure_editable()
    except ValidationError as error:
        return error
    return ValidationError(_("This agreement cannot be edited."))


class PartEditView(DraftMixin, View):
    """Add or edit one tier or metric of a draft, inline (HTMX) or as a page without JavaScript.

    Each save claims the agreement's lock_version, so two editors cannot overwrite each
    other; the new lock_version is swapped into every form of the page (out of band).
    """

    form_class: type
    part_model: type
    row_template: str
    context_name: str
    section: str

    def get(self, request, pk, part_pk=None):
        agreement = self.get_agreement()
        part = self._part(agreement, part_pk)
        if request.GET.get("cancel"):
            if part is None:
                return HttpResponse("")
            return self._row(agreement, part)
        form = self._make_form(agreement, part)
        return self._form(agreement, part, form)

    def post(self, request, pk, part_pk=None):
        agreement = self.get_agreement()
        part = self._part(agreement, part_pk)
        form = self._make_form(agreement, part, data=request.POST)
        if not form.is_valid():
            return self._form(agreement, part, form, status=INVALID)
        try:
            with transaction.atomic():
                agreement = services.update_agreement(agreement, form.cleaned_data["lock_version"])
                form.instance.agreement = agreement
                part = self.save(form)
        except services.ConflictError:
            form.add_error(None, CONFLICT_MESSAGE)
            return self._form(agreement, part, form, status=409)
        except ValidationError as error:
            _apply_errors(form, error)
            return self._form(agreement, part, form, status=INVALID)
        if not request.htmx:
            messages.success(request, _("Saved."))
            return redirect(tenant_url(request, "agreements:detail", pk) + f"#{self.section}")
        return self._row(agreement, part, lock_oob=True)

    def _part(self, agreement, part_pk):
        if part_pk is None:
            return None
        return self.get_tenant_object(self.part_model, pk=part_pk, agreement=agreement)

    def _row_key(self, part):
        """Ids of an inline form start with the section and the row ("metrics-7-name"), so
        two open forms never share one; a new row gets a random key carried in its form."""
        if part is not None:
            return str(part.pk)
        key = self.request.POST.get("row") or self.request.GET.get("row") or ""
        if not re.fullmatch(r"[0-9a-f]{6}", key):
            key = secrets.token_hex(3)
        return f"new{key}"

    def _make_form(self, agreement, part, data=None):
        self.row_key = self._row_key(part)
        return self.form_class(
            data,
            instance=part,
            tenant=self.request.tenant,
            agreement=agreement,
            auto_id=f"{self.section}-{self.row_key}-%s",
        )

    def _form(self, agreement, part, form, status=200):
        template = (
            "agreements/partials/part_form_row.html"
            if self.request.htmx
            else "agreements/part_form.html"
        )
        context = {
            "agreement": agreement,
            "part": part,
            "form": form,
            "section": self.section,
            "add_url_name": f"agreements:{self.section[:-1]}-add",
            "edit_url_name": f"agreements:{self.section[:-1]}-edit",
            "row_key": self.row_key,
        }
        return render(self.request, template, context, status=status)

    def save(self, form):
        """Tiers, exclusions and recipients; metrics also set their tiers."""
        return services.save_part(form.save(commit=False))

    def _row(self, agreement, part, lock_oob=False):
        context = {
            "agreement": agreement,
            self.context_name: part,
            "editable": True,
            "lock_oob": lock_oob,
            "focus": True,  # back from an inline form: focus goes to the row's Edit link
        }
        return render(self.request, self.row_template, context)


class TierEditView(PartEditView):
    form_class = TierForm
    part_model = PriorityTier
    row_template = "agreements/partials/tier_row.html"
    context_name = "tier"
    section = "tiers"


class MetricEditView(PartEditView):
    form_class = MetricForm
    part_model = MetricDefinition
    row_template = "agreements/partials/metric_row.html"
    context_name = "metric"
    section = "metrics"

    def save(self, form):
        return services.save_metric(form.save(commit=False), tiers=form.cleaned_data["tiers"])


class ExclusionEditView(PartEditView):
    form_class = ExclusionForm
    part_model = ExclusionRule
    row_template = "agreements/partials/exclusion_row.html"
    context_name = "exclusion"
    section = "exclusions"


class RecipientEditView(PartEditView):
    form_class = RecipientForm
    part_model = ReportRecipient
    row_template = "agreements/partials/recipient_row.html"
    context_name = "recipient"
    section = "recipients"


class PartDeleteView(DraftMixin, View):
    part_model: type
    section: str

    def post(self, request, pk, part_pk):
        agreement = self.get_agreement()
        part = self.get_tenant_object(self.part_model, pk=part_pk, agreement=agreement)
        try:
            with transaction.atomic():
                agreement = services.update_agreement(
                    agreement, _int(request.POST.get("lock_version"))
                )
                services.delete_part(part)
        except services.ConflictError:
            return self._refuse(request, pk, CONFLICT_MESSAGE)
        except ValidationError as error:
            return self._refuse(request, pk, _errors_text(error))
        if request.htmx:
            return render(request, "agreements/partials/lock_oob.html", {"agreement": agreement})
        messages.success(request, _("Removed."))
        return redirect(tenant_url(request, "agreements:detail", pk) + f"#{self.section}")

    def _refuse(self, request, pk, text):
        if request.htmx:
            response = HttpResponse(status=409)
            response["HX-Reswap"] = "none"
            response["HX-Trigger"] = json.dumps({"slaweb:error": text})
            return response
        messages.error(request, text)
        return redirect(tenant_url(request, "agreements:detail", pk) + f"#{self.section}")


class TierDeleteView(PartDeleteView):
    part_model = PriorityTier
    section = "tiers"


class MetricDeleteView(PartDeleteView):
    part_model = MetricDefinition
    section = "metrics"


class ExclusionDeleteView(PartDeleteView):
    part_model = ExclusionRule
    section = "exclusions"


class RecipientDeleteView(PartDeleteView):
    part_model = ReportRecipient
    section = "recipients"


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class WorkflowView(DraftMixin, View):
    """POST-only lifecycle actions; refusals come back as messages on the agreement page."""

    def post(self, request, pk):
        agreement = self.get_agreement()
        try:
            result = self.act(request, agreement)
        except services.ConflictError:
            messages.error(request, CONFLICT_MESSAGE)
        except ValidationError as error:
            messages.error(request, _errors_text(error))
        else:
            messages.success(request, self.done_message)
            if isinstance(result, Agreement):
                return redirect(tenant_url(request, "agreements:detail", result.pk))
        return redirect(tenant_url(request, "agreements:detail", pk))


class SubmitView(WorkflowView):
    done_message = gettext_lazy("Submitted for review. Both sides approve next.")

    def act(self, request, agreement):
        return services.submit(agreement)


class ApproveView(WorkflowView):
    done_message = gettext_lazy("Approval recorded.")

    def act(self, request, agreement):
        form = ApprovalForm(request.POST)
        if not form.is_valid():
            raise ValidationError(
                [f"{form.fields[f].label}: {' '.join(e)}" for f, e in form.errors.items()]
            )
        data = form.cleaned_data
        services.approve(
            agreement,
            side=data["side"],
            user=request.user,
            name=data["name"],
            comment=data["comment"],
        )


class ActivateView(WorkflowView):
    done_message = gettext_lazy("The agreement is active.")

    def act(self, request, agreement):
        return services.activate(agreement)


class NewVersionView(WorkflowView):
    done_message = gettext_lazy(
        "New version created as a draft. Change it, then submit it for review."
    )

    def act(self, request, agreement):
        return services.new_version(agreement)


class TerminateView(WorkflowView):
    done_message = gettext_lazy("The agreement was terminated.")

    def act(self, request, agreement):
        form = TerminateForm(request.POST)
        if not form.is_valid():
            raise ValidationError(_("Give the reason for terminating the agreement."))
        return services.terminate(agreement, reason=form.cleaned_data["reason"])
