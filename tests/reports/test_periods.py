import datetime as dt

import pytest

from reports import periods


@pytest.mark.parametrize(
    "text,kind,start",
    [
        ("2026-10", "month", dt.date(2026, 10, 1)),
        ("2026-01", "month", dt.date(2026, 1, 1)),
        ("2026-Q3", "quarter", dt.date(2026, 7, 1)),
        ("2026-q1", "quarter", dt.date(2026, 1, 1)),
        ("2026", "year", dt.date(2026, 1, 1)),
    ],
)
def test_parse(text, kind, start):
    assert periods.parse(text) == (kind, start)


@pytest.mark.parametrize("text", ["", "2026-13", "2026-00", "2026-Q5", "26-10", "2026-10-01", "x"])
def test_parse_refuses(text):
    with pytest.raises(ValueError):
        periods.parse(text)


def test_label_round_trip():
    assert periods.label("month", dt.date(2026, 3, 1)) == "2026-03"
    assert periods.label("quarter", dt.date(2026, 10, 1)) == "2026-Q4"
    assert periods.label("year", dt.date(2026, 1, 1)) == "2026"
    for text in ("2026-03", "2026-Q4", "2026"):
        assert periods.label(*periods.parse(text)) == text
    with pytest.raises(ValueError):
        periods.label("quarter", dt.date(2026, 2, 1))
