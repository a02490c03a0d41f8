"""The report page: live while nothing is published, else the latest revision (or the one
asked for), a bounded number of queries, the period picker, the redirect to the latest
complete period, both languages; and the files of a published revision: requested by a
viewer, built once by the task, downloaded with its name, failed ones retried."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
import time_machine
from django.urls import reverse
from openpyxl import load_workbook

from reports.choices import FileState
from reports.models import ReportFile
from reports.services import files
from slaweb.tenancy.context import tenant_context
from tests.factories.reports import ReportFactory
from tests.reports.sample_snapshot import sample

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 11, 10, 4, 0, tzinfo=dt.UTC)


def page_url(tenant, family, period="2026-10", **query):
    url = reverse("reports:report", args=[tenant.slug, family, period])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def published(agreement, revision=1, metrics_times=1, **changes):
    snap = sample()
    snap["metrics"] = snap["metrics"] * metrics_times
    snap["agreement"].update(id=agreement.pk, family=str(agreement.family))
    for key, value in changes.items():
        snap["agreement"][key] = value
    return ReportFactory(
        tenant=agreement.tenant,
        agreement=agreement,
        period_start=dt.date(2026, 10, 1),
        period_end=dt.date(2026, 11, 1),
        revision=revision,
        health="red",
        snapshot=snap,
    )


@pytest.fixture
def viewer(client, viewer_a):
    client.force_login(viewer_a.user)
    return client


@time_machine.travel(NOW, tick=False)
def test_the_live_page_shows_the_builder_snapshot_and_offers_no_download_yet(
    viewer, tenant_a, agreement, django_assert_max_num_queries
):
    with django_assert_max_num_queries(60):
        response = viewer.get(page_url(tenant_a, agreement.family))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Live view" in page and "Not published yet" in page
    assert "SLA-M1" in page and "Server operations" in page and "October 2026" in page
    assert "offered once this report is published" in page
    assert response.context["report"] is None


@time_machine.travel(NOW, tick=False)
def test_the_published_page_shows_the_frozen_snapshot_in_constant_queries(
    viewer, tenant_a, agreement, django_assert_max_num_queries
):
    published(agreement, revision=1)
    second = published(agreement, revision=2, title="Corrected title")
    with django_assert_max_num_queries(16) as queries:  # 3 of them the page's own
        response = viewer.get(page_url(tenant_a, agreement.family))
    page = response.content.decode()
    assert "Published revision 2" in page and "Corrected title" in page
    assert "3 of 5 metrics met; Resolution time (P2) breached for 2 months running" in page
    assert response.context["report"] == second
    # A bigger snapshot (a third revision with ten times the metrics) costs no more queries.
    published_snapshot = published(agreement, revision=3, metrics_times=10)
    with django_assert_max_num_queries(len(queries)):
        response = viewer.get(page_url(tenant_a, agreement.family))
    assert response.context["report"] == published_snapshot
    assert response.content.decode().count('class="chart sparkline') == 50

    first = viewer.get(page_url(tenant_a, agreement.family, revision=1)).content.decode()
    assert "Published revision 1" in first and "Show the latest revision" in first
    assert "IT service desk for the Shanghai office" in first
    assert viewer.get(page_url(tenant_a, agreement.family, revision=9)).status_code == 404


@time_machine.travel(NOW, tick=False)
def test_the_page_in_chinese(viewer, tenant_a, agreement):
    published(agreement)
    viewer.cookies["django_language"] = "zh-hans"
    page = viewer.get(page_url(tenant_a, agreement.family)).content.decode()
    assert "2026年10月" in page and 'lang="zh-hans"' in page


@time_machine.travel(NOW, tick=False)
def test_the_family_url_goes_to_the_latest_complete_period_or_the_one_picked(
    viewer, tenant_a, agreement
):
    base = reverse("reports:report-latest", args=[tenant_a.slug, agreement.family])
    assert viewer.get(base)["Location"] == page_url(tenant_a, agreement.family, "2026-10")
    assert viewer.get(base + "?kind=quarter")["Location"] == page_url(
        tenant_a, agreement.family, "2026-Q3"
    )
    assert viewer.get(base + "?kind=year")["Location"] == page_url(
        tenant_a, agreement.family, "2025"
    )
    assert viewer.get(base + "?period=2026-04")["Location"] == page_url(
        tenant_a, agreement.family, "2026-04"
    )
    assert viewer.get(base + "?period=nonsense")["Location"] == page_url(
        tenant_a, agreement.family, "2026-10"
    )


@time_machine.travel(NOW, tick=False)
def test_the_picker_links_neighbours_and_period_lengths(viewer, tenant_a, agreement):
    response = viewer.get(page_url(tenant_a, agreement.family, "2026-10"))
    picker = response.context["picker"]
    assert picker["previous"] == "2026-09" and picker["next"] == "2026-11"
    assert [k[2] for k in picker["kinds"]] == ["2026-10", "2026-Q4", "2026"]
    later = viewer.get(page_url(tenant_a, agreement.family, "2026-11")).context["picker"]
    assert later["next"] is None  # no link into the future
    assert viewer.get(page_url(tenant_a, agreement.family, "2026-13")).status_code == 404
    older = viewer.get(page_url(tenant_a, agreement.family, "2024-03")).context["picker"]
    assert ("2024-03", "March 2024") in older["recent"]  # the list holds the period shown


def test_an_unknown_family_is_404(viewer, tenant_a):
    url = reverse(
        "reports:report", args=[tenant_a.slug, "6f1c1a52-3c0e-4b7a-9a52-1f2f3b4c5d6e", "2026-10"]
    )
    assert viewer.get(url).status_code == 404


# -- files ---------------------------------------------------------------------------------


@pytest.fixture
def worker():
    from celery.contrib.testing.worker import start_worker
    from django.db import connections

    from slaweb.celery import app

    queue = app.conf.task_default_queue  # this test run's own queue (settings/test.py)
    with app.connection_for_write() as conn:
        conn.default_channel.queue_purge(queue)
    with start_worker(app, perform_ping_check=False, loglevel="WARNING", queues=[queue]):
        yield
    connections.close_all()


def wait_for(predicate, timeout=30.0):
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


@pytest.mark.celery
@pytest.mark.django_db(transaction=True)
def test_a_viewer_requests_a_pdf_twice_the_worker_builds_it_once_and_it_downloads(
    client, viewer_a, tenant_a, worker, monkeypatch
):
    """Real Celery worker on Redis: two requests and a duplicate task, one build."""
    import threading
    import time

    from reports import tasks
    from tests.metrics.conftest import make_active

    agreement = make_active(tenant_a)
    report = published(agreement)
    calls, gate = [], threading.Event()
    original = files.render

    def slow_render(*args):
        calls.append(args)
        gate.wait(10)  # held until both requests and the duplicate task are in
        return original(*args)

    monkeypatch.setattr(files, "render", slow_render)
    client.force_login(viewer_a.user)
    url = reverse("reports:file-request", args=[tenant_a.slug, report.pk])
    response = client.post(url, {"format": "pdf"})
    assert response.status_code == 302
    again = client.post(url, {"format": "pdf"}, HTTP_HX_REQUEST="true")
    assert again.status_code == 200 and "Being built" in again.content.decode()
    assert 'hx-trigger="every 2s"' in again.content.decode()
    with tenant_context(tenant_a):
        row = ReportFile.objects.get()
    # The no-JS page refreshes itself while pending.
    assert 'http-equiv="refresh"' in client.get(response["Location"]).content.decode()
    tasks.build_report_file.delay(tenant_a.pk, row.pk)  # a duplicate (a retried task)
    gate.set()

    def state():
        with tenant_context(tenant_a):
            return ReportFile.objects.values_list("state", flat=True).get(pk=row.pk)

    assert wait_for(lambda: state() == FileState.READY)
    time.sleep(1)  # the duplicate task has had its turn
    assert len(calls) == 1
    with tenant_context(tenant_a):
        row.refresh_from_db()
    assert row.pages >= 3 and row.size == len(bytes(row.content))

    download = client.get(reverse("reports:file-download", args=[tenant_a.slug, row.pk]))
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
    assert download["Content-Disposition"] == (
        'attachment; filename="SLA-2026-007_2026-10_r1_en.pdf"'
    )
    assert download.content.startswith(b"%PDF-")
    page = client.get(page_url(tenant_a, agreement.family)).content.decode()
    assert reverse("reports:file-download", args=[tenant_a.slug, row.pk]) in page


def test_a_failed_file_can_be_requested_again(
    viewer, tenant_a, agreement, django_capture_on_commit_callbacks, monkeypatch
):
    report = published(agreement)
    monkeypatch.setattr(files, "render", lambda *a: (_ for _ in ()).throw(RuntimeError("boom")))
    with tenant_context(tenant_a), django_capture_on_commit_callbacks(execute=False):
        row = files.request_file(report, "xlsx", "en")
    with tenant_context(tenant_a), pytest.raises(RuntimeError):
        files.build_file(row.pk)
    with tenant_context(tenant_a):
        row.refresh_from_db()
        assert row.state == FileState.FAILED and "boom" in row.error
    monkeypatch.undo()
    page = viewer.get(page_url(tenant_a, agreement.family)).content.decode()
    assert "Building failed." in page and "Try again" in page
    from reports import tasks

    queued = []
    monkeypatch.setattr(tasks.build_report_file, "delay", lambda *args: queued.append(args))
    with django_capture_on_commit_callbacks(execute=True):
        response = viewer.post(
            reverse("reports:file-request", args=[tenant_a.slug, report.pk]), {"format": "xlsx"}
        )
    assert response.status_code == 302 and queued == [(tenant_a.pk, row.pk)]
    with tenant_context(tenant_a):
        assert ReportFile.objects.get(pk=row.pk).state == FileState.PENDING
    tasks.build_report_file(tenant_a.pk, row.pk)
    with tenant_context(tenant_a):
        row.refresh_from_db()
    assert row.state == FileState.READY
    book = load_workbook(io.BytesIO(bytes(row.content)))
    assert len(book.sheetnames) == 8


def test_bad_input_is_refused_and_writes_nothing(viewer, tenant_a, agreement):
    report = published(agreement)
    url = reverse("reports:file-request", args=[tenant_a.slug, report.pk])
    assert viewer.post(url, {"format": "docx"}).status_code == 400
    assert viewer.post(url, {"format": "pdf", "language": "fr"}).status_code == 400
    with tenant_context(tenant_a):
        assert not ReportFile.objects.exists()


def test_a_file_not_ready_is_not_served(viewer, tenant_a, agreement):
    from tests.factories.reports import ReportFileFactory

    row = ReportFileFactory(tenant=tenant_a, report=published(agreement), state="pending")
    response = viewer.get(reverse("reports:file-download", args=[tenant_a.slug, row.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("reports:file", args=[tenant_a.slug, row.pk])


@pytest.fixture
def scenario_agreement(tenant_a, viewer_a):
    from tests.reports import scenario

    with time_machine.travel(scenario.NOW, tick=False):
        with tenant_context(tenant_a):
            agreement = scenario.build(tenant_a)
        yield agreement


@pytest.mark.parametrize(
    "period,expected",
    [
        (
            "2026-03",
            ["March 2026", "Red", "3 of 3 records", "98.86 %", "Excluded: O-2 (force majeure)"],
        ),
        ("2026-Q1", ["2026 Q1", "Red", "January 2026", "February 2026"]),
        ("2026", ["year 2026", "Red"]),
    ],
)
def test_the_live_page_of_a_computed_agreement_per_period_length(
    client, viewer_a, tenant_a, scenario_agreement, period, expected, django_assert_max_num_queries
):
    """The hand-computed scenario of tests/reports/scenario.py, live through the builder: the
    same bounded number of queries for a month, a quarter (three months combined) and a year."""
    client.force_login(viewer_a.user)
    with django_assert_max_num_queries(40):  # measured 40 for each, savepoints included
        response = client.get(page_url(tenant_a, scenario_agreement.family, period))
    assert response.status_code == 200
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))
    for words in expected:
        assert words in text, words


def test_a_ready_file_page_says_what_it_is_and_links_the_download(viewer, tenant_a, agreement):
    from tests.factories.reports import ReportFileFactory

    row = ReportFileFactory(
        tenant=tenant_a, report=published(agreement), format="csv", language="zh-hans"
    )
    page = viewer.get(reverse("reports:file", args=[tenant_a.slug, row.pk])).content.decode()
    assert "SLA-2026-007" in page and "简体中文" in page
    assert reverse("reports:file-download", args=[tenant_a.slug, row.pk]) in page
    assert 'http-equiv="refresh"' not in page
    # The report page links it (the size is the link to this page).
    report_page = viewer.get(page_url(tenant_a, agreement.family)).content.decode()
    # In English the Chinese file is offered beside the English formats.
    assert "Also ready in another language:" in report_page and "简体中文" in report_page
    assert reverse("reports:file-download", args=[tenant_a.slug, row.pk]) in report_page
    viewer.cookies["django_language"] = "zh-hans"
    report_page = viewer.get(page_url(tenant_a, agreement.family)).content.decode()
    assert reverse("reports:file", args=[tenant_a.slug, row.pk]) in report_page
    download = viewer.get(reverse("reports:file-download", args=[tenant_a.slug, row.pk]))
    assert download["Content-Type"] == "text/csv; charset=utf-8"
    assert download.content == bytes(row.content)


def test_a_pending_file_is_queued_again_only_once_its_task_looks_lost(
    tenant_a, agreement, monkeypatch, django_capture_on_commit_callbacks
):
    from reports import tasks

    report = published(agreement)
    queued = []
    monkeypatch.setattr(tasks.build_report_file, "delay", lambda *args: queued.append(args))
    with tenant_context(tenant_a), django_capture_on_commit_callbacks(execute=True):
        row = files.request_file(report, "csv", "en")
        files.request_file(report, "csv", "en")  # pending, just requested: not again
    assert queued == [(tenant_a.pk, row.pk)]
    with tenant_context(tenant_a):
        ReportFile.objects.filter(pk=row.pk).update(
            requested_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
        )
    with tenant_context(tenant_a), django_capture_on_commit_callbacks(execute=True):
        files.request_file(report, "csv", "en")  # waited past STALE_AFTER: queued again
        files.request_file(report, "csv", "en")
    assert queued == [(tenant_a.pk, row.pk)] * 2
    with tenant_context(tenant_a):
        assert files.build_file(row.pk) is True
        assert files.build_file(row.pk) is False
        assert ReportFile.objects.get(pk=row.pk).state == FileState.READY


def test_a_file_rendered_elsewhere_is_kept_and_a_ready_one_left_alone(tenant_a, agreement):
    report = published(agreement)
    with tenant_context(tenant_a):
        row = files.store_file(report, "pdf", "en", b"%PDF-1.7 mailed", pages=3)
        assert (row.state, row.size, row.pages) == (FileState.READY, 15, 3)
        again = files.store_file(report, "pdf", "en", b"%PDF-1.7 other", pages=4)
        assert again.pk == row.pk and bytes(again.content) == b"%PDF-1.7 mailed"


def test_the_family_url_under_htmx_redirects_the_browser(viewer, tenant_a, agreement):
    base = reverse("reports:report-latest", args=[tenant_a.slug, agreement.family])
    response = viewer.get(base + "?period=2026-04", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert response["HX-Redirect"] == page_url(tenant_a, agreement.family, "2026-04")
