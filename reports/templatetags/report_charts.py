"""Charts and figures of the report in templates: {% load report_charts %}.

{% sparkline metric %} / {% satisfaction_trend satisfaction %} / {% distribution satisfaction %}
draw SVG (reports.charts) with a text alternative in the page's language; the filters
format the snapshot's strings (values in the metric's unit, changes, instants, periods).
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from types import SimpleNamespace
from zoneinfo import ZoneInfo

from django import template
from django.utils import formats
from django.utils.html import format_html
from django.utils.translation import gettext as _

from agreements.templatetags.agreement_format import EMPTY, metric_value, number, percent
from reports import charts
from reports.rendering import text

register = template.Library()


def _short_period(kind: str, start: str) -> str:
    day = dt.date.fromisoformat(start)
    if kind == "quarter":
        return f"{day.year}-Q{(day.month - 1) // 3 + 1}"
    if kind == "year":
        return str(day.year)
    return f"{day.year}-{day.month:02d}"


def _shown(value):
    """At most two decimals on the page (98.8636 -> 98.86); the files keep every digit."""
    number = text.decimal(value)
    if number is None:
        return value
    return (
        number.quantize(Decimal("0.01"), ROUND_HALF_UP)
        if number.as_tuple().exponent < -2
        else number
    )


@register.filter
def mvalue(value, metric):
    """A value in the metric's unit ("13 h 30 min", "99.72 %", "4.3 / 5")."""
    return metric_value(_shown(value), SimpleNamespace(unit=(metric or {}).get("unit", "")))


@register.filter
def period_name(period):
    """The snapshot's period ({kind, start}) as people name it, in the page's language."""
    return text.period_name(period["kind"], period["start"])


@register.filter
def instant(value, zone="UTC"):
    """An ISO instant shown in the agreement's time zone: "2026-10-29 14:12"."""
    if not value:
        return EMPTY
    moment = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return formats.date_format(moment.astimezone(ZoneInfo(zone or "UTC")), "Y-m-d H:i")


@register.filter
def isodate(value):
    if not value:
        return None
    return dt.date.fromisoformat(str(value)[:10])


@register.simple_tag
def change_of(metric):
    """The change against the previous period: an arrow, the amount in the metric's unit, and
    whether that is better or worse (in words, not only colour)."""
    delta = text.decimal(metric.get("change"))
    if delta is None:
        return EMPTY
    if delta == 0:
        return format_html('<span class="change same">{}</span>', _("unchanged"))
    lower_better = str(metric.get("direction", "")).startswith("lower")
    better = (delta < 0) if lower_better else (delta > 0)
    unit = metric.get("unit", "")
    amount = metric_value(_shown(abs(delta)), SimpleNamespace(unit=unit))
    return format_html(
        '<span class="change {}"><span aria-hidden="true">{}</span> {} <span class="change-word">{}</span></span>',
        "better" if better else "worse",
        "▲" if delta > 0 else "▼",
        amount,
        _("better") if better else _("worse"),
    )


@register.simple_tag
def sparkline(metric, kind="month"):
    history = metric.get("history") or []
    values = [h.get("value") for h in history]
    known = [
        f"{_short_period(kind, h['start'])} {metric_value(h['value'], SimpleNamespace(unit=metric.get('unit', '')))}"
        for h in history
        if h.get("value") is not None
    ]
    if known:
        label = _("%(metric)s over the last %(n)s periods: %(values)s") % {
            "metric": metric.get("name", ""),
            "n": len(history),
            "values": ", ".join(known),
        }
    else:
        label = _("%(metric)s: no history yet") % {"metric": metric.get("name", "")}
    return charts.sparkline(values, label=label, status=metric.get("status", ""))


@register.simple_tag
def satisfaction_trend(satisfaction, kind="month", width=320, height=120):
    trend = satisfaction.get("trend") or []
    points = [(_short_period(kind, t["start"]), t.get("mean")) for t in trend]
    label = _("Mean satisfaction by period: %(values)s") % {
        "values": ", ".join(
            f"{p} {number(v)} (n={t.get('n', 0)})"
            for (p, v), t in zip(points, trend, strict=True)
            if v is not None
        )
        or EMPTY
    }
    return charts.trend_line(points, label=label, low=1, high=5, width=width, height=height)


@register.simple_tag
def distribution(satisfaction, width=260, height=110):
    counts = satisfaction.get("distribution") or {}
    total = sum(int(v or 0) for v in counts.values())
    label = _("Answers by score: %(values)s") % {
        "values": ", ".join(
            f"{score}: {int(counts.get(str(score)) or 0)}" for score in range(5, 0, -1)
        )
        if total
        else EMPTY
    }
    return charts.distribution_bars(counts, label=label, width=width, height=height)


@register.filter
def pct(value):
    return percent(_shown(value))


@register.filter
def correlation_words(item):
    return text.correlation_words(item)


def _choices():
    from agreements.choices import AgreementStatus, MetricKind, TicketKind
    from metrics.choices import ActionStatus, Status

    return {
        "ticket_kind": dict(TicketKind.choices),
        "metric_kind": dict(MetricKind.choices),
        "agreement_status": dict(AgreementStatus.choices),
        "action_status": dict(ActionStatus.choices),
        "status": dict(Status.choices),
    }


@register.filter
def choice(code, kind):
    """A stored code in words ("service_request" -> "service request"); unknown codes as they are."""
    if code in (None, ""):
        return EMPTY
    return str(_choices().get(kind, {}).get(code, code))


@register.simple_tag
def cause_of(breach, metrics):
    """Why a metric missed, in words, from the snapshot's cause codes."""
    cause = breach.get("cause") or {}
    if isinstance(cause, str):
        return cause
    if cause.get("code") == "late_records":
        words = _("%(late)s of %(n)s missed the target, %(worse)s the minimum") % {
            "late": cause.get("missed_target", 0),
            "n": cause.get("count_all", 0),
            "worse": cause.get("missed_minimum", 0),
        }
        if cause.get("goal"):
            words += _("; the goal is %(goal)s within target") % {"goal": percent(cause["goal"])}
        if cause.get("running_overdue"):
            words += _("; %(n)s still open past the target") % {"n": cause["running_overdue"]}
        return words + _(".")
    if cause.get("code") == "value_missed":
        metric = next((m for m in metrics if m.get("name") == breach.get("metric")), {})
        return _("%(value)s against a target of %(target)s (minimum %(minimum)s).") % {
            "value": mvalue(cause.get("value"), metric),
            "target": mvalue(cause.get("target"), metric),
            "minimum": mvalue(cause.get("minimum"), metric),
        }
    return ""


@register.filter
def dimension_name(dimension):
    from django.utils.translation import get_language

    if (get_language() or "").startswith("zh") and dimension.get("name_zh"):
        return dimension["name_zh"]
    return dimension.get("name") or dimension.get("code") or EMPTY


@register.filter
def record_kind(code):
    words = {"ticket": _("ticket"), "outage": _("outage"), "delivery": _("delivery")}
    return words.get(code, code or "")


@register.filter
def any_time(records):
    """Whether any record of a breach has a time counted (else the column is left out)."""
    return any(r.get("elapsed_minutes") or r.get("window_minutes") for r in records or [])
