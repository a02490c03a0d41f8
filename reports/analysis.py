"""Pure statistics of the report's analysis section: rank correlation and the revision hint.

No database here; reports.snapshot gathers the series. Every function checks its own input
and raises ValueError on nonsense. Numbers in, codes out (the templates word them).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from decimal import Decimal

MIN_N = 6  # fewer paired periods than this: "not enough data"
TIGHTEN_COMPLIANCE = Decimal("95")  # % (every metric with data, see period_compliant)
TIGHTEN_SATISFACTION = Decimal("4.8")  # of 5
TIGHTEN_PERIODS = 3  # periods in a row

TIGHTEN = "tighten"
IMPROVEMENT_PLAN = "improvement_plan"


def _number(value, what: str) -> float:
    if isinstance(value, bool) or value is None:
        raise ValueError(f"{what} must be a number, got {value!r}")
    try:
        number = float(Decimal(str(value)))
    except (ArithmeticError, ValueError) as exc:
        raise ValueError(f"{what} must be a number, got {value!r}") from exc
    if not math.isfinite(number):
        raise ValueError(f"{what} must be finite, got {value!r}")
    return number


def ranks(values: Sequence) -> list[float]:
    """1-based ranks, ties get the average of the ranks they span ([10, 20, 20] -> 1, 2.5, 2.5)."""
    numbers = [_number(v, "value") for v in values]
    order = sorted(range(len(numbers)), key=lambda i: numbers[i])
    out = [0.0] * len(numbers)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and numbers[order[j + 1]] == numbers[order[i]]:
            j += 1
        average = (i + j) / 2 + 1
        for k in range(i, j + 1):
            out[order[k]] = average
        i = j + 1
    return out


def spearman(xs: Sequence, ys: Sequence) -> float | None:
    """Spearman's rho: the Pearson correlation of the average ranks (exact with ties).
    None when either series is constant (no ranking to compare) or has fewer than 2 values."""
    if len(xs) != len(ys):
        raise ValueError(f"the two series differ in length: {len(xs)} and {len(ys)}")
    if len(xs) < 2:
        return None
    rx, ry = ranks(xs), ranks(ys)
    n = len(rx)
    mx, my = sum(rx) / n, sum(ry) / n
    sxy = sum((a - mx) * (b - my) for a, b in zip(rx, ry, strict=True))
    sxx = sum((a - mx) ** 2 for a in rx)
    syy = sum((b - my) ** 2 for b in ry)
    if sxx == 0 or syy == 0:
        return None
    return sxy / math.sqrt(sxx * syy)


def correlation(xs: Sequence, ys: Sequence, min_n: int = MIN_N) -> dict:
    """{rho: "0.8286" | None, n, enough}: enough only when n >= min_n and rho exists."""
    if isinstance(min_n, bool) or not isinstance(min_n, int) or min_n < 2:
        raise ValueError(f"min_n must be a whole number >= 2, got {min_n!r}")
    rho = spearman(xs, ys)
    n = len(xs)
    return {
        "rho": None if rho is None else f"{rho:.4f}",
        "n": n,
        "enough": rho is not None and n >= min_n,
    }


def reading(rho, enough: bool) -> dict:
    """Plain-words reading as codes for the templates: direction positive|negative|none and
    strength none|weak|moderate|strong (|rho| < 0.1, < 0.4, < 0.7, else), or not_enough."""
    if not enough or rho is None:
        return {"strength": "not_enough", "direction": "none"}
    value = _number(rho, "rho")
    if not -1.0 - 1e-9 <= value <= 1.0 + 1e-9:
        raise ValueError(f"rho must be within -1 and 1, got {rho!r}")
    size = abs(value)
    if size < 0.1:
        return {"strength": "none", "direction": "none"}
    strength = "weak" if size < 0.4 else "moderate" if size < 0.7 else "strong"
    return {"strength": strength, "direction": "positive" if value > 0 else "negative"}


def period_compliant(metrics: Sequence[dict]) -> bool:
    """One period is compliant for the tightening hint when at least one metric has data and
    every metric with data reaches 95 %: its compliance rate when it has one (time metrics,
    rates, availability), otherwise (downtime, counts, scores) its status is met.
    Each item: {"compliance_rate": str|None, "status": str}."""
    with_data = [m for m in metrics if m.get("status") not in (None, "no_data")]
    if not with_data:
        return False
    for m in with_data:
        rate = m.get("compliance_rate")
        if rate is not None:
            if Decimal(str(rate)) < TIGHTEN_COMPLIANCE:
                return False
        elif m["status"] != "met":
            return False
    return True


def revision_hint(
    periods: Sequence[dict], breach_streaks: dict[str, int], escalation_after: int
) -> dict:
    """The revision hint of the last period.

    periods: oldest first, each {"metrics": [...as period_compliant], "satisfaction": str|None}.
    breach_streaks: {metric name: missed periods in a row ending at the last period}.
    improvement_plan when some metric's streak >= escalation_after (the agreement's
    escalation_consecutive_breaches); else tighten when the last TIGHTEN_PERIODS or more
    periods in a row were compliant with satisfaction >= 4.8; else none.
    Returns {kind: "improvement_plan"|"tighten"|None, metrics: [names], periods: int}."""
    if isinstance(escalation_after, bool) or not isinstance(escalation_after, int):
        raise ValueError(f"escalation_after must be a whole number, got {escalation_after!r}")
    if escalation_after < 1:
        raise ValueError("escalation_after must be >= 1")
    for name, streak in breach_streaks.items():
        if isinstance(streak, bool) or not isinstance(streak, int) or streak < 0:
            raise ValueError(f"streak of {name!r} must be a whole number >= 0, got {streak!r}")
    keeps_breaching = sorted(n for n, s in breach_streaks.items() if s >= escalation_after)
    if keeps_breaching:
        longest = max(breach_streaks[n] for n in keeps_breaching)
        return {"kind": IMPROVEMENT_PLAN, "metrics": keeps_breaching, "periods": longest}
    run = 0
    for period in reversed(periods):
        score = period.get("satisfaction")
        if score is None or Decimal(str(score)) < TIGHTEN_SATISFACTION:
            break
        if not period_compliant(period.get("metrics", [])):
            break
        run += 1
    if run >= TIGHTEN_PERIODS:
        return {"kind": TIGHTEN, "metrics": [], "periods": run}
    return {"kind": None, "metrics": [], "periods": run}
