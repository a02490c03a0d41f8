"""Managers' survey pages under /t/<slug>/surveys/ (the public answer page: views_public.py)."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.generic import DetailView, ListView

from agreements.models import Agreement
from slaweb.tenancy.pages import TenantPageMixin
from slaweb.tenancy.views import tenant_url

from . import results, selectors, services
from .choices import FollowUpStatus, InvitationStatus
from .filtersets import CampaignFilterSet, FollowUpFilterSet
from .forms import (
    AddDimensionForm,
    CampaignForm,
    EnteredAnswerForm,
    FollowUpCloseForm,
    QuestionForm,
    QuestionnaireForm,
)
from .models import Campaign, FollowUp, Invitation, Question, Questionnaire, Round

PAGE_SIZE = 25


def _language() -> str:
    return "zh-hans" if translation.get_language().startswith("zh") else "en"


# -- questionnaires ---------------------------------------------------------------------


class QuestionnaireListView(TenantPageMixin, ListView):
    model = Questionnaire
    template_name = "surveys/questionnaire_list.html"
    paginate_by = PAGE_SIZE

    def scope_queryset(self, queryset):
        return selectors.questionnaires(queryset)

    def post(self, request):
        """Create the seed's default questionnaire."""
        questionnaire = services.create_default_questionnaire(request.tenant)
        messages.success(request, _("The default questionnaire was created."))
        return redirect(tenant_url(request, "surveys:questionnaire-detail", questionnaire.pk))


class QuestionnaireDetailView(TenantPageMixin, DetailView):
    model = Questionnaire
    template_name = "surveys/questionnaire_detail.html"

    def scope_queryset(self, queryset):
        return queryset.prefetch_related("dimensions", "questions__dimension")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        q = self.object
        context.update(
            is_used=q.is_used,
            language=_language(),
            questions=list(q.questions.all()),
            form=kwargs.get("form") or QuestionnaireForm(instance=q),
            question_form=kwargs.get("question_form") or QuestionForm(questionnaire=q),
            dimension_form=AddDimensionForm(),
            versions=Questionnaire.objects.filter(family=q.family).order_by("-version"),
        )
        return context

    def post(self, request, pk):
        self.object = questionnaire = self.get_object()
        action = request.POST.get("action")
        if action == "add_dimension":
            form = AddDimensionForm(request.POST)
            if form.is_valid():
                edited = services.add_dimension(questionnaire, form.cleaned_data["code"])
                return self._saved(edited, questionnaire)
        elif action == "add_question":
            form = QuestionForm(request.POST, questionnaire=questionnaire)
            if form.is_valid():
                data = {name: form.cleaned_data[name] for name in form.Meta.fields}
                try:
                    question = services.save_question(questionnaire, None, data)
                except ValidationError as error:
                    form.add_error(None, error)
                else:
                    return self._saved(question.questionnaire, questionnaire)
            return self.render_to_response(self.get_context_data(question_form=form), status=400)
        elif action == "edit":
            form = QuestionnaireForm(request.POST, instance=questionnaire)
            if form.is_valid():
                edited = services.editable_version(questionnaire)
                for name in form.Meta.fields:
                    setattr(edited, name, form.cleaned_data[name])
                edited.save()
                return self._saved(edited, questionnaire)
            return self.render_to_response(self.get_context_data(form=form), status=400)
        return redirect(tenant_url(request, "surveys:questionnaire-detail", questionnaire.pk))

    def _saved(self, edited, original):
        if edited.pk != original.pk:
            messages.info(
                self.request,
                _("The questionnaire was in use: your change made version %(v)s.")
                % {"v": edited.version},
            )
        else:
            messages.success(self.request, _("Saved."))
        return redirect(tenant_url(self.request, "surveys:questionnaire-detail", edited.pk))


class QuestionEditView(TenantPageMixin, DetailView):
    model = Question
    template_name = "surveys/question_form.html"

    def scope_queryset(self, queryset):
        return queryset.select_related("questionnaire", "dimension")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["form"] = kwargs.get("form") or QuestionForm(
            instance=self.object, questionnaire=self.object.questionnaire
        )
        context["is_used"] = self.object.questionnaire.is_used
        return context

    def post(self, request, pk):
        self.object = question = self.get_object()
        questionnaire = question.questionnaire
        if request.POST.get("action") == "delete":
            edited = services.delete_question(questionnaire, question)
            messages.success(request, _("The question was removed."))
            return redirect(tenant_url(request, "surveys:questionnaire-detail", edited.pk))
        form = QuestionForm(request.POST, instance=question, questionnaire=questionnaire)
        if form.is_valid():
            data = {name: form.cleaned_data[name] for name in form.Meta.fields}
            original = Question.objects.get(pk=question.pk)  # the form mutated its instance
            try:
                saved = services.save_question(questionnaire, original, data)
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, _("Saved."))
                return redirect(
                    tenant_url(request, "surveys:questionnaire-detail", saved.questionnaire_id)
                )
        return self.render_to_response(self.get_context_data(form=form), status=400)


# -- campaigns ------------------------------------------------------------------------------


class CampaignListView(TenantPageMixin, ListView):
    model = Campaign
    template_name = "surveys/campaign_list.html"
    paginate_by = PAGE_SIZE

    def scope_queryset(self, queryset):
        self.filterset = CampaignFilterSet(
            self.request.GET or None, queryset=queryset, request=self.request
        )
        return selectors.campaigns(self.filterset.qs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["filter"] = self.filterset
        context["filtered"] = any(v for k, v in self.request.GET.items() if k != "page")
        return context


class CampaignEditView(TenantPageMixin, DetailView):
    """Create (no pk) or edit a campaign with its recipients."""

    model = Campaign
    template_name = "surveys/campaign_form.html"

    def get(self, request, pk=None):
        self.object = self.get_object() if pk else None
        form = CampaignForm(instance=self.object or Campaign(), initial=self._initial())
        return render(request, self.template_name, self._context(form))

    def _initial(self):
        agreement_id = self.request.GET.get("agreement")
        if self.object is None and agreement_id and agreement_id.isdigit():
            return {"agreement": agreement_id, "scope": "agreement"}
        return {}

    def _context(self, form):
        return {"form": form, "object": self.object, "can_write": True}

    def post(self, request, pk=None):
        self.object = self.get_object() if pk else None
        form = CampaignForm(request.POST, instance=self.object or Campaign())
        if form.is_valid():
            campaign = form.save(commit=False)
            try:
                services.save_campaign(campaign, recipients=form.cleaned_data["recipients"])
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, _("The campaign was saved."))
                return redirect(tenant_url(request, "surveys:campaign-detail", campaign.pk))
        return render(request, self.template_name, self._context(form), status=400)


class CampaignDetailView(TenantPageMixin, DetailView):
    model = Campaign
    template_name = "surveys/campaign_detail.html"

    def scope_queryset(self, queryset):
        return queryset.select_related("agreement", "customer", "questionnaire")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        campaign = self.object
        context.update(
            recipients=[
                link.contact
                for link in campaign.recipient_links.select_related("contact").order_by(
                    "contact__name"
                )
            ],
            rounds=selectors.rounds(Round.objects.filter(campaign=campaign)).order_by(
                "-period_start"
            )[:24],
        )
        return context

    def post(self, request, pk):
        """Run now: make the campaign due and let the dispatcher claim it."""
        campaign = self.get_object()
        now = timezone.now()
        Campaign.objects.filter(pk=campaign.pk).update(next_run_at=now, active=True)
        created = services.claim_and_run_due(now)
        if created:
            messages.success(request, _("A round was created and the invitations are queued."))
        else:
            messages.info(request, _("This period already has a round; nothing was sent again."))
        return redirect(tenant_url(request, "surveys:campaign-detail", campaign.pk))


class RoundDetailView(TenantPageMixin, DetailView):
    model = Round
    template_name = "surveys/round_detail.html"

    def scope_queryset(self, queryset):
        return queryset.select_related("campaign__agreement", "campaign__customer", "questionnaire")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        round_ = self.object
        rows = selectors.invitations(Invitation.objects.filter(round=round_))
        context.update(
            invitations=[i for i in rows if i.status != InvitationStatus.SKIPPED],
            skipped=[i for i in rows if i.status == InvitationStatus.SKIPPED],
            results=results.for_round(round_),
            language=_language(),
            now=timezone.now(),
        )
        return context


class EnterAnswerView(TenantPageMixin, DetailView):
    """A manager enters answers given by phone or in an interview, for an invitation."""

    model = Invitation
    template_name = "surveys/enter_answer.html"

    def scope_queryset(self, queryset):
        return queryset.select_related("round__questionnaire", "round__campaign", "contact")

    def _form(self, data=None):
        invitation = self.object
        return EnteredAnswerForm(
            data,
            questions=invitation.round.questionnaire.questions.select_related("dimension"),
            language=_language(),
            anonymous=invitation.round.campaign.anonymous,
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["form"] = kwargs.get("form") or self._form()
        context["answerable"] = self.object.status in (
            InvitationStatus.QUEUED,
            InvitationStatus.BOUNCED,
        )
        return context

    def post(self, request, pk):
        self.object = invitation = self.get_object()
        form = self._form(request.POST)
        if form.is_valid():
            try:
                services.submit_response(
                    invitation,
                    form.values(),
                    may_contact=form.cleaned_data.get("may_contact", False),
                    channel=form.cleaned_data["channel"],
                    language=invitation.language,
                    entered_by=request.user,
                )
            except services.AlreadyAnswered:
                messages.error(request, _("This invitation has already been answered."))
            else:
                messages.success(request, _("The answers were stored."))
            return redirect(tenant_url(request, "surveys:round-detail", invitation.round_id))
        return self.render_to_response(self.get_context_data(form=form), status=400)


# -- results ----------------------------------------------------------------------------------


def _period(request):
    def parse(name):
        try:
            return dt.date.fromisoformat(request.GET.get(name, ""))
        except ValueError:
            return None

    return parse("from"), parse("to")


class CampaignResultsView(TenantPageMixin, DetailView):
    model = Campaign
    template_name = "surveys/results.html"

    def get(self, request, pk):
        self.object = campaign = self.get_object()
        start, end = _period(request)
        figures = results.for_campaign(campaign, start, end)
        if request.GET.get("format") == "csv":
            return _csv(figures, f"campaign-{campaign.pk}", campaign.name)
        return render(
            request,
            self.template_name,
            {
                "title": campaign.name,
                "campaign": campaign,
                "r": figures,
                "trend": results.trend(campaign),
                "start": start,
                "end": end,
                "language": _language(),
            },
        )


class AgreementResultsView(TenantPageMixin, DetailView):
    """Satisfaction of an agreement (all its campaigns) in a period: the compliance view."""

    model = Agreement
    template_name = "surveys/results.html"

    def get(self, request, pk):
        self.object = agreement = self.get_object()
        start, end = _period(request)
        today = timezone.localdate()
        start = start or today.replace(month=1, day=1)
        end = end or today
        figures = results.for_agreement(agreement, start, end)
        if request.GET.get("format") == "csv":
            return _csv(figures, f"agreement-{agreement.reference}", agreement.title)
        return render(
            request,
            self.template_name,
            {
                "title": f"{agreement.reference} {agreement.title}",
                "agreement": agreement,
                "r": figures,
                "start": start,
                "end": end,
                "language": _language(),
            },
        )


def _csv(figures, name: str, title: str) -> HttpResponse:
    response = HttpResponse(
        "\ufeff" + results.to_csv(figures, title), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    return response


# -- follow-ups ---------------------------------------------------------------------------------


class FollowUpListView(TenantPageMixin, ListView):
    model = FollowUp
    template_name = "surveys/followup_list.html"
    paginate_by = PAGE_SIZE

    def scope_queryset(self, queryset):
        data = self.request.GET.copy()
        if "status" not in data:
            data["status"] = FollowUpStatus.OPEN
        self.filterset = FollowUpFilterSet(data, queryset=queryset, request=self.request)
        return selectors.follow_ups(self.filterset.qs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["filter"] = self.filterset
        context["now"] = timezone.now()
        return context


class FollowUpDetailView(TenantPageMixin, DetailView):
    model = FollowUp
    template_name = "surveys/followup_detail.html"

    def scope_queryset(self, queryset):
        return selectors.follow_ups(queryset)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["form"] = kwargs.get("form") or FollowUpCloseForm()
        context["answers"] = self.object.response.answers.select_related("question").order_by(
            "question__order"
        )
        context["language"] = _language()
        return context

    def post(self, request, pk):
        self.object = follow_up = self.get_object()
        form = FollowUpCloseForm(request.POST)
        if form.is_valid():
            try:
                services.close_follow_up(follow_up, user=request.user, **form.cleaned_data)
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, _("The follow-up was closed."))
                return redirect(tenant_url(request, "surveys:followup-list"))
        return self.render_to_response(self.get_context_data(form=form), status=400)
