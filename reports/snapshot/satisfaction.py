"""Satisfaction of the report period and its trend, and how it moves with the metrics."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Avg, Count, Max, Q

from agreements.choices import MetricKind
from metrics import compliance as rules
from metrics.periods import period_end

from .. import analysis as stats
from .common import exact, history_starts, period_start


def _fig(figure) -> dict:
    return {"mean": None if figure.withheld else exact(figure.value), "n": figure.n}


def satisfaction(version, period_kind, start, end) -> dict:
    from surveys import results as survey_results

    res = survey_results.for_agreement(version, start, end - dt.timedelta(days=1))
    trend, distribution = _satisfaction_trend(version, period_kind, start)
    rated = sum(distribution)
    withheld = res.overall.withheld
    csat = None
    if rated and not withheld:
        csat = exact(rules.rate(distribution[3] + distribution[4], rated).quantize(Decimal("0.01")))
    return {
        "available": res.invited > 0 or res.answered > 0,
        "invited": res.invited,
        "answered": res.answered,
        "response_rate": exact(res.rate_invited),
        "min_n": res.min_n,
        "anonymous": res.anonymous,
        "withheld": withheld,
        "basis": res.overall_basis,
        "overall": _fig(res.overall),
        "csat": {"value": csat, "n": rated},
        "dimensions": [
            {
                "code": d["code"],
                "name": d["name_en"],
                "name_zh": d["name_zh"],
                **_fig(d["mean"]),
            }
            for d in res.dimensions
        ],
        "distribution": {str(i + 1): n for i, n in enumerate(distribution)},
        "terms": [{"term": t, "count": n} for t, n in res.top_terms],
        "trend": trend,
    }


def _satisfaction_trend(version, period_kind, start) -> tuple[list[dict], list[int]]:
    """Overall satisfaction per period, oldest first, over the last HISTORY periods, and the
    1-5 distribution of the last one: one grouped query (the overall question where the
    period's questionnaires have one, else all ratings, as surveys.results does)."""
    from surveys.choices import QuestionKind
    from surveys.models import Answer, Campaign

    starts = history_starts(start, period_kind)
    first, last = starts[0], period_end(starts[-1], period_kind)
    ratings = Answer.objects.filter(
        response__round__campaign__agreement__family=version.family,
        response__round__period_start__gte=first,
        response__round__period_start__lt=last,
        question__kind=QuestionKind.LIKERT,
        score__isnull=False,
    )
    rows = list(
        ratings.values("response__round__period_start", "question__is_overall")
        .annotate(
            total=Count("pk"),
            mean=Avg("score"),
            **{f"p{k}": Count("pk", filter=Q(score=k)) for k in range(1, 6)},
        )
        .order_by()
    )
    flags = Campaign.objects.filter(agreement__family=version.family).aggregate(
        anonymous=Count("pk", filter=Q(anonymous=True)), min_n=Max("min_n")
    )
    anonymous, min_n = bool(flags["anonymous"]), flags["min_n"] or 0
    buckets = {
        s: {"overall": [0, Decimal(0), [0] * 5], "all": [0, Decimal(0), [0] * 5]} for s in starts
    }
    for r in rows:
        day = period_start(r["response__round__period_start"], period_kind)
        if day not in buckets:
            continue
        weighted = Decimal(str(r["mean"])) * r["total"]
        for key in ("overall", "all") if r["question__is_overall"] else ("all",):
            bucket = buckets[day][key]
            bucket[0] += r["total"]
            bucket[1] += weighted
            bucket[2] = [bucket[2][k - 1] + r[f"p{k}"] for k in range(1, 6)]
    out, distribution = [], [0] * 5
    for s in starts:
        n, total, dist = buckets[s]["overall"] if buckets[s]["overall"][0] else buckets[s]["all"]
        mean = None
        if n and not (anonymous and n < min_n):
            mean = exact((total / n).quantize(Decimal("0.01"), ROUND_HALF_UP))
            distribution = dist
        else:
            distribution = [0] * 5
        out.append({"start": s.isoformat(), "mean": mean, "n": n})
    return out, distribution


def analysis(version, metric_items, satisfaction, period_kind) -> dict:
    by_start = {t["start"]: t["mean"] for t in satisfaction["trend"]}
    correlations = []
    for m in metric_items:
        if m["kind"] == MetricKind.SATISFACTION_SCORE:
            continue  # satisfaction against itself says nothing
        xs, ys = [], []
        for h in m["history"]:
            x = h["compliance_rate"] if h["compliance_rate"] is not None else h["value"]
            y = by_start.get(h["start"])
            if x is not None and y is not None:
                xs.append(Decimal(x))
                ys.append(Decimal(y))
        result = stats.correlation(xs, ys)
        correlations.append(
            {
                "metric": m["name"],
                "measure": "compliance_rate" if m["compliance_rate"] is not None else "value",
                **result,
                **stats.reading(result["rho"], result["enough"]),
            }
        )
    # The hint runs on the report's own periods: metrics stepping with the report.
    periods = []
    for i, t in enumerate(satisfaction["trend"]):
        periods.append(
            {
                "satisfaction": t["mean"],
                "metrics": [
                    m["history"][i]
                    for m in metric_items
                    if len(m["history"]) == len(satisfaction["trend"])
                    and m["history"][i]["start"] == t["start"]
                ],
            }
        )
    hint = stats.revision_hint(
        periods,
        {m["name"]: m["breach_streak"] for m in metric_items},
        version.escalation_consecutive_breaches,
    )
    return {"correlations": correlations, "min_n": stats.MIN_N, "hint": hint}
