"""Charts of the report drawn on the server as SVG: a sparkline, a trend line and 1-5
distribution bars. Pure functions (data in, markup out), no JavaScript, colours that print;
every chart is role="img" with a <title> and an aria-label saying what it shows, so a
screen reader and the PDF's text layer have the figures too.

Values are the snapshot's decimal strings (or None for a period without data); a None
breaks the line instead of being drawn as zero.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

INK = "#1d2430"
MUTED = "#8a93a3"
LINE = "#d9dde4"
ACCENT = "#1f5fbf"
STATUS_COLOURS = {"met": "#1c7c3a", "warning": "#a86400", "breached": "#b3261e"}


def _number(value) -> float | None:
    if value is None or value == "":
        return None
    try:
        return float(Decimal(str(value)))
    except (InvalidOperation, ValueError):
        return None


def _fmt(x: float) -> str:
    return f"{x:.1f}".rstrip("0").rstrip(".")


def _svg(width: int, height: int, label: str, body: str, css_class: str) -> SafeString:
    text = escape(label)
    return mark_safe(  # noqa: S308 - every text inside is escaped above or numeric
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart {css_class}" role="img" '
        f'aria-label="{text}" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" preserveAspectRatio="none"><title>{text}</title>{body}</svg>'
    )


def _scale(values: list[float | None], low=None, high=None) -> tuple[float, float]:
    known = [v for v in values if v is not None]
    lo = min(known + ([low] if low is not None else []))
    hi = max(known + ([high] if high is not None else []))
    if hi - lo < 1e-9:  # a flat line sits in the middle
        lo, hi = lo - 1, hi + 1
    return lo, hi


def _runs(coords: list[tuple[float, float] | None]) -> list[list[tuple[float, float]]]:
    """Consecutive known points; a gap (None) starts a new run."""
    runs, current = [], []
    for point in coords:
        if point is None:
            if current:
                runs.append(current)
            current = []
        else:
            current.append(point)
    if current:
        runs.append(current)
    return runs


def _polyline(run, colour, width) -> str:
    if len(run) == 1:
        x, y = run[0]
        return f'<circle cx="{_fmt(x)}" cy="{_fmt(y)}" r="{width}" fill="{colour}"/>'
    points = " ".join(f"{_fmt(x)},{_fmt(y)}" for x, y in run)
    return (
        f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="{width}" '
        'stroke-linejoin="round" stroke-linecap="round"/>'
    )


def sparkline(values, *, label: str, status: str = "", width: int = 96, height: int = 24):
    """A small line of up to 12 values, oldest first; the last point is a dot in the status colour."""
    numbers = [_number(v) for v in values]
    if not any(n is not None for n in numbers):
        return _svg(width, height, label, "", "sparkline empty")
    lo, hi = _scale(numbers)
    pad = 3
    step = (width - 2 * pad) / max(len(numbers) - 1, 1)
    coords = [
        None if n is None else (pad + i * step, pad + (hi - n) / (hi - lo) * (height - 2 * pad))
        for i, n in enumerate(numbers)
    ]
    body = "".join(_polyline(run, MUTED, 1.5) for run in _runs(coords))
    last = next(p for p in reversed(coords) if p is not None)
    colour = STATUS_COLOURS.get(status, INK)
    body += (
        f'<circle class="last" cx="{_fmt(last[0])}" cy="{_fmt(last[1])}" r="2.5" fill="{colour}"/>'
    )
    return _svg(width, height, label, body, "sparkline")


def trend_line(
    points,
    *,
    label: str,
    low=None,
    high=None,
    reference=None,
    width: int = 320,
    height: int = 120,
):
    """A line with a dot per period: `points` is [(axis label, value or None)], oldest first.
    `low`/`high` fix the scale (1 and 5 for satisfaction); `reference` draws a dashed line
    (a target). The first and last axis labels are written under the chart."""
    numbers = [_number(v) for _text, v in points]
    if not any(n is not None for n in numbers):
        return _svg(width, height, label, "", "trend empty")
    ref = _number(reference)
    lo, hi = _scale(numbers + ([ref] if ref is not None else []), _number(low), _number(high))
    left, right, top, bottom = 30, 8, 8, 20
    inner_w, inner_h = width - left - right, height - top - bottom

    def y_of(n: float) -> float:
        return top + (hi - n) / (hi - lo) * inner_h

    step = inner_w / max(len(numbers) - 1, 1)
    coords = [None if n is None else (left + i * step, y_of(n)) for i, n in enumerate(numbers)]
    parts = [
        f'<line x1="{left}" y1="{top + inner_h}" x2="{width - right}" y2="{top + inner_h}" '
        f'stroke="{LINE}" stroke-width="1"/>',
        f'<text x="{left - 4}" y="{_fmt(top + 4)}" text-anchor="end" font-size="9" fill="{MUTED}">{escape(_fmt(hi))}</text>',
        f'<text x="{left - 4}" y="{_fmt(top + inner_h)}" text-anchor="end" font-size="9" fill="{MUTED}">{escape(_fmt(lo))}</text>',
    ]
    if ref is not None:
        y = _fmt(y_of(ref))
        parts.append(
            f'<line class="reference" x1="{left}" y1="{y}" x2="{width - right}" y2="{y}" '
            f'stroke="{MUTED}" stroke-width="1" stroke-dasharray="3 3"/>'
        )
    parts += [_polyline(run, ACCENT, 2) for run in _runs(coords) if len(run) > 1]
    for (text, value), point in zip(points, coords, strict=True):
        if point is not None:
            parts.append(
                f'<circle class="point" cx="{_fmt(point[0])}" cy="{_fmt(point[1])}" r="2.5" '
                f'fill="{ACCENT}"><title>{escape(text)}: {escape(value)}</title></circle>'
            )
    baseline = height - 5
    parts.append(
        f'<text x="{left}" y="{baseline}" font-size="9" fill="{MUTED}">{escape(points[0][0])}</text>'
    )
    if len(points) > 1:
        parts.append(
            f'<text x="{width - right}" y="{baseline}" text-anchor="end" font-size="9" '
            f'fill="{MUTED}">{escape(points[-1][0])}</text>'
        )
    return _svg(width, height, label, "".join(parts), "trend")


def distribution_bars(distribution: dict, *, label: str, width: int = 260, height: int = 110):
    """Horizontal bars for the scores 5 (top) to 1, each with its count and share written."""
    counts = {score: int((distribution or {}).get(str(score)) or 0) for score in range(1, 6)}
    total = sum(counts.values())
    if not total:
        return _svg(width, height, label, "", "distribution empty")
    row = height / 5
    bar_left, text_w = 18, 64
    bar_max = width - bar_left - text_w
    top = max(counts.values())
    parts = []
    for i, score in enumerate(range(5, 0, -1)):
        y = i * row
        count = counts[score]
        w = bar_max * count / top if top else 0
        share = round(100 * count / total)
        parts.append(
            f'<text x="0" y="{_fmt(y + row * 0.7)}" font-size="11" fill="{INK}">{score}</text>'
            f'<rect class="bar" x="{bar_left}" y="{_fmt(y + row * 0.15)}" width="{_fmt(max(w, 0.5))}" '
            f'height="{_fmt(row * 0.7)}" fill="{ACCENT if score >= 4 else MUTED}">'
            f"<title>{score}: {count} ({share} %)</title></rect>"
            f'<text x="{_fmt(bar_left + w + 4)}" y="{_fmt(y + row * 0.7)}" font-size="10" '
            f'fill="{INK}">{count} · {share} %</text>'
        )
    return _svg(width, height, label, "".join(parts), "distribution")
