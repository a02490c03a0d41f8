"""Words of the report written from the snapshot in the active language: the period's name,
the summary sentence under the header, the correlation in plain words, the credit rule."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import ngettext


def decimal(value) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def period_name(kind: str, start) -> str:
    """ "October 2026" / "2026年10月", "2026 Q3" / "2026年第3季度", "2026" / "2026年"."""
    if isinstance(start, str):
        start = dt.date.fromisoformat(start)
    if kind == "month":
        return formats.date_format(start, "YEAR_MONTH_FORMAT")
    if kind == "quarter":
        return _("%(year)s Q%(quarter)s") % {
            "year": start.year,
            "quarter": (start.month - 1) // 3 + 1,
        }
    return _("year %(year)s") % {"year": start.year}


def _periods(kind: str, n: int) -> str:
    if kind == "quarter":
        return ngettext("%(n)s quarter", "%(n)s quarters", n) % {"n": n}
    if kind == "year":
        return ngettext("%(n)s year", "%(n)s years", n) % {"n": n}
    return ngettext("%(n)s month", "%(n)s months", n) % {"n": n}


def summary(snapshot: dict) -> str:
    """ "4 of 5 metrics met; Resolution time breached for 2 months running; satisfaction 4.3,
    down 0.2." Built from counts, each missed metric and the overall satisfaction."""
    from agreements.templatetags.agreement_format import number

    counts = snapshot.get("counts") or {}
    measured = (counts.get("metrics") or 0) - (counts.get("no_data") or 0)
    if measured <= 0:
        return _("No metric has data for this period yet.")
    parts = [
        ngettext(
            "%(met)s of %(n)s metric met",
            "%(met)s of %(n)s metrics met",
            measured,
        )
        % {"met": counts.get("met") or 0, "n": measured}
    ]
    kind = (snapshot.get("period") or {}).get("kind", "month")
    for metric in snapshot.get("metrics") or []:
        streak = metric.get("breach_streak") or 0
        if metric.get("status") == "breached":
            if streak >= 2:
                parts.append(
                    _("%(metric)s breached for %(periods)s running")
                    % {"metric": metric["name"], "periods": _periods(kind, streak)}
                )
            else:
                parts.append(_("%(metric)s breached") % {"metric": metric["name"]})
        elif metric.get("status") == "warning":
            parts.append(_("%(metric)s missed its target") % {"metric": metric["name"]})
    satisfaction = snapshot.get("satisfaction") or {}
    mean = decimal((satisfaction.get("overall") or {}).get("mean"))
    if satisfaction.get("available") and mean is not None and not satisfaction.get("withheld"):
        trend = [t for t in satisfaction.get("trend") or [] if t.get("mean") is not None]
        before = decimal(trend[-2]["mean"]) if len(trend) >= 2 else None
        if before is None or before == mean:
            parts.append(_("satisfaction %(mean)s") % {"mean": number(mean)})
        elif mean < before:
            parts.append(
                _("satisfaction %(mean)s, down %(delta)s")
                % {"mean": number(mean), "delta": number(before - mean)}
            )
        else:
            parts.append(
                _("satisfaction %(mean)s, up %(delta)s")
                % {"mean": number(mean), "delta": number(mean - before)}
            )
    return _("%(parts)s.") % {"parts": _("; ").join(parts)}


def correlation_words(item: dict) -> str:
    """A correlation said plainly from core's reading (strength, direction, measure)."""
    strength = item.get("strength")
    if strength in (None, "not_enough") or not item.get("enough"):
        return _("Not enough data yet (%(n)s periods).") % {"n": item.get("n") or 0}
    if strength == "none":
        return _("No link with satisfaction.")
    word = {"weak": _("Weak link"), "moderate": _("Moderate link"), "strong": _("Strong link")}
    positive = item.get("direction") == "positive"
    if item.get("measure") == "compliance_rate":
        sentence = (
            _("periods with more work within target had higher satisfaction.")
            if positive
            else _("periods with more work within target had lower satisfaction.")
        )
    else:
        sentence = (
            _("the higher this value, the higher satisfaction.")
            if positive
            else _("the higher this value, the lower satisfaction.")
        )
    return _("%(strength)s: %(sentence)s") % {
        "strength": word.get(strength, strength),
        "sentence": sentence,
    }
