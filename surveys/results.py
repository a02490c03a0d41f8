"""Survey results, computed in the database (aggregates), for a round, a campaign, or an
agreement and period: counts, response rates, mean, distribution, CSAT, NPS, n beside
every figure, figures withheld below the minimum n in anonymous campaigns, open answers
with their most frequent terms, and the trend over periods.

"Overall satisfaction" is the mean of the overall question where the questionnaire has
one, otherwise the mean of all rating answers; `overall_basis` says which.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Avg, Count, Max, Min, Q, QuerySet

from .choices import Channel, InvitationStatus, QuestionKind
from .models import Answer, Campaign, Invitation, Question, Response, Round

TOP_TERMS = 10
OPEN_ANSWERS_SHOWN = 50

STOP_WORDS = {
    # English
    *"""a an and are as at be but by can could do does for from has have i if in is it its
    me more my no not of on or our so than that the their them there this to too us was we
    were what when which who will with would you your very also just please service""".split(),
    # Chinese (common function words; jieba splits the rest)
    *"""的 了 和 是 在 我 我们 你 你们 他 她 它 有 也 就 都 而 及 与 或 一个 没有 不 很 还 更 希望
    可以 能 会 对 把 被 让 给 但 但是 如果 因为 所以 这 那 这个 那个 这些 那些 吧 吗 呢 啊 一些 一下
    服务 需要 问题 比较 非常""".split(),
}
_WORD = re.compile(r"[A-Za-z][A-Za-z'-]+|\d+")
_CJK = re.compile(r"[\u4e00-\u9fff]")


def _round2(value) -> Decimal | None:
    if value is None:
        return None
    return Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _share(part: int, whole: int) -> Decimal | None:
    return _round2(100 * part / whole) if whole else None


@dataclass
class Figure:
    """One figure with its n; `withheld` when n is below the minimum (anonymous)."""

    value: Decimal | None
    n: int
    withheld: bool = False


@dataclass
class QuestionResult:
    code: str
    text_en: str
    text_zh: str
    kind: str
    dimension_code: str
    dimension_en: str
    dimension_zh: str
    n: int
    mean: Figure
    distribution: list[int]  # 1-5 (ratings) or 0-10 (NPS)
    csat: Figure | None = None  # share of 4-5, ratings only
    nps: Figure | None = None  # promoters - detractors, NPS only


@dataclass
class Results:
    invited: int
    delivered: int
    answered: int
    rate_invited: Decimal | None
    rate_delivered: Decimal | None
    overall: Figure
    overall_basis: str  # "overall_question" or "all_ratings"
    questions: list[QuestionResult]
    dimensions: list[dict]
    open_answers: list[str] = field(default_factory=list)
    open_count: int = 0
    top_terms: list[tuple[str, int]] = field(default_factory=list)
    anonymous: bool = False
    min_n: int = 0
    channels: dict[str, int] = field(default_factory=dict)


def _figure(value, n: int, anonymous: bool, min_n: int) -> Figure:
    if anonymous and n < min_n:
        return Figure(None, n, withheld=True)
    return Figure(_round2(value), n)


def compute(
    invitations: QuerySet[Invitation], responses: QuerySet[Response], *, anonymous: bool, min_n: int
) -> Results:
    """Results of the given invitations and responses (already narrowed to a scope)."""
    counts = invitations.aggregate(
        invited=Count("pk", filter=~Q(status=InvitationStatus.SKIPPED)),
        delivered=Count(
            "pk", filter=Q(status__in=[InvitationStatus.QUEUED, InvitationStatus.ANSWERED])
        ),
        answered=Count("pk", filter=Q(status=InvitationStatus.ANSWERED)),
    )
    # Answers entered by a manager for an invitation also count as answered (the claim sets it).
    answered = counts["answered"]
    answers = Answer.objects.filter(response__in=responses)
    ratings = answers.filter(question__kind=QuestionKind.LIKERT, score__isnull=False)
    questions = _question_results(answers, anonymous, min_n)
    has_overall = ratings.filter(question__is_overall=True).exists()
    basis = "overall_question" if has_overall else "all_ratings"
    overall_set = ratings.filter(question__is_overall=True) if has_overall else ratings
    overall = overall_set.aggregate(mean=Avg("score"), n=Count("score"))
    open_rows = answers.filter(question__kind=QuestionKind.OPEN).exclude(text="")
    open_count = open_rows.count()
    texts = list(open_rows.order_by("-response_id").values_list("text", flat=True)[:500])
    withhold_open = anonymous and open_count < min_n
    by_channel = responses.values("channel").annotate(n=Count("pk")).values_list("channel", "n")
    channels = {Channel(code).label: n for code, n in by_channel}
    return Results(
        invited=counts["invited"],
        delivered=counts["delivered"],
        answered=answered,
        rate_invited=_share(answered, counts["invited"]),
        rate_delivered=_share(answered, counts["delivered"]),
        overall=_figure(overall["mean"], overall["n"], anonymous, min_n),
        overall_basis=basis,
        questions=questions,
        dimensions=_dimension_results(ratings, anonymous, min_n),
        open_answers=[] if withhold_open else texts[:OPEN_ANSWERS_SHOWN],
        open_count=open_count,
        top_terms=[] if withhold_open else top_terms(texts),
        anonymous=anonymous,
        min_n=min_n,
        channels=channels,
    )


def _question_results(answers, anonymous: bool, min_n: int) -> list[QuestionResult]:
    scored = answers.filter(
        score__isnull=False, question__kind__in=[QuestionKind.LIKERT, QuestionKind.NPS]
    )
    rows = (
        scored.values("question__code", "question__kind")
        .annotate(
            n=Count("score"),
            mean=Avg("score"),
            order=Min("question__order"),
            latest=Max("question_id"),
            **{f"p{k}": Count("pk", filter=Q(score=k)) for k in range(11)},
            top=Count("pk", filter=Q(score__gte=4)),
            promoters=Count("pk", filter=Q(score__gte=9)),
            detractors=Count("pk", filter=Q(score__lte=6)),
        )
        .order_by("order", "question__code")
    )
    rows = list(rows)
    texts = {
        q.pk: q
        for q in Question.objects.filter(pk__in=[r["latest"] for r in rows]).select_related(
            "dimension"
        )
    }
    results = []
    for row in rows:
        q = texts[row["latest"]]
        n = row["n"]
        is_nps = row["question__kind"] == QuestionKind.NPS
        points = range(11) if is_nps else range(1, 6)
        hidden = anonymous and n < min_n
        results.append(
            QuestionResult(
                code=row["question__code"],
                text_en=q.text_en,
                text_zh=q.text_zh,
                kind=row["question__kind"],
                dimension_code=q.dimension.code if q.dimension else "",
                dimension_en=q.dimension.name_en if q.dimension else "",
                dimension_zh=q.dimension.name_zh if q.dimension else "",
                n=n,
                mean=_figure(row["mean"], n, anonymous, min_n),
                distribution=[] if hidden else [row[f"p{k}"] for k in points],
                csat=None
                if is_nps
                else _figure(100 * row["top"] / n if n else None, n, anonymous, min_n),
                nps=_figure(
                    100 * (row["promoters"] - row["detractors"]) / n if n else None,
                    n,
                    anonymous,
                    min_n,
                )
                if is_nps
                else None,
            )
        )
    return results


def _dimension_results(ratings, anonymous: bool, min_n: int) -> list[dict]:
    rows = (
        ratings.exclude(question__dimension=None)
        .values("question__dimension__code")
        .annotate(
            n=Count("score"),
            mean=Avg("score"),
            order=Min("question__dimension__order"),
            name_en=Max("question__dimension__name_en"),
            name_zh=Max("question__dimension__name_zh"),
            top=Count("pk", filter=Q(score__gte=4)),
        )
        .order_by("order")
    )
    return [
        {
            "code": row["question__dimension__code"],
            "name_en": row["name_en"],
            "name_zh": row["name_zh"],
            "n": row["n"],
            "mean": _figure(row["mean"], row["n"], anonymous, min_n),
            "csat": _figure(
                100 * row["top"] / row["n"] if row["n"] else None, row["n"], anonymous, min_n
            ),
        }
        for row in rows
    ]


def top_terms(texts: list[str], limit: int = TOP_TERMS) -> list[tuple[str, int]]:
    """Most frequent terms of the open answers; Chinese segmented with jieba.

    A term counts once per answer (ten "slow" in one answer are one voice)."""
    counter: Counter[str] = Counter()
    for text in texts:
        counter.update(set(_terms(text)))
    return [(term, n) for term, n in counter.most_common(limit * 3) if n > 0][:limit]


def _terms(text: str):
    lowered = text.lower()
    for word in _WORD.findall(lowered):
        if word not in STOP_WORDS and len(word) > 2 and not word.isdigit():
            yield word
    if _CJK.search(text):
        import jieba

        jieba.setLogLevel(60)  # no "Building prefix dict" chatter in the logs
        for word in jieba.cut(text):
            word = word.strip()
            if len(word) >= 2 and _CJK.search(word) and word not in STOP_WORDS:
                yield word


# -- scopes -----------------------------------------------------------------------------


def for_round(round_: Round) -> Results:
    campaign = round_.campaign
    return compute(
        Invitation.objects.filter(round=round_),
        Response.objects.filter(round=round_),
        anonymous=campaign.anonymous,
        min_n=campaign.min_n,
    )


def for_campaign(campaign: Campaign, start: date | None = None, end: date | None = None):
    rounds = Round.objects.filter(campaign=campaign)
    rounds = _in_period(rounds, start, end)
    return compute(
        Invitation.objects.filter(round__in=rounds),
        Response.objects.filter(round__in=rounds),
        anonymous=campaign.anonymous,
        min_n=campaign.min_n,
    )


def for_agreement(agreement, start: date, end: date) -> Results:
    """All campaigns of the agreement (its versions too: same family), rounds within the period."""
    campaigns = Campaign.objects.filter(agreement__family=agreement.family)
    rounds = _in_period(Round.objects.filter(campaign__in=campaigns), start, end)
    flags = campaigns.aggregate(anonymous=Count("pk", filter=Q(anonymous=True)), min_n=Max("min_n"))
    return compute(
        Invitation.objects.filter(round__in=rounds),
        Response.objects.filter(round__in=rounds),
        anonymous=bool(flags["anonymous"]),
        min_n=flags["min_n"] or 0,
    )


def _in_period(rounds, start, end):
    if start:
        rounds = rounds.filter(period_start__gte=start)
    if end:
        rounds = rounds.filter(period_end__lte=end)
    return rounds


def trend(campaign: Campaign) -> list[dict]:
    """Per round (period): overall satisfaction with its n and the response rate, oldest first."""
    has_overall = Answer.objects.filter(
        response__round__campaign=campaign, question__is_overall=True, score__isnull=False
    ).exists()
    ratings = Q(
        responses__answers__question__kind=QuestionKind.LIKERT,
        responses__answers__score__isnull=False,
    )
    if has_overall:
        ratings &= Q(responses__answers__question__is_overall=True)
    rows = (
        Round.objects.filter(campaign=campaign)
        .annotate(
            mean=Avg("responses__answers__score", filter=ratings),
            n=Count("responses__answers", filter=ratings),
        )
        .order_by("period_start")
        .values("pk", "period_start", "period_end", "mean", "n")
    )
    counts = {
        row["round"]: row
        for row in Invitation.objects.filter(round__campaign=campaign)
        .values("round")
        .annotate(
            invited=Count("pk", filter=~Q(status=InvitationStatus.SKIPPED)),
            answered=Count("pk", filter=Q(status=InvitationStatus.ANSWERED)),
        )
    }
    result = []
    for row in rows:
        c = counts.get(row["pk"], {"invited": 0, "answered": 0})
        result.append(
            {
                **row,
                "overall": _figure(row["mean"], row["n"], campaign.anonymous, campaign.min_n),
                "invited": c["invited"],
                "answered": c["answered"],
                "rate": _share(c["answered"], c["invited"]),
            }
        )
    return result


def to_csv(results: Results, title: str) -> str:
    """The per-question figures as CSV (figures withheld stay empty)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([title])
    writer.writerow(["invited", "delivered", "answered", "rate_invited_%", "rate_delivered_%"])
    writer.writerow(
        [
            results.invited,
            results.delivered,
            results.answered,
            results.rate_invited or "",
            results.rate_delivered or "",
        ]
    )
    writer.writerow(
        [
            "overall_satisfaction",
            results.overall.value or "",
            "n",
            results.overall.n,
            "basis",
            results.overall_basis,
        ]
    )
    writer.writerow([])
    writer.writerow(
        [
            "dimension",
            "question",
            "question_zh",
            "kind",
            "n",
            "mean",
            "csat_%",
            "nps",
            *[f"score_{k}" for k in range(11)],
        ]
    )
    for q in results.questions:
        dist = q.distribution if q.kind == QuestionKind.NPS else [""] + q.distribution
        writer.writerow(
            [
                q.dimension_en,
                q.text_en,
                q.text_zh,
                q.kind,
                q.n,
                q.mean.value or "",
                (q.csat.value if q.csat and q.csat.value is not None else ""),
                (q.nps.value if q.nps and q.nps.value is not None else ""),
                *dist,
            ]
        )
    return out.getvalue()


# -- the compliance engine's satisfaction metrics -------------------------------------------


def push_satisfaction_samples(round_id: int) -> int:
    """Store the overall satisfaction of each satisfaction metric's period that the round
    falls in, for every satisfaction_score metric of the agreement (metrics cannot import
    surveys, so surveys pushes: metrics.services.ingest.upsert_samples). Returns how many
    metrics got a sample. Runs in the tenant's context (a TenantTask)."""
    from agreements.choices import MetricKind
    from agreements.models import MetricDefinition
    from metrics.periods import period_end, period_start
    from metrics.services.ingest import upsert_samples

    round_ = Round.objects.select_related("campaign__agreement").filter(pk=round_id).first()
    if round_ is None or round_.campaign.agreement_id is None:
        return 0
    agreement = round_.campaign.agreement
    stored = 0
    metrics = MetricDefinition.objects.filter(
        agreement=agreement, kind=MetricKind.SATISFACTION_SCORE
    )
    for metric in metrics:
        start = period_start(round_.period_start, metric.period)
        end = period_end(start, metric.period) - timedelta(days=1)
        figures = for_agreement(agreement, start, end)
        if figures.overall.value is None:
            continue
        result = upsert_samples(
            metric,
            [{"period_start": start, "value": figures.overall.value, "n": figures.overall.n}],
            source="survey",
        )
        stored += int(result.committed)
    return stored
