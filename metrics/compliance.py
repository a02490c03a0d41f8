"""Pure rules of compliance: a period's status from its counts or value (REQUIREMENTS section 2).

No database here; metrics.services.compliance gathers the counts and values with SQL.
Every function checks its own input and raises ValueError on nonsense.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from .choices import Status

HUNDRED = Decimal(100)
RATE_PLACES = Decimal("0.0001")


@dataclass(frozen=True)
class TimeCounts:
    """Tickets of a time metric in one period: all, within target, within minimum (<= counts)."""

    all: int
    within_target: int
    within_minimum: int

    def __post_init__(self):
        for name in ("all", "within_target", "within_minimum"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"{name} must be a whole number >= 0, got {value!r}")
        if not self.within_target <= self.within_minimum <= self.all:
            raise ValueError(
                "counts must satisfy within_target <= within_minimum <= all, got "
                f"{self.within_target}, {self.within_minimum}, {self.all}"
            )


def _goal(goal) -> Decimal:
    goal = Decimal(goal)
    if not 0 < goal <= 100:
        raise ValueError(f"attainment goal must be more than 0 and at most 100, got {goal}")
    return goal


def rate(part: int, whole: int) -> Decimal | None:
    """part / whole x 100 %, 4 decimal places (None when there is nothing to divide)."""
    if whole == 0:
        return None
    return (Decimal(part) * HUNDRED / Decimal(whole)).quantize(RATE_PLACES, ROUND_HALF_UP)


def time_status(counts: TimeCounts, goal) -> str:
    """met when the share within target reaches the goal, warning when the share within the
    minimum does, breached otherwise; no tickets = no data. Exact: part x 100 >= goal x all."""
    goal = _goal(goal)
    if counts.all == 0:
        return Status.NO_DATA
    if counts.within_target * HUNDRED >= goal * counts.all:
        return Status.MET
    if counts.within_minimum * HUNDRED >= goal * counts.all:
        return Status.WARNING
    return Status.BREACHED


def value_status(value, target, minimum, lower_is_better: bool) -> str:
    """Rates, availability, downtime, counts and scores: the value against target and minimum."""
    if value is None:
        return Status.NO_DATA
    value, target, minimum = Decimal(value), Decimal(target), Decimal(minimum)
    if lower_is_better:
        if target > minimum:
            raise ValueError("lower is better: the target must be at most the minimum")
        if value <= target:
            return Status.MET
        return Status.WARNING if value <= minimum else Status.BREACHED
    if target < minimum:
        raise ValueError("higher is better: the target must be at least the minimum")
    if value >= target:
        return Status.MET
    return Status.WARNING if value >= minimum else Status.BREACHED


def misses_allowed(counts: TimeCounts, goal) -> int | None:
    """How many more tickets may miss the target before the status drops below met
    (None when it is not met now). With k more misses: within_target x 100 >= goal x (all + k)."""
    goal = _goal(goal)
    if counts.all == 0 or time_status(counts, goal) != Status.MET:
        return None
    return int((Decimal(counts.within_target) * HUNDRED / goal) - counts.all)


def credit_percent(
    breached: int, flat_percent, tiers: list[dict], cap_percent
) -> tuple[Decimal, bool, str]:
    """The credit for a period with `breached` breached metrics: the highest tier reached
    (tiers: [{breached_metrics, percent}]) or flat percent x breached, capped.
    Returns (percent, cap applied, rule used)."""
    if breached < 0:
        raise ValueError("breached must be >= 0")
    cap = Decimal(cap_percent)
    if tiers:
        reached = [t for t in tiers if t["breached_metrics"] <= breached]
        percent = Decimal(str(reached[-1]["percent"])) if reached else Decimal(0)
        rule = "tiers"
    else:
        percent = Decimal(flat_percent) * breached
        rule = "flat"
    if percent > cap:
        return cap, True, rule
    return percent, False, rule


def money(fee, percent) -> Decimal:
    return (Decimal(fee) * Decimal(percent) / HUNDRED).quantize(Decimal("0.01"), ROUND_HALF_UP)


def escalation_streaks(statuses: list[tuple], needed: int, count_warnings: bool) -> list[tuple]:
    """[(period_start, status)] in period order -> [(streak_start, [periods])] for each run of
    consecutive missed periods that reached `needed` (the first `needed` periods of it).
    Missed = breached, or warning too when warnings count; met or no data ends a run."""
    if needed < 1:
        raise ValueError("needed must be >= 1")
    missed = {Status.BREACHED, Status.WARNING} if count_warnings else {Status.BREACHED}
    out, run = [], []
    for period, status in statuses:
        if status in missed:
            run.append(period)
            if len(run) == needed:
                out.append((run[0], list(run)))
        else:
            run = []
    return out
