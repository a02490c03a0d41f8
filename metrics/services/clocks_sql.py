"""Per-ticket SLA clocks computed set-based in PostgreSQL: the same values as the Python
engine (`clocks.clocks_for`, the reference), for a whole batch of tickets in a few statements.

Due instants need the inverse of working time. With W (decision 002: working time since an
origin, held in constant arrays per calendar), a ticket's un-paused working time up to x is
W(x) - W(start) minus the working time of its pauses before x. Its gaps between pauses each
hold a known amount of work, so the due instant for N microseconds of work lies in the first
gap whose running total reaches N, at W-inverse(W(gap start) + N - work of earlier gaps);
W-inverse is a binary search over the sorted `before` array (`WorkingTime.inverse`). Tickets
without pauses (most) skip the gaps: due = W-inverse(W(start) + N).

Steps per batch (inside the caller's transaction): the candidate clocks (ticket x time metric
of the version in force when it was opened, tier, kind and category) go to a temp table; per
calendar, one statement computes and upserts them (rows that did not change are not
rewritten); then the clocks no metric covers any more are deleted.
"""

from __future__ import annotations

import datetime as dt
import json

from django.db import connection

from metrics.business_time import due
from metrics.business_time_sql import MAX_SPAN, WorkingTime, working_time

from ..models import ClockWarning, TicketClock
from .clocks import CLOCK_COLUMNS
from .pgarrays import array_literal
from .terms import FamilyTerms

_US = dt.timedelta(microseconds=1)


class Unsupported(Exception):
    """The batch needs the Python engine (a span too long for the arrays, a due time past
    the engine's five-year scan)."""


def plan_rows(terms: dict[object, FamilyTerms]) -> tuple[dict, dict, dict]:
    """Versions (family, agreement, from, to, rank, tz), the time metrics per (version, tier)
    and the calendars by hash, as column lists for unnest."""
    from .clocks import minutes

    versions = {k: [] for k in ("family", "agreement", "start", "end", "rank", "tz")}
    plan = {
        k: []
        for k in (
            "agreement",
            "tier",
            "metric",
            "response",
            "workaround",
            "kinds",
            "categories",
            "target",
            "minimum",
            "period",
            "tz",
            "calendar_id",
            "calendar_hash",
        )
    }
    calendars = {}
    for family, t in terms.items():
        for rank, version in enumerate(t.versions):
            a = version.agreement
            for key, value in zip(
                versions,
                (family, a.pk, a.effective_from, a.effective_to, rank, t.tz),
                strict=True,
            ):
                versions[key].append(value)
            for tier, window in version.windows.items():
                for metric in version.time_metrics():
                    if tier not in version.tier_codes[metric.pk]:
                        continue
                    calendars[window.hash] = window.calendar
                    row = (
                        a.pk,
                        tier,
                        metric.pk,
                        metric.kind == "response_time",
                        metric.clock_stop == "workaround",
                        json.dumps(list(metric.ticket_kinds or [])),
                        json.dumps(list(metric.ticket_categories or [])),
                        minutes(metric.target) // _US,
                        minutes(metric.minimum_acceptable) // _US,
                        metric.period,
                        t.tz,
                        window.calendar_id,
                        window.hash,
                    )
                    for key, value in zip(plan, row, strict=True):
                        plan[key].append(value)
    return versions, plan, calendars


_CANDIDATES = """
CREATE TEMP TABLE ck_c ON COMMIT DROP AS
WITH v AS (
    SELECT * FROM unnest(%(v_family)s::uuid[], %(v_agreement)s::bigint[], %(v_start)s::date[],
                         %(v_end)s::date[], %(v_rank)s::int[], %(v_tz)s::text[])
        AS v(family, agreement_id, eff_from, eff_to, rank, tz)
), p AS (
    SELECT * FROM unnest(%(p_agreement)s::bigint[], %(p_tier)s::text[], %(p_metric)s::bigint[],
                         %(p_response)s::boolean[], %(p_workaround)s::boolean[],
                         %(p_kinds)s::jsonb[], %(p_categories)s::jsonb[], %(p_target)s::bigint[],
                         %(p_minimum)s::bigint[], %(p_period)s::text[], %(p_tz)s::text[],
                         %(p_calendar_id)s::bigint[], %(p_calendar_hash)s::text[])
        AS p(agreement_id, tier, metric_id, response, workaround, kinds, categories, target_us,
             minimum_us, period, tz, calendar_id, calendar_hash)
), t AS (
    -- the version in force on the local day the ticket was opened (the latest on an overlap)
    SELECT DISTINCT ON (t.id) t.*, v.agreement_id AS version_id
    FROM (
        SELECT t.*, (t.opened_at AT TIME ZONE f.tz)::date AS local_day
        FROM metrics_ticket t JOIN (SELECT DISTINCT family, tz FROM v) AS f USING (family)
        WHERE t.tenant_id = %(tenant)s AND t.id = ANY(%(ids)s::bigint[])
    ) AS t
    JOIN v ON v.family = t.family AND v.eff_from <= t.local_day
          AND (v.eff_to IS NULL OR t.local_day <= v.eff_to)
    ORDER BY t.id, v.rank DESC
)
SELECT t.id AS ticket_id, p.metric_id, p.agreement_id, t.family,
       CASE WHEN p.response THEN 'response' ELSE 'resolution' END AS kind,
       p.calendar_id, p.calendar_hash, t.opened_at AS start_at,
       CASE WHEN p.response THEN t.first_response_at
            WHEN p.workaround AND t.workaround_at IS NOT NULL
                THEN least(t.workaround_at, t.resolved_at)
            ELSE t.resolved_at END AS stop_at,
       p.target_us, p.minimum_us, p.period, p.tz,
       jsonb_array_length(t.pauses) > 0 AS has_pauses,
       EXISTS (SELECT 1 FROM jsonb_array_elements(t.pauses) AS e WHERE e->>1 IS NULL)
           AS open_pause
FROM t JOIN p ON p.agreement_id = t.version_id AND p.tier = t.tier_code
WHERE (p.kinds = '[]'::jsonb OR p.kinds ? t.kind)
  AND (p.categories = '[]'::jsonb OR p.categories ? t.category)
  AND p.minimum_us >= p.target_us
"""

# The pauses of the batch's paused tickets, merged (a piece is the part of a pause no earlier
# one covers) and clipped to the ticket's start; an open pause ends now.
_PAUSES = """
CREATE TEMP TABLE ck_p ON COMMIT DROP AS
SELECT ticket_id, calendar_hash, greatest(lo, start_at) AS lo, hi
FROM (
    SELECT ticket_id, calendar_hash, start_at, greatest(ps, m) AS lo, greatest(pe, m) AS hi,
           m IS NULL OR pe > m AS keep
    FROM (
        SELECT ticket_id, calendar_hash, start_at, ps, pe,
               max(pe) OVER (PARTITION BY ticket_id, calendar_hash ORDER BY ps
                             ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS m
        FROM (
            SELECT DISTINCT c.ticket_id, c.calendar_hash, c.start_at,
                   (e->>0)::timestamptz AS ps,
                   coalesce((e->>1)::timestamptz, greatest(%(now)s, (e->>0)::timestamptz)) AS pe
            FROM ck_c c JOIN metrics_ticket t ON t.id = c.ticket_id,
                 jsonb_array_elements(t.pauses) AS e
            WHERE c.has_pauses AND t.tenant_id = %(tenant)s
        ) AS raw
    ) AS ordered
) AS merged
WHERE keep AND hi > greatest(lo, start_at)
"""


def _statement(wt: WorkingTime) -> str:
    """Compute and upsert the clocks of one calendar; returns the touched periods."""
    us = WorkingTime.us
    w = wt.w
    cols = ", ".join(CLOCK_COLUMNS)
    # A row is rewritten only when a value changed: a calendar edit changes every clock's
    # calendar_hash but the values of few (a day off moves only the clocks that span it), and
    # rewriting a row costs a new version in every index. So calendar_hash records the
    # calendar version that last changed the clock (the ClockRecompute row records the run).
    changed = " OR ".join(
        f"c.{name} IS DISTINCT FROM EXCLUDED.{name}"
        for name in CLOCK_COLUMNS
        if name not in ("ticket_id", "metric_id", "calendar_hash")
    )
    return f"""
    WITH cu AS (
        SELECT c.*, {us("c.start_at")} AS t_start, {us("c.stop_at")} AS t_stop
        FROM ck_c c WHERE c.calendar_hash = %(hash)s
        OFFSET 0
    ), cw AS (
        SELECT cu.*, {w("cu.t_start")} AS w_start,
               CASE WHEN cu.t_stop IS NOT NULL THEN {w("cu.t_stop")} END AS w_stop
        FROM cu, {wt.relation()}
        OFFSET 0
    ), pw AS (
        -- each pause piece with W at its ends
        SELECT pu.ticket_id, pu.lo, {w("pu.t_lo")} AS w_lo, {w("pu.t_hi")} AS w_hi
        FROM (SELECT ticket_id, lo, {us("lo")} AS t_lo, {us("hi")} AS t_hi
              FROM ck_p WHERE calendar_hash = %(hash)s OFFSET 0) AS pu,
             {wt.relation()}
        OFFSET 0
    ), gaps AS (
        -- the gap before each piece: from the previous piece's end (or the start)
        SELECT pw.ticket_id, pw.lo, pw.w_lo, pw.w_hi,
               pw.w_lo - coalesce(lag(pw.w_hi) OVER g, s.w_start) AS work,
               coalesce(lag(pw.w_hi) OVER g, s.w_start) AS gap_w
        FROM pw JOIN (SELECT DISTINCT ticket_id, w_start FROM cw WHERE has_pauses) AS s
          USING (ticket_id)
        WINDOW g AS (PARTITION BY pw.ticket_id ORDER BY pw.lo)
    ), runs AS (
        SELECT gaps.*, (sum(work) OVER (PARTITION BY ticket_id ORDER BY lo
                                        ROWS UNBOUNDED PRECEDING))::bigint AS done
        FROM gaps
    ), paused AS (
        -- per paused clock: W to reach for the target and the minimum, paused work at stop
        SELECT cw.ticket_id, cw.metric_id,
               coalesce(
                   (array_agg(r.gap_w + cw.target_us - (r.done - r.work) ORDER BY r.lo)
                        FILTER (WHERE r.done >= cw.target_us))[1],
                   max(r.w_hi) + cw.target_us - max(r.done)) AS v_target,
               coalesce(
                   (array_agg(r.gap_w + cw.minimum_us - (r.done - r.work) ORDER BY r.lo)
                        FILTER (WHERE r.done >= cw.minimum_us))[1],
                   max(r.w_hi) + cw.minimum_us - max(r.done)) AS v_minimum,
               sum(greatest(least(r.w_hi, cw.w_stop) - least(r.w_lo, cw.w_stop), 0))::bigint
                   AS paused_us
        FROM cw JOIN runs r USING (ticket_id)
        WHERE cw.has_pauses
        GROUP BY cw.ticket_id, cw.metric_id, cw.target_us, cw.minimum_us
    ), vs AS (
        SELECT cw.*, coalesce(pa.v_target, cw.w_start + cw.target_us) AS v_target,
               coalesce(pa.v_minimum, cw.w_start + cw.minimum_us) AS v_minimum,
               coalesce(pa.paused_us, 0) AS paused_us
        FROM cw LEFT JOIN paused pa USING (ticket_id, metric_id)
    ), vb AS (
        SELECT vs.*, {wt.bucket("vs.v_target")} AS b_target,
               {wt.bucket("vs.v_minimum")} AS b_minimum
        FROM vs, {wt.relation()}
        OFFSET 0
    ), dues AS (
        SELECT vb.*,
               CASE WHEN vb.target_us = 0 THEN vb.start_at
                    ELSE %(bt_origin)s + {wt.inverse("vb.v_target", "vb.b_target")}
                         * interval '1 microsecond' END AS due_target_at,
               CASE WHEN vb.minimum_us = 0 THEN vb.start_at
                    ELSE %(bt_origin)s + {wt.inverse("vb.v_minimum", "vb.b_minimum")}
                         * interval '1 microsecond' END AS due_minimum_raw,
               CASE WHEN vb.stop_at IS NOT NULL
                    THEN vb.w_stop - vb.w_start - vb.paused_us END AS worked_us
        FROM vb, {wt.relation()}
    ), clocks AS (
        SELECT d.*,
               CASE WHEN d.minimum_us = d.target_us THEN d.due_target_at
                    ELSE d.due_minimum_raw END AS due_minimum_at,
               CASE WHEN d.stop_at IS NULL
                    THEN CASE WHEN d.open_pause THEN 'paused' ELSE 'running' END
                    WHEN d.worked_us <= d.target_us THEN 'within_target'
                    WHEN d.worked_us <= d.minimum_us THEN 'within_minimum'
                    ELSE 'missed' END AS state
        FROM dues d
    ), rows AS (
        SELECT ticket_id, metric_id, agreement_id, family, kind, calendar_id, calendar_hash,
               start_at AS started_at, due_target_at, due_minimum_at, stop_at AS stopped_at,
               worked_us * interval '1 microsecond' AS elapsed,
               CASE WHEN stop_at IS NOT NULL THEN paused_us * interval '1 microsecond' END
                   AS paused,
               state, least(stop_at, due_minimum_at) AS counts_at,
               date_trunc(period, least(stop_at, due_minimum_at) AT TIME ZONE tz)::date
                   AS period_start
        FROM clocks
    ), written AS (
        INSERT INTO {TicketClock._meta.db_table} AS c (tenant_id, {cols}, computed_at)
        SELECT %(tenant)s, {cols}, now() FROM rows
        ON CONFLICT (tenant_id, ticket_id, metric_id) DO UPDATE
        SET {", ".join(f"{n} = EXCLUDED.{n}" for n in CLOCK_COLUMNS[2:])}, computed_at = now()
        WHERE {changed}
    )
    SELECT DISTINCT family, metric_id, period_start FROM rows
    """


def compute_and_write(tenant_id: int, ticket_ids: list[int], now: dt.datetime, terms: dict):
    """Compute and store the clocks of these tickets; returns the touched (family, metric,
    period) before and after. Raises Unsupported when the Python engine must do it."""
    versions, plan, calendars = plan_rows(terms)
    ids = array_literal(ticket_ids)  # one literal, used four times (see pgarrays)
    params = {"tenant": tenant_id, "ids": ids, "now": now}
    params.update({f"v_{k}": v for k, v in versions.items()})
    params.update({f"p_{k}": v for k, v in plan.items()})
    table = TicketClock._meta.db_table
    touched = []
    with connection.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS pg_temp.ck_c, pg_temp.ck_p")
        cur.execute(
            f"SELECT DISTINCT family, metric_id, period_start FROM {table} "
            "WHERE tenant_id = %s AND ticket_id = ANY(%s::bigint[])",
            [tenant_id, ids],
        )
        touched += cur.fetchall()
        had_clocks = bool(touched)  # none: nothing can be left to delete below
        cur.execute(_CANDIDATES, params)
        cur.execute(_PAUSES, params)
        cur.execute("ANALYZE ck_c")  # temp tables have no statistics otherwise
        cur.execute("ANALYZE ck_p")
        cur.execute(
            """
            SELECT c.calendar_hash, min(c.start_at),
                   greatest(max(c.start_at), max(c.stop_at), max(p.hi)), max(c.minimum_us)
            FROM ck_c c LEFT JOIN ck_p p USING (ticket_id, calendar_hash)
            GROUP BY c.calendar_hash
            """
        )
        groups = cur.fetchall()
        skipped = []
        for cal_hash, lo, hi, most in groups:
            cal = calendars[cal_hash]
            if not cal.has_working_time:
                skipped.append(cal_hash)  # nothing is ever due: no clocks (as the engine)
                continue
            try:
                # Every due time is before this: after the last start and pause, `most`
                # minutes of work suffice.
                end = max(hi, due(cal, hi, dt.timedelta(microseconds=most)))
            except ValueError as error:
                raise Unsupported(str(error)) from None
            if end - lo > MAX_SPAN - dt.timedelta(days=2):
                raise Unsupported("span over 25 years")
            wt = working_time(cal, lo, end + dt.timedelta(hours=1))
            cur.execute(_statement(wt), {**params, **wt.params(), "hash": cal_hash})
            touched += [row[:3] for row in cur.fetchall()]
        if skipped:
            cur.execute("DELETE FROM ck_c WHERE calendar_hash = ANY(%s)", [skipped])
        # Clocks of metrics that no longer cover their ticket (a hashed NOT IN: one pass).
        # Every clock written above comes from ck_c, so tickets that had none (new ones)
        # have none to drop.
        gone = f"""
            FROM {table} WHERE tenant_id = %s AND ticket_id = ANY(%s::bigint[])
              AND (ticket_id, metric_id) NOT IN (SELECT ticket_id, metric_id FROM ck_c)
        """
        if had_clocks:
            cur.execute(
                f"DELETE FROM {ClockWarning._meta.db_table} WHERE tenant_id = %s "
                f"AND clock_id IN (SELECT id {gone})",
                [tenant_id, tenant_id, ids],
            )
            cur.execute(f"DELETE {gone}", [tenant_id, ids])
        cur.execute("DROP TABLE pg_temp.ck_c, pg_temp.ck_p")
    return touched
