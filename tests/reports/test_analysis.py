"""Pure statistics of the analysis section, with hand-computed values."""

from __future__ import annotations

import math

import pytest

from reports import analysis


def test_ranks_average_ties():
    assert analysis.ranks([10, 20, 20, 5]) == [2, 3.5, 3.5, 1]
    assert analysis.ranks(["3", "3", "3"]) == [2, 2, 2]
    assert analysis.ranks([]) == []


def test_spearman_without_ties_matches_the_textbook_formula():
    # d = rank differences 0, 0, 1, -1, 0 -> rho = 1 - 6 x 2 / (5 x 24) = 0.9
    assert analysis.spearman([1, 2, 3, 4, 5], [10, 20, 40, 30, 50]) == pytest.approx(0.9)
    assert analysis.spearman([1, 2, 3], [3, 2, 1]) == pytest.approx(-1.0)


def test_spearman_with_ties_is_pearson_of_average_ranks():
    # x ranks 5.5, 4, 5.5, 3, 1, 2; y ranks 6, 4.5, 4.5, 2.5, 1, 2.5 (see scenario.py):
    # 15.75 / sqrt(17 x 16.5)
    rho = analysis.spearman([100, 75, 100, 50, 25, 40], ["4.5", "4", "4", "3.5", "3", "3.5"])
    assert rho == pytest.approx(15.75 / math.sqrt(17 * 16.5))
    assert round(rho, 4) == 0.9404


def test_constant_or_short_series_have_no_rho():
    assert analysis.spearman([1, 1, 1], [1, 2, 3]) is None
    assert analysis.spearman([1], [2]) is None
    assert analysis.spearman([], []) is None


def test_correlation_enough_only_from_the_minimum_n():
    xs, ys = [1, 2, 3, 4, 5], [2, 1, 4, 3, 5]
    five = analysis.correlation(xs, ys)
    assert five == {"rho": "0.8000", "n": 5, "enough": False}
    six = analysis.correlation([*xs, 6], [*ys, 6])
    assert six["n"] == 6 and six["enough"] is True
    # 1 - 6 x 4 / (6 x 35) = 0.885714...
    assert six["rho"] == "0.8857"
    assert analysis.correlation(xs, ys, min_n=5)["enough"] is True
    assert analysis.correlation([1] * 6, list(range(6)))["enough"] is False


@pytest.mark.parametrize(
    "bad",
    [
        lambda: analysis.spearman([1, 2], [1]),
        lambda: analysis.spearman([1, None], [1, 2]),
        lambda: analysis.spearman([1, "x"], [1, 2]),
        lambda: analysis.spearman([1, float("nan")], [1, 2]),
        lambda: analysis.spearman([True, 2], [1, 2]),
        lambda: analysis.correlation([1, 2], [1, 2], min_n=1),
        lambda: analysis.reading("1.5", True),
        lambda: analysis.revision_hint([], {}, 0),
        lambda: analysis.revision_hint([], {"A": -1}, 3),
    ],
)
def test_nonsense_is_refused(bad):
    with pytest.raises(ValueError):
        bad()


@pytest.mark.parametrize(
    "rho,expected",
    [
        ("0.05", ("none", "none")),
        ("-0.3", ("weak", "negative")),
        ("0.5", ("moderate", "positive")),
        ("-0.9404", ("strong", "negative")),
        ("1", ("strong", "positive")),
    ],
)
def test_reading(rho, expected):
    r = analysis.reading(rho, True)
    assert (r["strength"], r["direction"]) == expected
    assert analysis.reading(rho, False) == {"strength": "not_enough", "direction": "none"}
    assert analysis.reading(None, True)["strength"] == "not_enough"


def good(rate="96", sat="4.8", status="met"):
    return {"satisfaction": sat, "metrics": [{"compliance_rate": rate, "status": status}]}


def test_tighten_after_three_compliant_satisfied_periods():
    assert analysis.revision_hint([good(), good(), good()], {"A": 0}, 3) == {
        "kind": "tighten",
        "metrics": [],
        "periods": 3,
    }
    # Only two in a row at the end: a miss before them breaks the run.
    hint = analysis.revision_hint([good(), good(rate="94.99"), good(), good()], {}, 3)
    assert hint == {"kind": None, "metrics": [], "periods": 2}
    # Satisfaction 4.79 or missing breaks it too.
    assert analysis.revision_hint([good(), good(sat="4.79"), good()], {}, 3)["kind"] is None
    assert analysis.revision_hint([good(), good(sat=None), good()], {}, 3)["kind"] is None


def test_compliance_rule_for_metrics_without_a_rate():
    # Downtime or a score has no rate: it must be met.
    assert analysis.period_compliant([{"compliance_rate": None, "status": "met"}])
    assert not analysis.period_compliant([{"compliance_rate": None, "status": "warning"}])
    # 95 % exactly counts; no data is left out, but a period needs some data.
    assert analysis.period_compliant(
        [
            {"compliance_rate": "95", "status": "warning"},
            {"compliance_rate": None, "status": "no_data"},
        ]
    )
    assert not analysis.period_compliant([{"compliance_rate": None, "status": "no_data"}])
    assert not analysis.period_compliant([])


def test_improvement_plan_when_a_metric_keeps_breaching():
    hint = analysis.revision_hint([good()] * 4, {"Response": 3, "Availability": 2, "X": 4}, 3)
    assert hint == {"kind": "improvement_plan", "metrics": ["Response", "X"], "periods": 4}
    assert analysis.revision_hint([], {"Response": 2}, 3)["kind"] is None
