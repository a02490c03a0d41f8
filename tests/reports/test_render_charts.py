"""The report's SVG charts: valid SVG, one point per known value, gaps not drawn as zero,
a text alternative, and text escaped."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from django.template import Context, Template
from django.utils import translation

from reports import charts
from tests.reports.sample_snapshot import sample

SVG = "{http://www.w3.org/2000/svg}"


def parse(markup) -> ET.Element:
    root = ET.fromstring(str(markup))
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img" and root.get("aria-label")
    assert root.find(f"{SVG}title").text == root.get("aria-label")
    return root


def points_of(root) -> list[tuple[float, float]]:
    out = []
    for line in root.iter(f"{SVG}polyline"):
        out += [tuple(map(float, p.split(","))) for p in line.get("points").split()]
    return out


def test_a_sparkline_has_one_point_per_value_and_a_dot_in_the_status_colour():
    values = ["28", "27", "30", "26", "25", "24", "26", "25", "23", "24", "25", "22.5"]
    root = parse(charts.sparkline(values, label="First response", status="breached"))
    points = points_of(root)
    assert len(points) == 12
    xs = [x for x, _y in points]
    assert xs == sorted(xs) and len(set(xs)) == 12
    # the highest value (30) is drawn highest (smallest y), the lowest (22.5) lowest
    ys = [y for _x, y in points]
    assert ys.index(min(ys)) == 2 and ys.index(max(ys)) == 11
    last = root.find(f"{SVG}circle[@class='last']")
    assert last.get("fill") == charts.STATUS_COLOURS["breached"]
    assert (float(last.get("cx")), float(last.get("cy"))) == points[-1]


def test_a_gap_breaks_the_line_instead_of_drawing_zero():
    root = parse(charts.sparkline(["1", "2", None, "4", "5", None, "7"], label="x"))
    lines = list(root.iter(f"{SVG}polyline"))
    assert [len(line.get("points").split()) for line in lines] == [2, 2]
    # the lone 7 after a gap is a dot (two circles: it and the "last" marker)
    assert len(list(root.iter(f"{SVG}circle"))) == 2


def test_no_values_draws_nothing_but_keeps_the_text_alternative():
    root = parse(charts.sparkline([None, None], label="no history yet"))
    assert list(root) == [root.find(f"{SVG}title")]


def test_a_flat_line_stays_inside_the_box():
    root = parse(charts.sparkline(["5", "5", "5"], label="flat", height=24))
    assert {y for _x, y in points_of(root)} == {12.0}


def test_the_trend_line_has_a_titled_point_per_known_period_on_a_fixed_scale():
    points = [("2026-01", "4.6"), ("2026-02", None), ("2026-03", "1"), ("2026-04", "5")]
    root = parse(charts.trend_line(points, label="trend", low=1, high=5, height=120))
    circles = root.findall(f".//{SVG}circle[@class='point']")
    assert len(circles) == 3
    assert [c.find(f"{SVG}title").text for c in circles] == [
        "2026-01: 4.6",
        "2026-03: 1",
        "2026-04: 5",
    ]
    ys = [float(c.get("cy")) for c in circles]
    assert ys[2] == 8.0  # 5 is the top of the plot area
    assert ys[1] == 100.0  # 1 is its bottom (120 - 20 of axis labels)


def test_distribution_bars_are_proportional_with_count_and_share_written():
    root = parse(charts.distribution_bars({"1": 1, "2": 0, "3": 3, "4": 8, "5": 16}, label="d"))
    bars = root.findall(f"{SVG}rect")
    assert len(bars) == 5
    widths = [float(b.get("width")) for b in bars]  # 5 first
    assert widths[0] > widths[1] > widths[2] > widths[4] > widths[3]
    assert abs(widths[1] / widths[0] - 0.5) < 0.01
    texts = ["".join(t.itertext()) for t in root.findall(f"{SVG}text")]
    assert "16 · 57 %" in texts and "0 · 0 %" in texts


def test_text_is_escaped():
    root = parse(charts.trend_line([("<b>", "1"), ("&", "2")], label='a "quoted" <label>'))
    assert root.get("aria-label") == 'a "quoted" <label>'
    assert "<b>" in "".join(root.itertext())


def test_the_template_tags_label_the_charts_in_the_page_language():
    snap = sample()
    template = Template(
        "{% load report_charts %}{% sparkline m %}|{% distribution s %}|{% satisfaction_trend s %}"
    )
    with translation.override("en"):
        html = template.render(Context({"m": snap["metrics"][1], "s": snap["satisfaction"]}))
    spark, dist, trend = (parse(part) for part in html.split("|"))
    assert spark.get("aria-label").startswith("Resolution time (P2) over the last 12 periods")
    assert "2026-10 13 h 30 min" in spark.get("aria-label")
    assert len(points_of(spark)) == 12
    assert dist.get("aria-label") == "Answers by score: 5: 15, 4: 8, 3: 3, 2: 1, 1: 1"
    assert len(trend.findall(f".//{SVG}circle[@class='point']")) == 12
