"""Questionnaires: the default template from the seed, versions, editing."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Max

from ..choices import QuestionKind
from ..models import Campaign, Dimension, Question, Questionnaire

# (code, name_en, name_zh, [(code, kind, text_en, text_zh, is_overall)])
# Worded as seed 000's table 2 ("客户满意度调查问卷模板") words them.
DEFAULT_DIMENSIONS = [
    (
        "timeliness",
        "Timeliness",
        "服务时效性",
        [
            (
                "response_speed",
                QuestionKind.LIKERT,
                "How satisfied are you with the response speed of this service?",
                "您对本次服务的响应速度是否满意？",
                False,
            )
        ],
    ),
    (
        "professionalism",
        "Professionalism",
        "服务专业性",
        [
            (
                "understood_solved",
                QuestionKind.LIKERT,
                "Did our staff accurately understand and solve your problem?",
                "服务人员是否能准确理解并解决您的问题？",
                False,
            )
        ],
    ),
    (
        "attitude",
        "Attitude",
        "服务态度",
        [
            (
                "patient_friendly",
                QuestionKind.LIKERT,
                "Were our staff patient and friendly while communicating with you?",
                "服务人员在沟通过程中是否耐心、友好？",
                False,
            )
        ],
    ),
    (
        "overall",
        "Overall satisfaction",
        "整体满意度",
        [
            (
                "overall",
                QuestionKind.LIKERT,
                "Taking this service experience as a whole, how satisfied are you?",
                "综合本次服务体验，您的满意度是？",
                True,
            )
        ],
    ),
    (
        "suggestions",
        "Suggestions",
        "开放性建议",
        [
            (
                "improve",
                QuestionKind.OPEN,
                "Which parts of the service do you think need improving? Do you have any other needs?",
                "您认为哪些服务环节需要改进？或有哪些其他需求？",
                False,
            )
        ],
    ),
]

# Further dimensions a manager may add (seed 000: quality, efficiency, problem solving, value).
EXTRA_DIMENSIONS = {
    "quality": (
        "Service quality",
        "服务质量",
        "Did the result of the service meet your expectations?",
        "服务结果是否符合您的预期？",
    ),
    "efficiency": (
        "Efficiency",
        "服务效率",
        "Was your request completed within the agreed time?",
        "您的需求是否在约定时间内完成？",
    ),
    "problem_solving": (
        "Problem solving",
        "问题解决能力",
        "Could our staff answer your questions clearly?",
        "服务人员是否能清晰解答您的问题？",
    ),
    "value": (
        "Value",
        "服务价值",
        "Do you feel the service was worth what it cost?",
        "您认为本次服务是否物有所值？",
    ),
    "recommend": (
        "Recommendation",
        "推荐意愿",
        "How likely are you to recommend our service to a colleague or friend?",
        "您向同事或朋友推荐我们服务的可能性有多大？",
    ),
}


@transaction.atomic
def create_default_questionnaire(tenant, name: str = "") -> Questionnaire:
    """The seed's questionnaire, ready to use (call inside the tenant's context)."""
    questionnaire = Questionnaire.objects.create(
        tenant_id=getattr(tenant, "pk", tenant),
        name=name or "客户满意度调查 / Customer satisfaction",
        intro_en="Thank you for taking a minute to tell us how our service was.",
        intro_zh="感谢您抽出一分钟时间评价我们的服务。",
    )
    for order, (code, name_en, name_zh, questions) in enumerate(DEFAULT_DIMENSIONS):
        dimension = Dimension.objects.create(
            questionnaire=questionnaire, code=code, name_en=name_en, name_zh=name_zh, order=order
        )
        for q_code, kind, text_en, text_zh, overall in questions:
            Question.objects.create(
                questionnaire=questionnaire,
                dimension=dimension,
                code=q_code,
                kind=kind,
                text_en=text_en,
                text_zh=text_zh,
                is_overall=overall,
                required=kind != QuestionKind.OPEN,
                order=order,
            )
    return questionnaire


@transaction.atomic
def editable_version(questionnaire: Questionnaire) -> Questionnaire:
    """The questionnaire itself while unused; once used, a new version (copied) that
    the campaigns now use. Rounds and answers keep the version they were made with."""
    if not questionnaire.is_used:
        return questionnaire
    latest = (
        Questionnaire.objects.filter(family=questionnaire.family).aggregate(v=Max("version"))["v"]
        or questionnaire.version
    )
    copy = Questionnaire.objects.create(
        family=questionnaire.family,
        version=latest + 1,
        name=questionnaire.name,
        intro_en=questionnaire.intro_en,
        intro_zh=questionnaire.intro_zh,
    )
    dimension_map = {}
    for dimension in questionnaire.dimensions.all():
        old_pk = dimension.pk
        dimension.pk = dimension.id = None
        dimension.questionnaire = copy
        dimension.save()
        dimension_map[old_pk] = dimension
    for question in questionnaire.questions.all():
        question.pk = question.id = None
        question.questionnaire = copy
        question.dimension = dimension_map.get(question.dimension_id)
        question.save()
    Campaign.objects.filter(questionnaire=questionnaire).update(questionnaire=copy)
    questionnaire.archived = True
    questionnaire.save(update_fields=["archived"])
    return copy


def _next_order(questionnaire: Questionnaire) -> int:
    return (questionnaire.questions.aggregate(m=Max("order"))["m"] or 0) + 1


@transaction.atomic
def add_dimension(questionnaire: Questionnaire, code: str) -> Questionnaire:
    """Add one of the offered dimensions with its question; returns the version edited."""
    questionnaire = editable_version(questionnaire)
    name_en, name_zh, text_en, text_zh = EXTRA_DIMENSIONS[code]
    order = _next_order(questionnaire)
    dimension, _created = Dimension.objects.get_or_create(
        questionnaire=questionnaire,
        code=code,
        defaults={"name_en": name_en, "name_zh": name_zh, "order": order},
    )
    kind = QuestionKind.NPS if code == "recommend" else QuestionKind.LIKERT
    if not questionnaire.questions.filter(code=code).exists():
        Question.objects.create(
            questionnaire=questionnaire,
            dimension=dimension,
            code=code,
            kind=kind,
            text_en=text_en,
            text_zh=text_zh,
            required=False,
            order=order,
        )
    return questionnaire


@transaction.atomic
def save_question(questionnaire: Questionnaire, question: Question | None, data: dict) -> Question:
    """Create or change a question (on the editable version; `question` may be of the old one)."""
    edited = editable_version(questionnaire)
    if question is not None and edited.pk != questionnaire.pk:
        question = edited.questions.get(code=question.code)
    if question is None:
        question = Question(questionnaire=edited, order=_next_order(edited))
    for name, value in data.items():
        if name == "dimension" and value is not None and value.questionnaire_id != edited.pk:
            value = edited.dimensions.get(code=value.code)
        setattr(question, name, value)
    question.full_clean()
    question.save()
    return question


@transaction.atomic
def delete_question(questionnaire: Questionnaire, question: Question) -> Questionnaire:
    edited = editable_version(questionnaire)
    edited.questions.filter(code=question.code).delete()
    return edited
