"""The report body as HTML: `templates/reports/_report_body.html` from a snapshot. The page,
the PDF and the public link all render it through `body_context`."""

from __future__ import annotations

from django.template.loader import render_to_string
from django.utils import translation

from . import text

BODY_TEMPLATE = "reports/_report_body.html"


def body_context(snapshot: dict) -> dict:
    """What the body template needs besides the snapshot: words written in the active language."""
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
