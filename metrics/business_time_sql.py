"""Working time for many tickets at once, set-based in PostgreSQL.

Same semantics and the same results, to the microsecond, as ``metrics.business_time``
(the Python form). It is a prefix sum held in constant arrays:

1. Python lays out the calendar's working intervals (``working_intervals``: DST,
   holidays and night shifts are resolved by the very same code) over the span the
   tickets need and cuts the span into hourly buckets (UTC). Per bucket it keeps the
   working time before the bucket and the working pieces inside it (offset and
   length): one piece per bucket for usual calendars, more only where an hour holds
   several slots.
2. An instant x becomes t, microseconds after the span's origin; with b = t div 1 h
   and o = t mod 1 h, the working time from the origin to x is

       W(t) = before[b] + sum over pieces k of least(greatest(o - start_k[b], 0), length_k[b])

   and ``elapsed(a, b) = W(b) - W(a)``. The arrays are query constants (a year is
   about 9,000 buckets), so no join and no temp table: a plain scalar expression per
   instant.
3. Pauses are merged per ticket (overlaps count once), clipped to the ticket, and each
   piece subtracts ``W(end) - W(start)``.

t is computed as ``round(date_part('epoch', x - origin) * 1e6)``: x - origin is an
exact interval, and for spans under ``MAX_SPAN`` its float epoch is within 0.2 us of
the truth, so rounding gives the exact microsecond (the tests check both sides of
every hour edge over 25 years). Results are ``interval`` in SQL and ``timedelta`` in Python.
The caller hands in the SQL that yields its tickets; rows never pass through Python.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections, transaction

from metrics.business_time import Calendar, Pause, _span, merge_pauses, working_intervals

__all__ = [
    "WorkingTime",
    "elapsed_into",
    "elapsed_many",
    "elapsed_sql",
    "working_time",
]

BUCKET = timedelta(hours=1)
BUCKET_US = BUCKET // timedelta(microseconds=1)
# Keeps the arrays modest (hourly buckets) and the float epoch exact to the microsecond.
MAX_SPAN = timedelta(days=25 * 366)
_US = timedelta(microseconds=1)
_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,50}$")
_WORK_MEM = "64MB"  # sorts and hashes of a bulk run; SET LOCAL, so this transaction only


@dataclass(frozen=True)
class WorkingTime:
    """W, the working time since ``origin``, as arrays over the hourly buckets of
    [origin, end). ``before[b]`` is the working microseconds before bucket b;
    ``pieces[k]`` holds (start offset, length) in microseconds of the k-th working piece
    in each bucket ((0, 0) where a bucket has fewer pieces)."""

    origin: datetime
    before: tuple[int, ...]
    pieces: tuple[tuple[tuple[int, int], ...], ...]

    @property
    def end(self) -> datetime:
        return self.origin + len(self.before) * BUCKET

    def params(self) -> dict[str, Any]:
        """The query parameters ``us`` and ``relation`` refer to."""
        params = {"bt_origin": self.origin, "bt_before": _array(self.before)}
        for k, column in enumerate(self.pieces, start=1):
            params[f"bt_start{k}"] = _array(s for s, _ in column)
            params[f"bt_len{k}"] = _array(n for _, n in column)
        return params

    def relation(self, alias: str = "bt_cal") -> str:
        """A one-row FROM item holding the arrays; the planner folds them into constants."""
        columns = ["%(bt_before)s::bigint[] AS before"]
        for k in range(1, len(self.pieces) + 1):
            columns.append(f"%(bt_start{k})s::bigint[] AS start{k}")
            columns.append(f"%(bt_len{k})s::bigint[] AS len{k}")
        return f"(SELECT {', '.join(columns)}) AS {alias}"

    @staticmethod
    def us(instant_sql: str) -> str:
        """Microseconds from the origin to an instant (exact, see the module docstring)."""
        return f"round(date_part('epoch', ({instant_sql}) - %(bt_origin)s) * 1e6)::bigint"

    def w(self, us_sql: str, alias: str = "bt_cal") -> str:
        """W for microseconds after the origin; ``us_sql`` should be a plain column."""
        b = f"({us_sql} / {BUCKET_US} + 1)"
        o = f"mod({us_sql}, {BUCKET_US})"
        terms = [f"{alias}.before[{b}]"] + [
            f"least(greatest({o} - {alias}.start{k}[{b}], 0), {alias}.len{k}[{b}])"
            for k in range(1, len(self.pieces) + 1)
        ]
        return "(" + " + ".join(terms) + ")"

    @staticmethod
    def bucket(v_sql: str, alias: str = "bt_cal") -> str:
        """The (1-based) bucket in which W reaches ``v_sql`` (microseconds of work, >= 1):
        ``before`` is sorted, so ``width_bucket(v - 1, before)`` (a binary search) counts
        the buckets with less work before them than v."""
        return f"width_bucket(({v_sql}) - 1, {alias}.before)"

    def inverse(self, v_sql: str, b_sql: str | None = None, alias: str = "bt_cal") -> str:
        """The earliest instant at which W reaches ``v_sql`` (>= 1), as microseconds after
        the origin; NULL past the span. ``b_sql``: ``bucket(v_sql)`` if already computed
        (plain columns keep the expression small)."""
        b = b_sql or self.bucket(v_sql, alias)
        r = f"(({v_sql}) - {alias}.before[{b}])"
        cases, done = [], "0"
        for k in range(1, len(self.pieces) + 1):
            cases.append(
                f"WHEN {r} <= {done} + {alias}.len{k}[{b}] "
                f"THEN {alias}.start{k}[{b}] + {r} - ({done})"
            )
            done = f"{done} + {alias}.len{k}[{b}]"
        if not cases:
            return "NULL::bigint"
        return f"(({b} - 1)::bigint * {BUCKET_US} + CASE {' '.join(cases)} END)"


def _name(name: str) -> str:
    if not _NAME.match(name):
        raise ValueError(f"temp table name must be a plain lower-case identifier, got {name!r}")
    return name


def _array(values: Iterable[int]) -> str:
    return "{" + ",".join(map(str, values)) + "}"


def working_time(cal: Calendar, start: datetime, end: datetime) -> WorkingTime:
    """The arrays of W for a span covering the instants [start, end]."""
    start, end = _span(start, end)
    if end - start > MAX_SPAN:
        raise ValueError(
            f"the span {start.isoformat()} .. {end.isoformat()} is over 25 years; check the data"
        )
    origin = start.replace(minute=0, second=0, microsecond=0)
    buckets = (end - origin) // BUCKET + 1  # the hour holding `end` too
    per_bucket: list[list[tuple[int, int]]] = [[] for _ in range(buckets)]
    # Touching intervals joined (a 24x7 day ends where the next begins): fewer pieces.
    joined = merge_pauses(working_intervals(cal, origin, origin + buckets * BUCKET), origin)
    for lo, hi in joined:
        while lo < hi:  # split at bucket edges
            b = (lo - origin) // BUCKET
            cut = min(hi, origin + (b + 1) * BUCKET)
            per_bucket[b].append(((lo - origin - b * BUCKET) // _US, (cut - lo) // _US))
            lo = cut
    before, done = [], 0
    for bucket in per_bucket:
        before.append(done)
        done += sum(n for _, n in bucket)
    depth = max((len(bucket) for bucket in per_bucket), default=0)
    pieces = tuple(
        tuple(bucket[k] if k < len(bucket) else (0, 0) for bucket in per_bucket)
        for k in range(depth)
    )
    return WorkingTime(origin, tuple(before), pieces)


def elapsed_sql(wt: WorkingTime, tickets_sql: str, pauses_sql: str | None = None) -> str:
    """SQL yielding (id, elapsed interval) per ticket, to run or to embed.

    ``tickets_sql`` yields id, start_at, end_at; ``pauses_sql`` (optional) yields
    id, start_at, end_at per pause. Both are trusted SQL with %(name)s parameters (a
    literal % is written %%); the statement needs ``wt.params()`` too. With pauses,
    ``tickets_sql`` appears twice. Every ticket instant must lie inside the span of
    ``wt`` (``elapsed_into`` sees to that) and start <= end.
    """
    us = WorkingTime.us
    # OFFSET 0 keeps each subquery a step of its own, so t is computed once per instant
    # rather than once per use.
    worked = f"""
        SELECT tu.id, {wt.w("tu.ts")} AS ws, {wt.w("tu.te")} AS we
        FROM (SELECT id, {us("start_at")} AS ts, {us("end_at")} AS te
              FROM ({tickets_sql}) AS tk OFFSET 0) AS tu,
             {wt.relation()}
        OFFSET 0
    """
    if pauses_sql is None:
        return f"SELECT id, (we - ws) * interval '1 microsecond' AS elapsed FROM ({worked}) AS tw"
    # pm: a ticket's pauses merged. Ordered by start, the part of a pause no earlier one
    # covers is [greatest(start, m), greatest(end, m)), m being the latest end so far
    # (earlier pauses all start before it, so together they cover [start, m)). Merging
    # before clipping gives the same union and sorts plain columns.
    # pc: the pieces clipped to their ticket; pw: their working time per ticket.
    return f"""
        WITH pm AS (
            SELECT id, greatest(start_at, m) AS lo, greatest(end_at, m) AS hi
            FROM (
                SELECT id, start_at, end_at,
                       max(end_at) OVER (PARTITION BY id ORDER BY start_at
                                         ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS m
                FROM ({pauses_sql}) AS p
            ) AS ordered
            WHERE m IS NULL OR end_at > m
        ), pc AS (
            SELECT pm.id, {us("greatest(pm.lo, tk.start_at)")} AS lo,
                   {us("least(pm.hi, tk.end_at)")} AS hi
            FROM pm JOIN ({tickets_sql}) AS tk ON tk.id = pm.id
            WHERE pm.lo < tk.end_at AND pm.hi > tk.start_at
            OFFSET 0
        ), pw AS (
            SELECT pc.id, sum({wt.w("pc.hi")} - {wt.w("pc.lo")})::bigint AS paused
            FROM pc, {wt.relation()}
            GROUP BY pc.id
        )
        SELECT tw.id, (tw.we - tw.ws - coalesce(pw.paused, 0)) * interval '1 microsecond' AS elapsed
        FROM ({worked}) AS tw LEFT JOIN pw ON pw.id = tw.id
    """


def _check(cur, tickets_sql: str, pauses_sql: str | None, params: dict[str, Any]):
    """Refuse rows the Python form refuses; return the tickets' (min start, max end) or None."""
    cur.execute(
        f"""
        SELECT min(start_at), max(end_at),
               count(*) FILTER (WHERE start_at IS NULL OR end_at IS NULL OR start_at > end_at)
        FROM ({tickets_sql}) AS q
        """,
        params,
    )
    lo, hi, bad = cur.fetchone()
    if bad:
        cur.execute(
            f"SELECT id, start_at, end_at FROM ({tickets_sql}) AS q "
            "WHERE start_at IS NULL OR end_at IS NULL OR start_at > end_at LIMIT 1",
            params,
        )
        example = cur.fetchone()
        raise ValueError(
            f"{bad} tickets have no start or end, or start after end "
            f"(e.g. id {example[0]!r}: {example[1]} .. {example[2]})"
        )
    if pauses_sql is not None:
        cur.execute(
            f"SELECT count(*) FROM ({pauses_sql}) AS p "
            "WHERE start_at IS NULL OR end_at IS NULL OR start_at > end_at",
            params,
        )
        bad = cur.fetchone()[0]
        if bad:
            raise ValueError(f"{bad} pauses have no start or end, or start after they end")
    return None if lo is None else (lo, hi)


def elapsed_into(
    cal: Calendar,
    tickets_sql: str,
    pauses_sql: str | None = None,
    params: dict[str, Any] | None = None,
    *,
    into: str = "bt_elapsed",
    using: str = DEFAULT_DB_ALIAS,
) -> str:
    """Elapsed working time of every ticket a query yields, into a temp table.

    ``tickets_sql``: trusted SQL yielding id, start_at, end_at (timestamptz);
    ``pauses_sql``: optional SQL yielding id, start_at, end_at per pause; ``params``:
    %(name)s parameters for both. Creates (replacing) the temp table ``into`` with
    columns (id, elapsed interval) and returns its name, for the caller's next query
    in the same transaction: call it inside ``transaction.atomic()``; the table is
    dropped at commit (ON COMMIT DROP), so nothing lingers on a pooled connection.
    Raises ValueError, like the Python form, for a ticket without start or end or with
    start after end, and for such a pause.
    """
    into = _name(into)
    if not connections[using].in_atomic_block:
        raise RuntimeError("elapsed_into() needs a transaction: its table is dropped at commit")
    params = dict(params or {})
    with transaction.atomic(using=using), connections[using].cursor() as cur:
        cur.execute(f"SET LOCAL work_mem = '{_WORK_MEM}'")
        span = _check(cur, tickets_sql, pauses_sql, params)
        cur.execute(f"DROP TABLE IF EXISTS pg_temp.{into}")
        if span is None:  # no tickets
            cur.execute(
                f"CREATE TEMP TABLE {into} ON COMMIT DROP AS "
                f"SELECT id, interval '0' AS elapsed FROM ({tickets_sql}) AS q",
                params,
            )
            return into
        wt = working_time(cal, *span)
        cur.execute(
            f"CREATE TEMP TABLE {into} ON COMMIT DROP AS {elapsed_sql(wt, tickets_sql, pauses_sql)}",
            {**params, **wt.params()},
        )
    return into


def elapsed_many(
    cal: Calendar,
    rows: Iterable[tuple[int, datetime, datetime, Sequence[Pause]]],
    *,
    using: str = DEFAULT_DB_ALIAS,
) -> dict[int, timedelta]:
    """{id: elapsed} for (id, start, end, pauses) rows with integer ids, computed in SQL.

    The same checks and results as ``business_time.elapsed`` row by row. The rows travel
    to the database, so this is for tests and modest batches; bulk work uses
    ``elapsed_into`` on a query.
    """
    ids, starts, ends, p_ids, p_starts, p_ends = [], [], [], [], [], []
    for ticket_id, start, end, pauses in rows:
        if start.tzinfo is None or end.tzinfo is None:
            raise ValueError(f"ticket {ticket_id!r}: start and end must be time-zone aware")
        if start.astimezone(UTC) > end.astimezone(UTC):  # same-zone datetimes compare by wall clock
            raise ValueError(
                f"ticket {ticket_id!r}: start {start.isoformat()} is after end {end.isoformat()}"
            )
        merge_pauses(pauses, start.astimezone(UTC))  # the same pause checks as the Python form
        ids.append(ticket_id)
        starts.append(start)
        ends.append(end)
        for ps, pe in pauses:
            p_ids.append(ticket_id)
            p_starts.append(ps)
            p_ends.append(pe)
    load = (
        "CREATE TEMP TABLE {} ON COMMIT DROP AS SELECT * FROM unnest(%s::bigint[], %s::timestamptz[], "
        "%s::timestamptz[]) AS t(id, start_at, end_at)"
    )
    with transaction.atomic(using=using), connections[using].cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS pg_temp.bt_many_tickets, pg_temp.bt_many_pauses")
        cur.execute(load.format("bt_many_tickets"), [ids, starts, ends])
        cur.execute(load.format("bt_many_pauses"), [p_ids, p_starts, p_ends])
        cur.execute("ANALYZE bt_many_tickets")
        cur.execute("ANALYZE bt_many_pauses")
        table = elapsed_into(
            cal,
            "SELECT id, start_at, end_at FROM bt_many_tickets",
            "SELECT id, start_at, end_at FROM bt_many_pauses",
            into="bt_many_elapsed",
            using=using,
        )
        cur.execute(f"SELECT id, elapsed FROM {table}")
        result = dict(cur.fetchall())
        cur.execute(f"DROP TABLE pg_temp.bt_many_tickets, pg_temp.bt_many_pauses, pg_temp.{table}")
    return result
