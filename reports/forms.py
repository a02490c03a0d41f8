"""Report forms: publish a period's report, and publish it again with a reason."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy

from .services.publishing import REASON_MAX

SEND_LABEL = gettext_lazy("Email it to the report's recipients")
SEND_HELP = gettext_lazy("With the PDF attached, as the monthly dispatch does.")


class PublishForm(forms.Form):
    """The first publication: the button, and whether the recipients get it now."""

    send = forms.BooleanField(label=SEND_LABEL, help_text=SEND_HELP, required=False, initial=True)


class RepublishForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason for the new revision"),
        max_length=REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy(
            "Say what changed, e.g. which data was corrected. The earlier revision stays as it was."
        ),
        error_messages={"required": gettext_lazy("Say why the report is published again.")},
    )
    send = forms.BooleanField(label=SEND_LABEL, help_text=SEND_HELP, required=False, initial=True)
