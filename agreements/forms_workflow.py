"""Forms of the review workflow: recording an approval, sending back, the public link page."""

from __future__ import annotations

from django import forms
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from slaweb.tenancy.forms import TenantForm

from .choices import Side
from .models import Agreement, Contact


class RecordApprovalForm(TenantForm):
    """One side's approval, recorded by a member. The customer side names the contact who
    approved and the evidence (the member records it on the contact's behalf)."""

    side = forms.ChoiceField(label=_("Side"), choices=Side.choices)
    on_behalf_of = forms.ModelChoiceField(
        label=_("Customer contact who approved"),
        queryset=Contact.objects.none(),
        required=False,
        help_text=_("Customer side only: you record the approval on this contact's behalf."),
    )
    evidence = forms.CharField(
        label=_("Evidence"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_(
            "Customer side only: e.g. the signed copy or the email in which they approved."
        ),
    )
    comment = forms.CharField(
        label=_("Comment"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, agreement: Agreement, missing: list[str], **kwargs):
        super().__init__(*args, tenant=agreement.tenant_id, **kwargs)
        self.fields["side"].choices = [(v, capfirst(t)) for v, t in Side.choices if v in missing]
        self.fields["on_behalf_of"].queryset = Contact.objects.filter(
            customer_id=agreement.customer_id, archived=False
        ).order_by("name")
        self.fields["on_behalf_of"].initial = agreement.customer_contact_id

    def clean(self):
        data = super().clean()
        if data.get("side") == Side.CUSTOMER:
            if not data.get("on_behalf_of"):
                self.add_error("on_behalf_of", _("Choose the customer's contact who approved."))
            if not (data.get("evidence") or "").strip():
                self.add_error("evidence", _("Note the evidence of the contact's approval."))
        return data


class SendBackForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Shown on the draft, so whoever revises it knows what to change."),
    )


class LinkApproveForm(forms.Form):
    comment = forms.CharField(
        label=_("Comment (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class LinkDeclineForm(forms.Form):
    reason = forms.CharField(
        label=_("What should change?"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
