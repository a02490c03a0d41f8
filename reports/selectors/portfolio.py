"""The executives' portfolio: every agreement (family) x period, coloured by health, with
totals and the worst movers, in a constant number of queries whatever the agreement count:

1. the agreements (latest in-force version per family, after the filters);
2. compliance: one GROUP BY (family, period) over metrics' ComplianceResult with a count per
   status (health = reports.snapshot.health_of of the statuses present); in a quarter or
   year grid, GROUP BY (family, metric, period) with each metric's worst status;
3. service credits per (family, currency, period);
4. satisfaction: rating answers per (family, period) (sum and n, overall question and all);
5. survey invitations per (family, period) (invited, answered: the response rate);
6. published reports per (family, period).

A period of the grid holds the results of that length or shorter (a quarter holds its months,
each metric counted once at its worst, as the quarter's report combines them); a metric
measured over a longer period than the grid's shows in the longer grid only.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from zoneinfo import ZoneInfo

from django.db.models import (
    Case,
    CharField,
    Count,
    DateField,
    F,
    IntegerField,
    Max,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, Trunc
from django.utils import timezone

from agreements.choices import AgreementStatus, MeasurementPeriod
from agreements.models import Agreement
from agreements.selectors import IN_FORCE_STATUSES
from metrics.choices import Status
from metrics.models import ComplianceResult, CreditResult
from metrics.periods import MONTHS, period_end, period_start, previous
from surveys.choices import InvitationStatus, QuestionKind
from surveys.models import Answer, Invitation

from ..models import Report
from ..periods import label
from ..snapshot import health_of

# Periods shown when no range is asked for: the last complete ones.
DEFAULT_COUNTS = {
    MeasurementPeriod.MONTH: 12,
    MeasurementPeriod.QUARTER: 8,
    MeasurementPeriod.YEAR: 5,
}
MAX_PERIODS = 24  # columns of one grid
MOVERS = 5
STATUSES = tuple(Status.values)  # read once: Enum.values is slow in a loop over 6,000 cells


@lru_cache(maxsize=32)
def _health(present: tuple[str, ...]) -> str:
    """health_of for the statuses present in a cell (16 combinations at most)."""
    return health_of(present)


def _percent(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(100 * part) / whole).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def _mean(total: int, n: int) -> Decimal | None:
    if not n:
        return None
    return (Decimal(total) / n).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


@dataclass
class Figures:
    """Counts behind a cell, a column (period) or the whole grid."""

    met: int = 0
    warning: int = 0
    breached: int = 0
    no_data: int = 0
    score_sum: int = 0  # satisfaction: sum of the scores counted and their n
    score_n: int = 0
    invited: int = 0
    answered: int = 0

    @property
    def with_data(self) -> int:
        return self.met + self.warning + self.breached

    @property
    def share_met(self) -> Decimal | None:
        """Share of the metrics with data that were met, in percent."""
        return _percent(self.met, self.with_data)

    @property
    def satisfaction(self) -> Decimal | None:
        return _mean(self.score_sum, self.score_n)

    @property
    def response_rate(self) -> Decimal | None:
        return _percent(self.answered, self.invited)

    def add(self, other: Figures) -> None:
        for name in (
            "met",
            "warning",
            "breached",
            "no_data",
            "score_sum",
            "score_n",
            "invited",
            "answered",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class Cell(Figures):
    start: dt.date | None = None
    period: str = ""  # the period string of URLs ("2026-10")
    withheld: bool = False  # satisfaction below the anonymous campaign's minimum n
    published: bool = False
    credits: dict[str, Decimal] = field(default_factory=dict)  # currency -> amount owed
    url: str = ""  # set by the page, with symbol and words
    symbol: str = ""
    words: str = ""

    @property
    def health(self) -> str:
        return _health(tuple(s for s in STATUSES if getattr(self, s)))


@dataclass
class Row:
    family: uuid.UUID
    agreement_id: int
    reference: str
    title: str
    customer: str
    kind: str
    status: str
    cells: list[Cell]
    credits: dict[str, Decimal] = field(default_factory=dict)  # currency -> amount in the range

    @property
    def latest(self) -> Cell:
        return self.cells[-1]

    @property
    def latest_url(self) -> str:
        return self.latest.url


@dataclass
class Column(Figures):
    """One period across the agreements shown."""

    start: dt.date | None = None
    period: str = ""
    red: int = 0
    amber: int = 0
    green: int = 0
    none: int = 0
    credits: dict[str, Decimal] = field(default_factory=dict)


@dataclass
class Mover:
    row: Row
    measure: str  # "share_met" or "satisfaction"
    before: Decimal
    after: Decimal

    @property
    def change(self) -> Decimal:
        return self.after - self.before


@dataclass
class Portfolio:
    kind: str
    periods: list[dt.date]
    rows: list[Row]
    columns: list[Column]
    totals: Column
    movers: dict[str, list[Mover]]

    @property
    def labels(self) -> list[str]:
        return [label(self.kind, p) for p in self.periods]

    @property
    def latest(self) -> Column | None:
        return self.columns[-1] if self.columns else None

    def red_rows(self) -> list[Row]:
        """Agreements red in the latest period."""
        return [r for r in self.rows if r.cells and r.latest.health == "red"]


def today_of(tenant) -> dt.date:
    return timezone.localdate(timezone=ZoneInfo(getattr(tenant, "time_zone", "") or "UTC"))


def default_range(tenant, kind: str, today: dt.date | None = None, count: int | None = None):
    """(first, last) starts of the last `count` complete periods of `kind`."""
    today = today or today_of(tenant)
    last = previous(period_start(today, kind), kind)
    first = last
    for _ in range((count or DEFAULT_COUNTS[kind]) - 1):
        first = previous(first, kind)
    return first, last


def _range(tenant, kind, first, last, today):
    """The range asked for; a missing end is filled with the default number of periods."""
    count = DEFAULT_COUNTS[kind]
    if first is None and last is None:
        return default_range(tenant, kind, today)
    if last is None:
        last = first
        for _ in range(count - 1):
            last = period_end(last, kind)
    if first is None:
        first = last
        for _ in range(count - 1):
            first = previous(first, kind)
    return period_start(first, kind), period_start(last, kind)


def period_starts(first: dt.date, last: dt.date, kind: str) -> list[dt.date]:
    out, current = [], period_start(first, kind)
    while current <= last:
        out.append(current)
        current = period_end(current, kind)
    return out


def portfolio(
    tenant,
    *,
    kind: str = MeasurementPeriod.MONTH,
    first: dt.date | None = None,
    last: dt.date | None = None,
    agreements: QuerySet[Agreement] | None = None,
    today: dt.date | None = None,
) -> Portfolio:
    """The grid of the tenant's agreements that are active or have results in the range
    (narrowed to `agreements` when given: the FilterSet's queryset)."""
    first, last = _range(tenant, kind, first, last, today)
    periods = period_starts(first, last, kind)[-MAX_PERIODS:]
    start, end = periods[0], period_end(periods[-1], kind)
    labels = [label(kind, p) for p in periods]
    column_of = {p: i for i, p in enumerate(periods)}
    trunc = kind  # Trunc's kind names are the period kinds: month, quarter, year

    versions = _agreements(tenant, agreements, start, end)
    families = [v["family"] for v in versions]
    # Grouped rows carry the family as text: parsing 20,000 UUIDs was a third of the time.
    cells: dict[str, list[Cell]] = {
        str(f): [Cell(start=p, period=labels[i]) for i, p in enumerate(periods)] for f in families
    }

    _compliance(tenant, cells, column_of, families, kind, start, end)

    credits = (
        CreditResult.objects.filter(
            tenant=tenant, family__in=families, period_start__gte=start, period_start__lt=end
        )
        .annotate(fam=_text("family"), p=_period(kind))
        .order_by()
        .values("fam", "currency", "p")
        .annotate(amount=Sum("amount"))
    )
    credit_rows = list(credits)

    _satisfaction(tenant, cells, column_of, families, start, end, trunc)
    _invitations(tenant, cells, column_of, families, start, end, trunc)

    published = (
        Report.objects.filter(
            tenant=tenant,
            family__in=families,
            period_kind=kind,
            period_start__gte=start,
            period_start__lt=end,
        )
        .annotate(fam=_text("family"))
        .order_by()
        .values_list("fam", "period_start")
        .distinct()
    )
    for family, p in published:
        if p in column_of:
            cells[family][column_of[p]].published = True

    rows = [
        Row(
            family=v["family"],
            agreement_id=v["pk"],
            reference=v["reference"],
            title=v["title"],
            customer=v["customer__name"],
            kind=v["kind"],
            status=v["status"],
            cells=cells[str(v["family"])],
        )
        for v in versions
    ]
    rows.sort(key=lambda r: (r.reference.lower(), r.title.lower()))
    by_family = {str(r.family): r for r in rows}

    columns = [Column(start=p, period=labels[i]) for i, p in enumerate(periods)]
    totals = Column()
    for c in credit_rows:
        amount = c["amount"] or Decimal(0)
        row = by_family[c["fam"]]
        for target in (row, row.cells[column_of[c["p"]]], columns[column_of[c["p"]]], totals):
            target.credits[c["currency"]] = target.credits.get(c["currency"], Decimal(0)) + amount
    for row in rows:
        for i, cell in enumerate(row.cells):
            for target in (columns[i], totals):
                target.add(cell)
                health = cell.health
                setattr(target, health, getattr(target, health) + 1)
    for target in (*columns, totals):
        target.credits = {k: v for k, v in sorted(target.credits.items()) if v}
    for row in rows:
        row.credits = {k: v for k, v in sorted(row.credits.items()) if v}
        for cell in row.cells:
            cell.credits = {k: v for k, v in sorted(cell.credits.items()) if v}

    return Portfolio(
        kind=kind,
        periods=periods,
        rows=rows,
        columns=columns,
        totals=totals,
        movers=worst_movers(rows),
    )


# Severity of a status, for the worst of a metric's results within a longer period.
_SEVERITY = {Status.NO_DATA: 0, Status.MET: 1, Status.WARNING: 2, Status.BREACHED: 3}
_BY_SEVERITY = {v: k for k, v in _SEVERITY.items()}


def _compliance(tenant, cells, column_of, families, kind, start, end) -> None:
    """Counts of metrics per status in each cell. A month grid counts its results as they
    are; a quarter or year counts each metric once, at the worst status of its results in
    the period (as the period's report combines them)."""
    shorter = [k for k in MeasurementPeriod.values if MONTHS[k] <= MONTHS[kind]]
    results = (
        ComplianceResult.objects.filter(
            tenant=tenant,
            family__in=families,
            period_kind__in=shorter,
            period_start__gte=start,
            period_start__lt=end,
        )
        .annotate(fam=_text("family"), p=_period(kind))
        .order_by()
    )
    if kind == MeasurementPeriod.MONTH:
        rows = results.values("fam", "p").annotate(
            **{s: Count("pk", filter=Q(status=s)) for s in STATUSES}
        )
        for r in rows:
            cell = cells[r["fam"]][column_of[r["p"]]]
            for s in STATUSES:
                setattr(cell, s, r[s])
        return
    severity = Case(
        *[When(status=status, then=Value(n)) for status, n in _SEVERITY.items()],
        default=Value(0),
        output_field=IntegerField(),
    )
    rows = results.values("fam", "metric_name", "p").annotate(worst=Max(severity))
    for r in rows:
        cell = cells[r["fam"]][column_of[r["p"]]]
        status = _BY_SEVERITY[r["worst"]]
        setattr(cell, status, getattr(cell, status) + 1)


def _text(field: str):
    return Cast(field, output_field=CharField())


def _period(kind: str):
    """The grid period of a result's or credit's period_start: in a month grid both are
    monthly rows, so the start itself (no conversion of 6,000 values); else truncated."""
    if kind == MeasurementPeriod.MONTH:
        return F("period_start")
    return Trunc("period_start", kind, output_field=DateField())


def _agreements(tenant, agreements, start, end) -> list[dict]:
    """The latest in-force version of each family that is active or has results in range."""
    queryset = Agreement.objects.filter(tenant=tenant)
    if agreements is not None:
        queryset = queryset.filter(pk__in=agreements.values("pk"))
    with_results = ComplianceResult.objects.filter(
        tenant=tenant, period_start__gte=start, period_start__lt=end
    ).values("family")
    return list(
        queryset.filter(status__in=IN_FORCE_STATUSES)
        .filter(Q(status=AgreementStatus.ACTIVE) | Q(family__in=with_results))
        .order_by("family", "-version")
        .distinct("family")
        .values("pk", "family", "reference", "title", "kind", "status", "customer__name")
    )


def _satisfaction(tenant, cells, column_of, families, start, end, trunc) -> None:
    """Mean rating per cell: the overall question where the answers have one, else every
    rating (as surveys.results); withheld below an anonymous campaign's minimum n."""
    overall = Q(question__is_overall=True)
    rows = (
        Answer.objects.filter(
            tenant=tenant,
            question__kind=QuestionKind.LIKERT,
            score__isnull=False,
            response__round__campaign__agreement__family__in=families,
            response__round__period_start__gte=start,
            response__round__period_start__lt=end,
        )
        .annotate(
            fam=_text("response__round__campaign__agreement__family"),
            p=Trunc("response__round__period_start", trunc, output_field=DateField()),
        )
        .order_by()
        .values("fam", "p")
        .annotate(
            overall_sum=Sum("score", filter=overall),
            overall_n=Count("pk", filter=overall),
            all_sum=Sum("score"),
            all_n=Count("pk"),
            anonymous=Count("pk", filter=Q(response__round__campaign__anonymous=True)),
            min_n=Max("response__round__campaign__min_n"),
        )
    )
    for r in rows:
        cell = cells[r["fam"]][column_of[r["p"]]]
        basis = "overall" if r["overall_n"] else "all"
        total, n = r[f"{basis}_sum"] or 0, r[f"{basis}_n"]
        if r["anonymous"] and n < (r["min_n"] or 0):
            cell.withheld = True
            continue
        cell.score_sum, cell.score_n = total, n


def _invitations(tenant, cells, column_of, families, start, end, trunc) -> None:
    rows = (
        Invitation.objects.filter(
            tenant=tenant,
            round__campaign__agreement__family__in=families,
            round__period_start__gte=start,
            round__period_start__lt=end,
        )
        .annotate(
            fam=_text("round__campaign__agreement__family"),
            p=Trunc("round__period_start", trunc, output_field=DateField()),
        )
        .order_by()
        .values("fam", "p")
        .annotate(
            invited=Count("pk", filter=~Q(status=InvitationStatus.SKIPPED)),
            answered=Count("pk", filter=Q(status=InvitationStatus.ANSWERED)),
        )
    )
    for r in rows:
        cell = cells[r["fam"]][column_of[r["p"]]]
        cell.invited, cell.answered = r["invited"], r["answered"]


def worst_movers(rows: list[Row], limit: int = MOVERS) -> dict[str, list[Mover]]:
    """The biggest drops between the last two periods: in share of metrics met and in mean
    satisfaction (agreements without both figures are left out)."""
    movers: dict[str, list[Mover]] = {"share_met": [], "satisfaction": []}
    for row in rows:
        if len(row.cells) < 2:
            continue
        before, after = row.cells[-2], row.cells[-1]
        for measure in movers:
            b, a = getattr(before, measure), getattr(after, measure)
            if b is not None and a is not None and a < b:
                movers[measure].append(Mover(row, measure, b, a))
    for measure, found in movers.items():
        found.sort(key=lambda m: (m.change, m.row.reference))
        movers[measure] = found[:limit]
    return movers
