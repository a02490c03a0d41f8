"""The public answer page /s/<token>/ (no login). The tenant comes from the link's digest
(SurveyLink); everything else is read inside that tenant's scope under RLS.

Opening never consumes the link; submitting does (services.submit_response). Unknown,
expired and used links get the same calm page with the same status, revealing nothing.
"""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.shortcuts import redirect, render
from django.template.loader import get_template
from django.urls import reverse
from django.utils import translation
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from slaweb.ratelimit import rate_limit
from slaweb.tenancy.context import tenant_context, tenant_scope
from slaweb.tenancy.models import Tenant

from . import services
from .choices import QuestionKind
from .forms import AnswerForm
from .selectors import answering_questionnaire
from .services.dispatch import period_label, subject_of

LANGUAGES = ("zh-hans", "en")


def answer_rate() -> str:
    """Per client address, opening and submitting together (settings.SURVEY_ANSWER_RATE)."""
    return getattr(settings, "SURVEY_ANSWER_RATE", "30/m")


def _language(request, default: str) -> str:
    wanted = request.GET.get("lang", "")
    return wanted if wanted in LANGUAGES else (default if default in LANGUAGES else "zh-hans")


def _calm(request, language: str):
    with translation.override(language):
        other = "en" if language == "zh-hans" else "zh-hans"
        return render(
            request,
            "surveys/public/calm.html",
            {"language": language, "languages": [language, other]},
            status=404,
        )


@require_http_methods(["GET", "POST"])
@rate_limit(key="ip", rate=answer_rate, scope="survey")
def answer(request, token: str):
    found = services.find_link(token)
    fallback = _language(request, request.LANGUAGE_CODE or "zh-hans")
    if found is None:
        return _calm(request, fallback)
    # The request already runs in one transaction (TenantMiddleware): hold the tenant's
    # scope in it without a savepoint.
    with tenant_scope(found.tenant_id), transaction.atomic(savepoint=False):
        try:
            invitation = services.find_invitation(found.invitation_id)
        except services.LinkInvalid:
            return _calm(request, fallback)
        language = _language(request, invitation.language)
        with translation.override(language):
            return _answer_page(request, token, invitation, language)


def _answer_page(request, token, invitation, language):
    round_ = invitation.round
    campaign = round_.campaign
    compiled = answering_questionnaire(invitation.tenant_id, round_.questionnaire_id)
    form = None
    if request.method == "POST":
        form = _form(request.POST, compiled, language, campaign.anonymous)
        if form.is_valid():
            try:
                services.submit_response(
                    invitation,
                    form.values(),
                    may_contact=form.cleaned_data.get("may_contact", False),
                    language=language,
                )
            except services.AlreadyAnswered:
                return _calm(request, language)
            return redirect(f"{reverse('survey-thanks')}?lang={language}")
        questions_html = _render_questions(form, language)
    else:
        questions_html = _blank_questions(compiled, language, campaign.anonymous)
    return render(
        request,
        "surveys/public/answer.html",
        {
            "form": form,
            "language": language,
            "other_language": "en" if language == "zh-hans" else "zh-hans",
            "token": token,
            "asker": invitation.tenant.name,
            "about": subject_of(campaign, language),
            "period": period_label(round_, language),
            "closes_at": round_.closes_at,
            "intro": compiled.questionnaire.intro(language),
            "anonymous": campaign.anonymous,
            "contact_name": invitation.contact.name,
            "questions_html": questions_html,
        },
        status=400 if form is not None else 200,
    )


def _form(data, compiled, language, anonymous):
    return AnswerForm(data, questions=compiled.questions, language=language, anonymous=anonymous)


def _blank_questions(compiled, language, anonymous):
    """The questions' markup for a first opening (no values, no errors): the same for
    every link of a version, language and anonymity, so rendered once per process."""
    key = (language, anonymous)
    html = compiled.blank_html.get(key)
    if html is None:
        html = _render_questions(_form(None, compiled, language, anonymous), language)
        compiled.blank_html[key] = html
    return html


def _render_questions(form, language):
    return get_template("surveys/public/_questions.html").render(
        {"form": form, "sections": _sections(form, language)}
    )


def _sections(form, language):
    """The form's question fields grouped under their dimension, in order, as plain
    values: iterating bound radio fields (a widget context per point) and resolving
    bound-field properties in the template were most of the page's rendering."""
    sections = []
    for bound in form.question_fields():
        question = bound.field.question
        title = question.dimension.name(language) if question.dimension else ""
        if not sections or sections[-1]["title"] != title:
            sections.append({"title": title, "fields": []})
        value, field_id = bound.value(), bound.auto_id
        item = {
            "kind": question.kind,
            "name": bound.html_name,
            "id": field_id,
            "label": bound.label,
            "required": bound.field.required,
            "errors": bound.errors,
            "value": value,
        }
        if question.kind != QuestionKind.OPEN:
            chosen = "" if value is None else str(value)
            item["points"] = [
                (point, label, f"{field_id}_{n}", str(point) == chosen)
                for n, (point, label) in enumerate(bound.field.choices)
            ]
        sections[-1]["fields"].append(item)
    return sections


def thanks(request):
    language = _language(request, request.LANGUAGE_CODE or "zh-hans")
    with translation.override(language):
        return render(request, "surveys/public/thanks.html", {"language": language})


@csrf_exempt  # RFC 8058: the one-click POST comes from the mail client, without cookies
@require_http_methods(["GET", "POST"])
@rate_limit(key="ip", rate=answer_rate, scope="survey-unsubscribe")
def unsubscribe(request, token: str):
    """GET shows a confirmation (mail scanners open links); POST opts out, by token alone."""
    found = services.find_link(token)
    language = _language(request, request.LANGUAGE_CODE or "zh-hans")
    if found is None:
        return _calm(request, language)
    with tenant_context(found.tenant_id):
        invitation = services.invitation_for_link(found.invitation_id)
        if invitation is None:
            return _calm(request, language)
        language = _language(request, invitation.language)
        done = False
        if request.method == "POST":
            services.opt_out(invitation)
            done = True
        tenant = Tenant.objects.get(pk=invitation.tenant_id)
        with translation.override(language):
            return render(
                request,
                "surveys/public/unsubscribe.html",
                {"done": done, "asker": tenant.name, "token": token, "language": language},
            )
