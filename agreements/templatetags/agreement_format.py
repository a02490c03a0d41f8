"""Numbers as people write them, in the page's language: "99.5 %", "4.5 / 5",
"CNY 55,000.00", "24 h", "2 h 30 min" (not "99.5000 %" or "1440 min").

{% load agreement_format %} then {{ value|number }}, {{ value|percent }},
{{ minutes|duration }}, {{ amount|money:currency }}, {{ value|metric_value:metric }}."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import template
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from agreements.choices import SATISFACTION_SCALE

register = template.Library()
EMPTY = "—"


def _decimal(value) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


@register.filter
def number(value, places=None):
    """Localized, grouped, without trailing zeros (99.5000 -> "99.5"); `places` fixes them."""
    amount = _decimal(value)
    if amount is None:
        return EMPTY
    if places in (None, ""):
        amount = amount.normalize()
        exponent = amount.as_tuple().exponent
        places = max(0, -exponent) if isinstance(exponent, int) else 0
    return number_format(amount, decimal_pos=int(places), use_l10n=True, force_grouping=True)


@register.filter
def percent(value):
    if _decimal(value) is None:
        return EMPTY
    return pgettext("number with percent sign", "%(n)s %%") % {"n": number(value)}


@register.filter
def duration(minutes):
    """Minutes as hours and minutes: 1440 -> "24 h", 150 -> "2 h 30 min", 15 -> "15 min"."""
    amount = _decimal(minutes)
    if amount is None:
        return EMPTY
    if amount != amount.to_integral_value() or amount < 60:
        return _("%(n)s min") % {"n": number(amount)}
    hours, rest = divmod(int(amount), 60)
    if rest:
        return _("%(h)s h %(m)s min") % {"h": number(hours), "m": rest}
    return _("%(h)s h") % {"h": number(hours)}


@register.filter
def money(amount, currency=""):
    """ "CNY 55,000.00": the currency code first, always two decimals."""
    if _decimal(amount) is None:
        return EMPTY
    text = number(amount, 2)
    return f"{currency} {text}" if currency else text


@register.filter
def metric_value(value, metric):
    """A target or threshold in the metric's unit."""
    if _decimal(value) is None:
        return EMPTY
    unit = getattr(metric, "unit", "") or ""
    if unit == "min":
        return duration(value)
    if unit == "%":
        return percent(value)
    if unit == "score":
        return _("%(n)s / %(max)s") % {"n": number(value), "max": SATISFACTION_SCALE[1]}
    if unit == "count":
        return number(value)
    label = unit_label(unit)
    return f"{number(value)} {label}".strip()


@register.filter
def unit_label(unit):
    from agreements.forms import METRIC_UNITS

    return str(dict(METRIC_UNITS).get(unit, unit))


@register.filter
def country_name(code):
    """ "CN" -> "China" / "中国" (the page's language)."""
    if not code:
        return EMPTY
    from django.utils.translation import get_language, to_locale

    from agreements.forms_catalog import _country_names

    return _country_names(to_locale(get_language() or "en")).get(code, code)
