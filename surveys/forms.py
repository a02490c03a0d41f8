"""Forms: the public answer form (built from the questionnaire) and the managers' forms."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from agreements.choices import TicketKind, TierCode
from agreements.models import Agreement, Contact, Customer
from slaweb.tenancy.forms import TenantModelForm

from .choices import LIKERT_LABELS, LIKERT_POINTS, NPS_POINTS, Channel, QuestionKind
from .models import Campaign, Question, Questionnaire
from .services.questionnaires import EXTRA_DIMENSIONS

OPEN_MAX_LENGTH = 4000

# One editable field list per model, shared by pages and API.
QUESTIONNAIRE_FIELDS = ["name", "intro_en", "intro_zh"]
QUESTION_FIELDS = ["dimension", "code", "kind", "text_en", "text_zh", "is_overall", "required"]
CAMPAIGN_FIELDS = [
    "name",
    "scope",
    "agreement",
    "customer",
    "questionnaire",
    "trigger",
    "run_day",
    "answer_window_days",
    "reminder_after_days",
    "reminder_max",
    "low_score_threshold",
    "anonymous",
    "min_n",
    "fatigue_days",
    "ticket_kinds",
    "ticket_tiers",
    "sampling_percent",
    "active",
]


def question_field_name(question: Question) -> str:
    return f"q{question.pk}"


class AnswerForm(forms.Form):
    """One field per question; build inside translation.override(language)."""

    def __init__(self, *args, questions, language: str, anonymous: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.questions = list(questions)
        for question in self.questions:
            label = question.text(language)
            name = question_field_name(question)
            if question.kind == QuestionKind.LIKERT:
                self.fields[name] = forms.TypedChoiceField(
                    label=label,
                    choices=[(p, f"{p} {LIKERT_LABELS[p]}") for p in LIKERT_POINTS],
                    coerce=int,
                    widget=forms.RadioSelect,
                    required=question.required,
                )
            elif question.kind == QuestionKind.NPS:
                self.fields[name] = forms.TypedChoiceField(
                    label=label,
                    choices=[(p, str(p)) for p in NPS_POINTS],
                    coerce=int,
                    widget=forms.RadioSelect,
                    required=question.required,
                )
            else:
                self.fields[name] = forms.CharField(
                    label=label,
                    widget=forms.Textarea(attrs={"rows": 4}),
                    max_length=OPEN_MAX_LENGTH,
                    required=False,
                )
            self.fields[name].question = question
        if anonymous:
            self.fields["may_contact"] = forms.BooleanField(
                label=_("You may contact me about my answers."),
                help_text=_("Only if you tick this are your answers linked to your name."),
                required=False,
            )

    def values(self) -> dict[int, object]:
        return {
            field.question.pk: self.cleaned_data.get(name)
            for name, field in self.fields.items()
            if hasattr(field, "question")
        }

    def question_fields(self):
        return [self[name] for name, field in self.fields.items() if hasattr(field, "question")]


class EnteredAnswerForm(AnswerForm):
    """A manager enters answers given by phone or in an interview."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["channel"] = forms.ChoiceField(
            label=_("Channel"),
            choices=[
                (Channel.PHONE, Channel.PHONE.label),
                (Channel.INTERVIEW, Channel.INTERVIEW.label),
            ],
        )


class QuestionnaireForm(TenantModelForm):
    class Meta:
        model = Questionnaire
        fields = QUESTIONNAIRE_FIELDS
        widgets = {
            "intro_en": forms.Textarea(attrs={"rows": 2}),
            "intro_zh": forms.Textarea(attrs={"rows": 2}),
        }


class QuestionForm(TenantModelForm):
    class Meta:
        model = Question
        fields = QUESTION_FIELDS
        widgets = {
            "text_en": forms.Textarea(attrs={"rows": 2}),
            "text_zh": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, questionnaire: Questionnaire, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["dimension"].queryset = questionnaire.dimensions.all()
        self.instance.questionnaire = questionnaire


class AddDimensionForm(forms.Form):
    code = forms.ChoiceField(
        label=_("Dimension"),
        choices=[(code, f"{en} / {zh}") for code, (en, zh, _q, _z) in EXTRA_DIMENSIONS.items()],
    )


class CampaignForm(TenantModelForm):
    ticket_kinds = forms.MultipleChoiceField(
        label=_("Ticket kinds"),
        choices=TicketKind.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("After a ticket is resolved: the kinds that count (none ticked: all)."),
    )
    ticket_tiers = forms.MultipleChoiceField(
        label=_("Priority tiers"),
        choices=TierCode.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("After a ticket is resolved: the tiers that count (none ticked: all)."),
    )
    recipients = forms.ModelMultipleChoiceField(
        label=_("Recipients"),
        queryset=Contact.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Contacts of the customer; each is asked in their own language."),
    )

    class Meta:
        model = Campaign
        fields = CAMPAIGN_FIELDS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agreement"].queryset = Agreement.objects.select_related("customer").order_by(
            "reference", "-version"
        )
        self.fields["customer"].queryset = Customer.objects.filter(archived=False)
        self.fields["questionnaire"].queryset = Questionnaire.objects.filter(archived=False)
        self.fields["recipients"].queryset = (
            Contact.objects.filter(archived=False)
            .select_related("customer")
            .order_by("customer__name", "name")
        )
        if self.instance.pk:
            self.fields["recipients"].initial = [
                link.contact_id for link in self.instance.recipient_links.all()
            ]

    def clean(self):
        data = super().clean()
        agreement, customer = data.get("agreement"), data.get("customer")
        target = agreement.customer if agreement and data.get("scope") == "agreement" else customer
        strangers = [
            c for c in data.get("recipients") or [] if target and c.customer_id != target.pk
        ]
        if strangers:
            self.add_error(
                "recipients",
                _("Recipients must be contacts of the campaign's customer: %(names)s")
                % {"names": ", ".join(c.name for c in strangers)},
            )
        return data


class FollowUpCloseForm(forms.Form):
    contacted_at = forms.DateTimeField(
        label=_("Contact made"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    cause = forms.CharField(label=_("Cause found"), widget=forms.Textarea(attrs={"rows": 3}))
    action = forms.CharField(label=_("Action taken"), widget=forms.Textarea(attrs={"rows": 3}))
