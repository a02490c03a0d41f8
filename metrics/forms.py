"""Forms of the metrics pages: CSV upload and column mapping, improvement action edits."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .imports import REQUIRED
from .models import ImprovementAction
from .models.surfaces import IMPORT_KINDS
from .services.parsing import FIELDS


class UploadForm(forms.Form):
    kind = forms.ChoiceField(label=_("What the file holds"), choices=IMPORT_KINDS)
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_("UTF-8 or GBK (Excel), first line naming the columns; at most 20 MB."),
    )


class MappingForm(forms.Form):
    """One choice per field of the kind: which column of the file holds it."""

    store_valid = forms.BooleanField(
        label=_("Store the valid rows"),
        required=False,
        help_text=_("Without this, one rejected row and nothing is stored."),
    )

    def __init__(self, *args, kind: str, columns: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("", _("(not in the file)"))] + [(c, c) for c in columns]
        for name in FIELDS[kind]:
            self.fields[f"map_{name}"] = forms.ChoiceField(
                label=name, choices=choices, required=name in REQUIRED[kind]
            )
        self.order_fields([f"map_{n}" for n in FIELDS[kind]] + ["store_valid"])
        self.kind = kind

    @classmethod
    def initial_for(cls, mapping: dict) -> dict:
        return {f"map_{field}": column for field, column in mapping.items()}

    def clean(self):
        data = super().clean()
        chosen = [v for k, v in data.items() if k.startswith("map_") and v]
        if len(chosen) != len(set(chosen)):
            raise forms.ValidationError(_("A column can feed only one field."))
        return data

    def mapping(self) -> dict:
        return {
            k.removeprefix("map_"): v
            for k, v in self.cleaned_data.items()
            if k.startswith("map_") and v
        }


class ImprovementActionForm(forms.ModelForm):
    class Meta:
        model = ImprovementAction
        fields = ["status", "owner", "due_date", "notes", "verification"]
        widgets = {
            "due_date": forms.DateInput(attrs={"type": "date"}),
            "notes": forms.Textarea(attrs={"rows": 4}),
            "verification": forms.Textarea(attrs={"rows": 4}),
        }

    def clean(self):
        data = super().clean()
        if data.get("status") == "verified" and not (data.get("verification") or "").strip():
            self.add_error(
                "verification", _("Say how the effect was verified before marking it verified.")
            )
        return data
