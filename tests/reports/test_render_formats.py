"""The report's formats from one snapshot: the HTML body (every section, empty states, both
languages), the PDF (pages, page numbers, tenant name, Chinese text), the workbook (a sheet
per section, numbers as numbers) and the CSV of the indicator table."""

from __future__ import annotations

import csv
import io
import re
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from reports.rendering.html import render_body
from reports.rendering.pdf import render_pdf
from reports.rendering.spreadsheet import render_csv, render_xlsx
from reports.rendering.text import summary
from tests.reports.sample_snapshot import empty, sample


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_the_summary_is_written_from_the_data():
    assert summary(sample()) == (
        "3 of 5 metrics met; Resolution time (P2) breached for 2 months running; "
        "Availability of the ERP missed its target; satisfaction 4.3, down 0.2."
    )
    assert summary(empty()) == "No metric has data for this period yet."
    from django.utils import translation

    with translation.override("zh-hans"):
        assert summary(sample()) == (
            "5 项指标中 3 项达标；Resolution time (P2) 连续 2 个月违约；"
            "Availability of the ERP 未达目标值；满意度 4.3，下降 0.2。"
        )


def test_the_body_shows_every_section_with_its_figures():
    html = render_body(sample(), language="en")
    text = text_of(html)
    for expected in [
        "IT service desk for the Shanghai office",
        "SLA-2026-007",
        "October 2026",
        "Red",
        "13 h 30 min",  # resolution time 810 min in its unit
        "71.4 %",
        "2 periods running",
        "10 of 35 missed the target, 6 the minimum",
        "INC-4431 (customer caused)",
        "INC-4460",
        "2026-10-29 14:12",  # opened 06:12 UTC shown in Asia/Shanghai
        "46.7 %",
        "Speed",
        "响应 × 9",
        "Improvement plan due:",
        "Strong link: periods with more work within target had higher satisfaction.",
        "Not enough data yet (1 periods).",
        "CNY 2,750.00",
        "not reached",
    ]:
        assert expected in text, expected
    assert html.count('role="img"') == 5 + 2  # a sparkline per metric, distribution, trend


def test_the_body_in_chinese_uses_the_chinese_dimension_names():
    text = text_of(render_body(sample(), language="zh-hans"))
    assert "响应速度" in text and "2026年10月" in text


def test_every_section_has_an_empty_state():
    text = text_of(render_body(empty(), language="en"))
    for expected in [
        "No metric has data for this period, so nothing can be judged yet.",
        "No tickets were opened or handled in this period.",
        "Every ticket of the period was resolved.",
        "No satisfaction survey ran for this agreement in this period.",
        "Not enough data: the link between metrics and satisfaction needs at least 6 periods",
        "No improvement actions",
        "No open follow-ups.",
        "No service credit is owed for this period",
    ]:
        assert expected in text, expected


def pdf_text(data: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_pdf_has_page_numbers_the_tenant_and_the_title(language):
    snap = sample()
    snap["agreement"]["title"] = "上海办公室 IT 服务台"
    data, pages = render_pdf(snap, language=language)
    assert data.startswith(b"%PDF-")
    texts = pdf_text(data)
    assert len(texts) == pages and 3 <= pages <= 6
    assert "上海办公室 IT 服务台" in texts[0]
    for number, page in enumerate(texts, start=1):
        assert "Alpha Ltd" in page
        assert f"{number} / {pages}" in page
    assert "SLA-2026-007" in texts[0]
    if language == "zh-hans":
        assert "服务绩效报告" in texts[0] and "核心指标" in texts[0] and "2026年10月" in texts[0]
    else:
        assert "Service performance report".upper() in texts[0].upper()


def test_an_empty_report_is_a_short_pdf():
    data, pages = render_pdf(empty(), language="en")
    assert pages <= 2
    assert "No service credit is owed" in " ".join(pdf_text(data))


def test_the_pdf_fetches_nothing_but_its_stylesheets(monkeypatch):
    from reports.rendering import pdf

    fetched = []
    original = pdf._fetcher

    def spy(allowed):
        fetcher = original(allowed)
        fetch = fetcher.fetch

        def recording(url, headers=None):
            fetched.append(url)
            return fetch(url, headers)

        fetcher.fetch = recording
        return fetcher

    monkeypatch.setattr(pdf, "_fetcher", spy)
    snap = sample()
    snap["agreement"]["title"] = '<img src="http://example.com/x.png"> title'
    render_pdf(snap, language="en")
    assert sorted(u.rsplit("/", 1)[1] for u in fetched) == ["report-pdf.css", "report.css"]
    with pytest.raises(ValueError):
        original({}).fetch("http://example.com/x.png")


def test_the_workbook_has_a_sheet_per_section_with_numbers_as_numbers():
    book = load_workbook(io.BytesIO(render_xlsx(sample(), language="en")))
    assert book.sheetnames == [
        "Overview",
        "Indicators",
        "Breaches",
        "Tickets",
        "Satisfaction",
        "Analysis",
        "Actions",
        "Credits",
    ]
    rows = list(book["Indicators"].values)
    assert rows[0][:7] == (
        "Metric",
        "Kind",
        "Unit",
        "Target",
        "Minimum",
        "Actual",
        "Within target (%)",
    )
    resolution = next(r for r in rows if r[0] == "Resolution time (P2)")
    assert resolution[3:7] == (480, 720, 810, 71.4)
    assert resolution[7] == "breached" and resolution[9] == 50
    credits = dict((r[0], r[1]) for r in book["Credits"].values)
    assert credits["Amount (CNY)"] == 2750
    satisfaction = dict((r[0], r[1]) for r in book["Satisfaction"].values)
    assert satisfaction["Overall mean (1-5)"] == 4.3
    assert isinstance(satisfaction["Response rate (%)"], float)


def test_the_workbook_in_chinese_and_an_empty_one():
    book = load_workbook(io.BytesIO(render_xlsx(sample(), language="zh-hans")))
    assert len(book.sheetnames) == 8
    satisfaction = [r[0] for r in book.worksheets[4].values]
    assert "响应速度" in satisfaction
    empty_book = load_workbook(io.BytesIO(render_xlsx(empty(), language="en")))
    assert len(list(empty_book["Breaches"].values)) == 1  # the header only


def test_the_csv_is_the_indicator_table_with_a_bom():
    data = render_csv(sample(), language="zh-hans")
    assert data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert len(rows) == 1 + 5
    assert len(rows[0]) == 12
    resolution = next(r for r in rows if r[0] == "Resolution time (P2)")
    assert Decimal(resolution[5]) == 810 and Decimal(resolution[6]) == Decimal("71.4")
    on_time = next(r for r in rows if r[0] == "On-time delivery")
    assert on_time[8] == "" and on_time[9] == ""  # no previous period: empty, not 0
