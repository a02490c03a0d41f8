"""The report as a workbook (one sheet per section, openpyxl write-only) and its indicator
table as CSV (UTF-8 with a BOM, so Excel opens Chinese). Numbers are written as numbers
(the snapshot's decimal strings become Decimals), headers in the requested language."""

from __future__ import annotations

import csv
import datetime as dt
import io
from zoneinfo import ZoneInfo

from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from .text import decimal, period_name


def _n(value):
    """A decimal string as a number; None stays empty."""
    number = decimal(value)
    if number is None:
        return None
    return int(number) if number == number.to_integral_value() and abs(number) < 10**15 else number


def _when(value, zone: str):
    if not value:
        return None
    moment = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return moment.astimezone(ZoneInfo(zone or "UTC")).replace(tzinfo=None)


def _status(code) -> str:
    from metrics.choices import Status

    return str(dict(Status.choices).get(code, code or ""))


def indicator_rows(snap: dict) -> tuple[list[str], list[list]]:
    header = [
        _("Metric"),
        _("Kind"),
        _("Unit"),
        _("Target"),
        _("Minimum"),
        _("Actual"),
        _("Within target (%)"),
        _("Status"),
        _("Previous"),
        pgettext("difference against the previous period", "Change"),
        _("Records (n)"),
        _("Periods missed in a row"),
    ]
    from agreements.choices import MetricKind

    kinds = dict(MetricKind.choices)
    rows = [
        [
            m["name"],
            str(kinds.get(m["kind"], m["kind"])),
            m.get("unit", ""),
            _n(m.get("target")),
            _n(m.get("minimum")),
            _n(m.get("value")),
            _n(m.get("compliance_rate")),
            _status(m.get("status")),
            _n((m.get("previous") or {}).get("value")),
            _n(m.get("change")),
            m.get("count_all"),
            m.get("breach_streak"),
        ]
        for m in snap.get("metrics") or []
    ]
    return header, rows


def _sheets(snap: dict) -> list[tuple[str, list[list]]]:
    """(title, rows) per section; the first row of each is its header."""
    zone = snap["agreement"].get("time_zone") or "UTC"
    period = snap["period"]
    agreement = snap["agreement"]
    counts = snap.get("counts") or {}
    sat = snap.get("satisfaction") or {}
    credits = snap.get("credits") or {}
    tickets = snap.get("tickets") or {}
    overview = [
        [_("Field"), _("Value")],
        [_("Organisation"), snap["tenant"]["name"]],
        [_("Agreement"), agreement["reference"]],
        [_("Title"), agreement["title"]],
        [_("Version"), agreement["version"]],
        [_("Customer"), agreement.get("customer")],
        [_("Provider"), agreement.get("provider")],
        [_("Period"), period_name(period["kind"], period["start"])],
        [_("Overall health"), snap.get("health")],
        [_("Metrics"), counts.get("metrics")],
        [_("Met"), counts.get("met")],
        [_("Warnings"), counts.get("warning")],
        [_("Breached"), counts.get("breached")],
        [_("Without data"), counts.get("no_data")],
        [_("Figures as of"), _when(snap.get("generated_at"), zone)],
    ]
    header, rows = indicator_rows(snap)
    breaches = [
        [
            _("Metric"),
            _("Status"),
            _("Record"),
            _("Kind"),
            _("Priority"),
            _("Opened"),
            _("Time counted (min)"),
        ]
    ]
    for b in snap.get("breaches") or []:
        for r in b.get("records") or [{}]:
            breaches.append(
                [
                    b["metric"],
                    _status(b.get("status")),
                    r.get("external_id"),
                    r.get("kind"),
                    r.get("tier"),
                    _when(r.get("opened_at") or r.get("due_at"), zone),
                    _n(r.get("elapsed_minutes") or r.get("window_minutes")),
                ]
            )
    ticket_rows = [[_("Group"), _("Value"), _("Tickets")], [_("All"), "", tickets.get("total", 0)]]
    ticket_rows += [[_("Priority"), t["tier"], t["count"]] for t in tickets.get("by_tier") or []]
    ticket_rows += [[_("Kind"), t["kind"], t["count"]] for t in tickets.get("by_kind") or []]
    ticket_rows += [
        [_("Unresolved at the end of the period"), "", tickets.get("unresolved_total", 0)]
    ]
    ticket_rows += [
        [
            _("Unresolved"),
            t["external_id"],
            None,
            t.get("tier"),
            t.get("kind"),
            t.get("category"),
            _when(t.get("opened_at"), zone),
        ]
        for t in tickets.get("unresolved") or []
    ]
    satisfaction = [[_("Measure"), _("Value"), "n"]]
    if sat.get("available") and not sat.get("withheld"):
        satisfaction += [
            [_("Invited"), sat.get("invited"), None],
            [_("Answered"), sat.get("answered"), None],
            [_("Response rate (%)"), _n(sat.get("response_rate")), None],
            [
                _("Overall mean (1-5)"),
                _n((sat.get("overall") or {}).get("mean")),
                (sat.get("overall") or {}).get("n"),
            ],
            [
                _("CSAT (%)"),
                _n((sat.get("csat") or {}).get("value")),
                (sat.get("csat") or {}).get("n"),
            ],
        ]
        zh = (translation.get_language() or "").startswith("zh")
        satisfaction += [
            [
                (d.get("name_zh") if zh and d.get("name_zh") else d.get("name")),
                _n(d.get("mean")),
                d.get("n"),
            ]
            for d in sat.get("dimensions") or []
        ]
        satisfaction += [
            [
                _("Answers scoring %(score)s") % {"score": s},
                int((sat.get("distribution") or {}).get(str(s)) or 0),
                None,
            ]
            for s in range(5, 0, -1)
        ]
        satisfaction += [
            [_("Term: %(term)s") % {"term": t["term"]}, t["count"], None]
            for t in sat.get("terms") or []
        ]
        satisfaction += [
            [_("Mean in %(period)s") % {"period": t["start"][:7]}, _n(t.get("mean")), t.get("n")]
            for t in sat.get("trend") or []
        ]
    analysis = [[_("Metric"), _("Rank correlation (rho)"), "n", _("Enough data")]]
    analysis += [
        [c["metric"], _n(c.get("rho")), c.get("n"), _("yes") if c.get("enough") else _("no")]
        for c in (snap.get("analysis") or {}).get("correlations") or []
    ]
    actions = [[_("Metric"), _("Owner"), _("Plan due"), _("Status"), _("Overdue")]]
    for group in ("overdue", "open", "closed"):
        for a in (snap.get("actions") or {}).get(group) or []:
            if group == "open" and a.get("overdue"):
                continue  # listed with the overdue ones
            actions.append(
                [
                    a["metric"],
                    a.get("owner"),
                    dt.date.fromisoformat(a["due_date"]) if a.get("due_date") else None,
                    a.get("status"),
                    _("yes") if a.get("overdue") else _("no"),
                ]
            )
    actions.append([])
    actions.append([_("Open follow-ups of low scores"), _("Lowest score"), _("Due"), _("Overdue")])
    actions += [
        [
            f.get("contact") or _("anonymous"),
            f.get("lowest_score"),
            _when(f.get("due_at"), zone),
            _("yes") if f.get("overdue") else _("no"),
        ]
        for f in (snap.get("follow_ups") or {}).get("open") or []
    ]
    credit = [
        [_("Measure"), _("Value")],
        [_("Breached metrics"), credits.get("breached_metrics", 0)],
        [_("Credit (percent of the monthly fee)"), _n(credits.get("percent"))],
        [
            _("Amount (%(currency)s)") % {"currency": credits.get("currency", "")},
            _n(credits.get("amount")),
        ],
        [_("Cap (%)"), _n(credits.get("cap_percent"))],
        [_("Cap applied"), _("yes") if credits.get("cap_applied") else _("no")],
    ]
    return [
        (_("Overview"), overview),
        (_("Indicators"), [header, *rows]),
        (_("Breaches"), breaches),
        (_("Tickets"), ticket_rows),
        (_("Satisfaction"), satisfaction),
        (_("Analysis"), analysis),
        (_("Actions"), actions),
        (_("Credits"), credit),
    ]


def _sheet_title(text: str) -> str:
    for bad in "[]:*?/\\":
        text = text.replace(bad, " ")
    return text[:31]


def render_xlsx(snapshot: dict, *, language: str) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    with translation.override(language):
        book = Workbook(write_only=True)
        for title, rows in _sheets(snapshot):
            sheet = book.create_sheet(_sheet_title(title))
            for index, row in enumerate(rows):
                if index == 0:
                    cells = []
                    for value in row:
                        cell = WriteOnlyCell(sheet, value=value)
                        cell.font = Font(bold=True)
                        cells.append(cell)
                    sheet.append(cells)
                else:
                    sheet.append(row)
        out = io.BytesIO()
        book.save(out)
        return out.getvalue()


def render_csv(snapshot: dict, *, language: str) -> bytes:
    with translation.override(language):
        header, rows = indicator_rows(snapshot)
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(header)
        for row in rows:
            writer.writerow(["" if v is None else v for v in row])
        return ("\ufeff" + out.getvalue()).encode("utf-8")
