"""The report body as HTML: `templates/reports/_report_body.html` from a snapshot. The page,
the PDF and the public link all render it through `body_context`."""

from __future__ import annotations

from django.template.loader import render_to_string
from django.utils import translation

from . import text

BODY_TEMPLATE = "reports/_report_body.html"


# Every key the templates read, so a snapshot missing a section (an older schema, a test's
# minimal one) renders its empty states instead of failing on a filter argument.
DEFAULTS = {
    "tenant": {"name": ""},
    "agreement": {
        "reference": "",
        "title": "",
        "version": "",
        "customer": "",
        "provider": "",
        "currency": "",
        "time_zone": "UTC",
    },
    "period": {"kind": "month", "start": "1970-01-01", "end": "1970-02-01", "is_open": False},
    "generated_at": None,
    "health": "none",
    "counts": {"metrics": 0, "met": 0, "warning": 0, "breached": 0, "no_data": 0},
    "metrics": [],
    "breaches": [],
    "tickets": {"total": 0, "by_tier": [], "by_kind": [], "unresolved": [], "unresolved_total": 0},
    "satisfaction": {
        "available": False,
        "invited": 0,
        "answered": 0,
        "overall": {},
        "csat": {},
        "dimensions": [],
        "distribution": {},
        "terms": [],
        "trend": [],
        "min_n": 0,
        "withheld": False,
    },
    "analysis": {
        "correlations": [],
        "min_n": 6,
        "hint": {"kind": None, "metrics": [], "periods": 0},
    },
    "actions": {"open": [], "overdue": [], "closed": []},
    "follow_ups": {"open": [], "overdue": 0},
    "credits": {
        "percent": None,
        "amount": None,
        "currency": "",
        "cap_percent": None,
        "cap_applied": False,
        "breached_metrics": 0,
        "how": {},
        "months": [],
    },
}


def normalized(snapshot: dict) -> dict:
    """The snapshot with every section and key the templates read (a shallow fill; the
    stored snapshot is not changed)."""
    out = dict(snapshot)
    for key, default in DEFAULTS.items():
        value = out.get(key)
        if isinstance(default, dict):
            out[key] = {**default, **(value or {})}
        elif value is None:
            out[key] = default
    if not out["credits"].get("currency"):
        out["credits"]["currency"] = out["agreement"].get("currency", "")
    out["credits"]["how"] = out["credits"].get("how") or {}
    out["actions"].setdefault("open_total", len(out["actions"]["open"]))
    return out


def body_context(snapshot: dict) -> dict:
    """What the body template needs besides the snapshot: words written in the active language."""
    snapshot = normalized(snapshot)
    counts = snapshot.get("counts") or {}
    return {
        "snap": snapshot,
        "summary": text.summary(snapshot),
        "measured": (counts.get("metrics") or 0) - (counts.get("no_data") or 0),
    }


def render_body(snapshot: dict, *, language: str, extra: dict | None = None) -> str:
    with translation.override(language):
        context = {**body_context(snapshot), "LANGUAGE_CODE": language, **(extra or {})}
        return render_to_string(BODY_TEMPLATE, context)
