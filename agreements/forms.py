"""Forms of the agreement editor. Related-object choices are narrowed to the tenant by the
base forms (slaweb.tenancy.forms); these forms only narrow further (archived, customer)."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from slaweb.tenancy.forms import TenantForm, TenantModelForm

from .choices import AgreementKind, AgreementStatus, ClockStop, Side, TicketKind
from .editable import EXCLUSION_FIELDS, METRIC_FIELDS, RECIPIENT_FIELDS, TIER_FIELDS
from .models import (
    Agreement,
    Customer,
    ExclusionRule,
    MetricDefinition,
    PriorityTier,
    ReportRecipient,
    Service,
)

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")

# The units a metric is stated in (the stored values are unchanged; targets of time metrics
# are minutes, shown as hours and minutes by the agreement_format filters).
METRIC_UNITS = [
    ("min", _("minutes")),
    ("%", _("percent")),
    ("score", _("score (1–5)")),
    ("count", _("count")),
]


class NoSilentCutMixin:
    """Long input is refused with a message, not cut by the browser: no maxlength attribute
    (the form field's max_length validator still applies on the server)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget.attrs.pop("maxlength", None)
        # Stored decimals show as people write them: 99.5, not 99.5000.
        for name, value in list(self.initial.items()):
            if isinstance(value, Decimal) and value == value:
                self.initial[name] = format(value.normalize(), "f")


class LockVersionMixin(forms.Form):
    """The agreement's lock_version as the editor saw it (optimistic locking)."""

    lock_version = forms.IntegerField(
        widget=forms.HiddenInput(attrs={"class": "agreement-lock"}), min_value=1
    )


class AgreementForm(NoSilentCutMixin, LockVersionMixin, TenantModelForm):
    services = forms.ModelMultipleChoiceField(
        label=_("Services"),
        queryset=Service.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Agreement
        fields = [
            "title",
            "reference",
            "kind",
            "customer",
            "customer_contact",
            "services",
            "provider_team",
            "provider_contact_name",
            "provider_contact_email",
            "scope_included",
            "scope_excluded",
            "provider_responsibilities",
            "customer_responsibilities",
            "default_calendar",
            "effective_from",
            "effective_to",
            "monthly_fee",
            "currency",
            "credit_percent",
            "credit_cap_percent",
            "escalation_consecutive_breaches",
            "escalation_plan_due_days",
            "escalation_counts_warnings",
            "maintenance_notice_hours",
            "report_day_of_month",
            "report_periods",
        ]
        widgets = {
            "effective_from": DATE,
            "effective_to": DATE,
            "scope_included": forms.Textarea(attrs={"rows": 3}),
            "scope_excluded": forms.Textarea(attrs={"rows": 3}),
            "provider_responsibilities": forms.Textarea(attrs={"rows": 3}),
            "customer_responsibilities": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, tenant, **kwargs):
        super().__init__(*args, tenant=tenant, **kwargs)
        fields = self.fields
        fields["customer"].queryset = fields["customer"].queryset.filter(archived=False)
        fields["customer_contact"].queryset = contacts_of(
            fields["customer_contact"].queryset, self._chosen_customer()
        )
        # The contact list follows the chosen customer (HTMX; without JavaScript the list
        # narrows after the first save, and clean() refuses another customer's contact).
        self.fields["customer"].widget.attrs.update(
            {
                "hx-get": reverse("agreements:contact-options", args=[tenant.slug]),
                "hx-target": f"#{self.auto_id % 'customer_contact'}" if self.auto_id else "",
                "hx-trigger": "change",
                "hx-swap": "innerHTML",
            }
        )
        fields["services"].queryset = fields["services"].queryset.filter(archived=False)
        fields["default_calendar"].queryset = fields["default_calendar"].queryset.filter(
            archived=False
        )
        if self.instance.pk:
            self.fields["services"].initial = list(
                self.instance.services.values_list("pk", flat=True)
            )
            self.fields["lock_version"].initial = self.instance.lock_version
        else:
            self.fields["lock_version"].required = False

    def _chosen_customer(self):
        value = self.data.get(self.add_prefix("customer")) if self.is_bound else None
        if value in (None, ""):
            return self.instance.customer_id or self.initial.get("customer")
        return value if str(value).isdigit() else None


def contacts_of(contacts, customer_id):
    """The contacts a new agreement may name, among `contacts` (the tenant's): the chosen
    customer's (all while none is chosen)."""
    contacts = contacts.filter(archived=False).select_related("customer")
    if customer_id:
        contacts = contacts.filter(customer_id=customer_id)
    return contacts


class PartForm(NoSilentCutMixin, LockVersionMixin, TenantModelForm):
    """A part of the agreement edited on its own: bound to the agreement and the tenant.

    `auto_id` is set per row by the view, so two open inline forms never share an id."""

    def __init__(self, *args, agreement, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.agreement = agreement
        self.fields["lock_version"].initial = agreement.lock_version


class TierForm(PartForm):
    class Meta:
        model = PriorityTier
        fields = list(TIER_FIELDS)
        widgets = {"description": forms.TextInput()}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        calendar = self.fields["calendar"]
        calendar.queryset = calendar.queryset.filter(archived=False)


class MetricForm(PartForm):
    tiers = forms.ModelMultipleChoiceField(
        label=_("Priority tiers"),
        queryset=PriorityTier.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = MetricDefinition
        # The editable list (agreements/editable.py), with the tiers after the values.
        fields = [*METRIC_FIELDS[:7], "tiers", *METRIC_FIELDS[7:]]
        widgets = {
            "data_source": forms.TextInput(),
            "ticket_categories": forms.TextInput(),
        }

    def __init__(self, *args, agreement, **kwargs):
        super().__init__(*args, agreement=agreement, **kwargs)
        units = [("", _("the kind's usual unit"))] + METRIC_UNITS
        if self.instance.unit and self.instance.unit not in dict(units):
            units.append((self.instance.unit, self.instance.unit))  # an older free-text unit
        self.fields["unit"] = forms.ChoiceField(
            label=self.fields["unit"].label, choices=units, required=False
        )
        # Only resolution-time metrics use it; other kinds may leave it out (the default).
        self.fields["clock_stop"].required = False
        kinds = self.fields["ticket_kinds"]
        self.fields["ticket_kinds"] = forms.MultipleChoiceField(
            label=kinds.label,
            help_text=kinds.help_text,
            choices=TicketKind.choices,
            required=False,
            widget=forms.CheckboxSelectMultiple,
        )
        tiers = self.fields["tiers"]
        tiers.queryset = tiers.queryset.filter(agreement=agreement)
        if self.instance.pk:
            self.fields["tiers"].initial = list(self.instance.tiers.values_list("pk", flat=True))

    def clean_clock_stop(self):
        return self.cleaned_data.get("clock_stop") or ClockStop.RESOLVED


class ExclusionForm(PartForm):
    class Meta:
        model = ExclusionRule
        fields = list(EXCLUSION_FIELDS)
        widgets = {"description": forms.TextInput()}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # An exclusion without a description excludes nothing a reader could name.
        self.fields["description"].required = True


class RecipientForm(PartForm):
    class Meta:
        model = ReportRecipient
        fields = list(RECIPIENT_FIELDS)
        help_texts = {"contact": _("A contact of the customer, or enter a name and email below.")}

    def __init__(self, *args, agreement, **kwargs):
        super().__init__(*args, agreement=agreement, **kwargs)
        contact = self.fields["contact"]
        contact.queryset = contact.queryset.filter(
            customer_id=agreement.customer_id, archived=False
        )


class ApprovalForm(forms.Form):
    side = forms.ChoiceField(label=_("side"), choices=Side.choices)
    name = forms.CharField(
        label=_("name of the approver"),
        max_length=200,
        required=False,
        help_text=_("Empty: your own name."),
    )
    comment = forms.CharField(
        label=_("comment"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class TerminateForm(forms.Form):
    reason = forms.CharField(label=_("reason"), widget=forms.Textarea(attrs={"rows": 2}))


class AgreementFilterForm(TenantForm):
    q = forms.CharField(
        label=_("Search"), required=False, widget=forms.TextInput(attrs={"type": "search"})
    )
    customer = forms.ModelChoiceField(
        label=_("Customer"), queryset=Customer.objects.none(), required=False, empty_label=_("Any")
    )
    service = forms.ModelChoiceField(
        label=_("Service"), queryset=Service.objects.none(), required=False, empty_label=_("Any")
    )
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("Any"))] + AgreementStatus.choices
    )
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", _("Any"))] + AgreementKind.choices
    )
    expiring = forms.TypedChoiceField(
        label=_("Expiring"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", _("Any time")), (30, _("within 30 days")), (90, _("within 90 days"))],
    )
