"""Working time for many tickets at once, set-based in PostgreSQL.

Same semantics and the same results, to the microsecond, as ``metrics.business_time``
(the Python form). It is a prefix sum:

1. Python lays out the calendar's working intervals (``working_intervals``: DST,
   holidays and night shifts are resolved by the very same code) over the span the
   tickets need, and cuts the span into *segments* at every hour (UTC) and at every
   start of a working interval. A segment ``[lo, hi)`` is then working from ``lo`` to
   ``wend`` and idle from ``wend`` to ``hi``. With W(x) the working time from the
   span's origin to x, and ``base = lo - W(lo)``:

       W(x) = least(x, wend) - base          for the segment holding x

   and ``elapsed(a, b) = W(b) - W(a)``. A year is about 9,000 segments.
2. The segments go into a temp table; an instant finds its segment by a hash join on
   its hour (``date_bin``) plus a range filter (an hour usually holds one segment).
3. Pauses are merged per ticket (overlaps count once), clipped to the ticket, and each
   piece subtracts ``W(end) - W(start)``.

Results are ``interval`` in SQL and ``timedelta`` in Python. Only temp tables are
used (no migrations, no tenant tables): the caller hands in the SQL that yields its
tickets, and rows never pass through Python.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections, transaction

from metrics.business_time import Calendar, Pause, merge_pauses, working_intervals

__all__ = [
    "Segments",
    "elapsed_into",
    "elapsed_many",
    "elapsed_sql",
    "load_segments",
    "segment_rows",
]

BUCKET = timedelta(hours=1)
MAX_SPAN = timedelta(days=100 * 366)  # refuse absurd spans rather than build millions of rows
_US = timedelta(microseconds=1)
_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,50}$")
_WORK_MEM = "64MB"  # sorts and hashes of a bulk run; SET LOCAL, so this transaction only


@dataclass(frozen=True)
class Segments:
    """A loaded temp table of segments covering the instants [origin, end)."""

    table: str
    origin: datetime
    end: datetime

    def w(self, instant_sql: str, alias: str) -> tuple[str, str]:
        """(JOIN clause, W expression) for an instant expression, via segment `alias`.

        Needs the query parameter ``bt_origin`` = ``self.origin``.
        """
        join = (
            f"JOIN {self.table} AS {alias} ON {alias}.bucket = "
            f"date_bin('1 hour', {instant_sql}, %(bt_origin)s) "
            f"AND {instant_sql} >= {alias}.lo AND {instant_sql} < {alias}.hi"
        )
        return join, f"(least({instant_sql}, {alias}.wend) - {alias}.base)"


def _name(name: str) -> str:
    if not _NAME.match(name):
        raise ValueError(f"temp table name must be a plain lower-case identifier, got {name!r}")
    return name


def segment_rows(
    cal: Calendar, origin: datetime, end: datetime
) -> list[tuple[datetime, datetime, int, int]]:
    """(lo, hi, w_us, wlen_us) segments of [origin, end); origin and end on whole hours (UTC).

    w is the working time from origin to lo, wlen the working prefix of the segment.
    Cut at every hour and every start of a working interval, a segment can only be
    working for a prefix: an interval either holds its lo or starts at a later cut.
    """
    intervals = list(working_intervals(cal, origin, end))
    hours = (end - origin) // BUCKET
    cuts = sorted({origin + k * BUCKET for k in range(hours + 1)} | {s for s, _ in intervals})
    rows, done, i = [], timedelta(0), 0
    for lo, hi in itertools.pairwise(cuts):
        while i < len(intervals) and intervals[i][1] <= lo:
            i += 1
        inside = i < len(intervals) and intervals[i][0] <= lo
        wlen = min(intervals[i][1], hi) - lo if inside else timedelta(0)
        rows.append((lo, hi, done // _US, wlen // _US))
        done += wlen
    return rows


def _array(values: Iterable[int]) -> str:
    return "{" + ",".join(map(str, values)) + "}"


def load_segments(
    cal: Calendar,
    start: datetime,
    end: datetime,
    *,
    table: str = "bt_segments",
    using: str = DEFAULT_DB_ALIAS,
) -> Segments:
    """Create (replacing) a temp table of segments covering the instants [start, end]."""
    table = _name(table)
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("start and end must be time-zone aware")
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    if start > end:
        raise ValueError(f"start {start.isoformat()} is after end {end.isoformat()}")
    if end - start > MAX_SPAN:
        raise ValueError(
            f"the span {start.isoformat()} .. {end.isoformat()} is over 100 years; check the data"
        )
    origin = start.replace(minute=0, second=0, microsecond=0)
    stop = origin + ((end - origin) // BUCKET + 1) * BUCKET  # the hour holding `end` too
    rows = segment_rows(cal, origin, stop)
    with connections[using].cursor() as cur:
        cur.execute(f"DROP TABLE IF EXISTS pg_temp.{table}")
        # Instants travel as microseconds after origin, in array literals: far quicker to
        # send and parse than thousands of timestamp literals, and exact.
        cur.execute(
            f"""
            CREATE TEMP TABLE {table} AS
            SELECT date_bin('1 hour', s.lo, %(origin)s) AS bucket, s.lo, s.hi,
                   s.lo + s.wlen_us * interval '1 microsecond' AS wend,
                   s.lo - s.w_us * interval '1 microsecond' AS base
            FROM (
                SELECT %(origin)s + lo_us * interval '1 microsecond' AS lo,
                       %(origin)s + hi_us * interval '1 microsecond' AS hi, w_us, wlen_us
                FROM unnest(%(lo)s::bigint[], %(hi)s::bigint[], %(w)s::bigint[], %(wlen)s::bigint[])
                     AS u(lo_us, hi_us, w_us, wlen_us)
            ) AS s
            """,
            {
                "origin": origin,
                "lo": _array((r[0] - origin) // _US for r in rows),
                "hi": _array((r[1] - origin) // _US for r in rows),
                "w": _array(r[2] for r in rows),
                "wlen": _array(r[3] for r in rows),
            },
        )
        cur.execute(f"ANALYZE {table}")
    return Segments(table, origin, stop)


def elapsed_sql(segments: Segments, tickets_sql: str, pauses_sql: str | None = None) -> str:
    """SQL yielding (id, elapsed interval) per ticket, to run or to embed.

    ``tickets_sql`` yields id, start_at, end_at; ``pauses_sql`` (optional) yields
    id, start_at, end_at per pause. Both are trusted SQL with %(name)s parameters (a
    literal % is written %%); the statement needs ``bt_origin`` = ``segments.origin``
    too. With pauses, ``tickets_sql`` appears twice. Every ticket instant must lie
    inside the segments' span (``elapsed_into`` sees to that) and start <= end.
    """
    b_join, w_b = segments.w("tk.start_at", "sb")
    e_join, w_e = segments.w("tk.end_at", "se")
    if pauses_sql is None:
        return f"""
            SELECT tk.id, {w_e} - {w_b} AS elapsed
            FROM ({tickets_sql}) AS tk {b_join} {e_join}
        """
    lo_join, w_lo = segments.w("pc.lo", "pl")
    hi_join, w_hi = segments.w("pc.hi", "ph")
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
            SELECT pm.id, greatest(pm.lo, tk.start_at) AS lo, least(pm.hi, tk.end_at) AS hi
            FROM pm JOIN ({tickets_sql}) AS tk ON tk.id = pm.id
            WHERE pm.lo < tk.end_at AND pm.hi > tk.start_at
        ), pw AS (
            SELECT pc.id, sum({w_hi} - {w_lo}) AS paused
            FROM pc {lo_join} {hi_join}
            GROUP BY pc.id
        )
        SELECT tk.id, {w_e} - {w_b} - coalesce(pw.paused, interval '0') AS elapsed
        FROM ({tickets_sql}) AS tk {b_join} {e_join}
        LEFT JOIN pw ON pw.id = tk.id
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
    on the same connection. Raises ValueError, like the Python form, for a ticket
    without start or end or with start after end, and for such a pause.
    """
    into = _name(into)
    params = dict(params or {})
    with transaction.atomic(using=using), connections[using].cursor() as cur:
        cur.execute(f"SET LOCAL work_mem = '{_WORK_MEM}'")
        span = _check(cur, tickets_sql, pauses_sql, params)
        cur.execute(f"DROP TABLE IF EXISTS pg_temp.{into}")
        if span is None:  # no tickets
            cur.execute(
                f"CREATE TEMP TABLE {into} AS "
                f"SELECT id, interval '0' AS elapsed FROM ({tickets_sql}) AS q",
                params,
            )
            return into
        segments = load_segments(cal, *span, table=f"{into}_seg", using=using)
        params["bt_origin"] = segments.origin
        cur.execute(
            f"CREATE TEMP TABLE {into} AS {elapsed_sql(segments, tickets_sql, pauses_sql)}", params
        )
        cur.execute(f"DROP TABLE pg_temp.{segments.table}")
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
        "CREATE TEMP TABLE {} AS SELECT * FROM unnest(%s::bigint[], %s::timestamptz[], "
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
