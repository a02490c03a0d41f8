"""Metrics pages: grid and drill-down, at-risk board, actions, data lists, CSV import pages,
webhook settings; constant queries on lists and the grid; bad input answered beside the field."""

from __future__ import annotations

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from metrics import imports
from metrics.models import ComplianceResult, ImportJob, Ticket, WebhookSecret
from metrics.services.compliance import recompute_stale
from metrics.services.ingest import ingest_records
from slaweb.tenancy.context import tenant_context
from tests.metrics.conftest import cn

pytestmark = pytest.mark.django_db(transaction=False)

NOW = cn(2026, 3, 20, 10, 0)


def tickets(n, start=0, **kw):
    return [
        {
            "agreement": "SLA-M1",
            "external_id": f"T-{i}",
            "priority": "P2",
            "opened_at": "2026-03-02T09:00:00+08:00",
            "first_response_at": "2026-03-02T09:45:00+08:00"
            if i % 3
            else "2026-03-02T13:30:00+08:00",
            "resolved_at": "2026-03-02T15:00:00+08:00",
            **kw,
        }
        for i in range(start, start + n)
    ]


@pytest.fixture
def data(tenant_a, agreement):
    with time_machine.travel(NOW, tick=False), tenant_context(tenant_a):
        ingest_records("tickets", tickets(6))
        ingest_records(
            "tickets",
            [
                {
                    "agreement": "SLA-M1",
                    "external_id": "LIVE-1",
                    "priority": "P2",
                    "opened_at": "2026-03-20T09:00:00+08:00",
                }
            ],
        )
        ingest_records(
            "outages",
            [
                {
                    "agreement": "SLA-M1",
                    "external_id": "O-1",
                    "start": "2026-03-03T10:00:00+08:00",
                    "end": "2026-03-03T11:00:00+08:00",
                }
            ],
        )
    with time_machine.travel(NOW, tick=False), tenant_context(tenant_a):
        recompute_stale(tenant_a.pk, now=NOW)
    return agreement


def url(name, tenant, *args):
    return reverse(f"metrics:{name}", args=[tenant.slug, *args])


@pytest.fixture
def browser(client, admin_a):
    client.force_login(admin_a.user)
    return client


def test_grid_shows_status_in_text_and_drills_down(
    browser, tenant_a, data, django_assert_max_num_queries
):
    with time_machine.travel(NOW, tick=False), django_assert_max_num_queries(16):
        page = browser.get(url("grid", tenant_a, data.pk))
    assert page.status_code == 200
    text = page.content.decode()
    assert "Response" in text and "Availability" in text and "2026-03" in text
    with tenant_context(tenant_a):
        response = ComplianceResult.objects.get(metric_name="Response", period_start="2026-03-01")
        availability = ComplianceResult.objects.get(
            metric_name="Availability", period_start="2026-03-01"
        )
    assert response.get_status_display() in text
    with time_machine.travel(NOW, tick=False):
        cell = browser.get(url("result", tenant_a, response.pk)).content.decode()
    # T-0 and T-3 answered at 13:30: 210 working minutes, 150 over the 60-minute target.
    assert "T-3" in cell and "2:30:00" in cell
    outage = browser.get(url("result", tenant_a, availability.pk)).content.decode()
    assert "O-1" in outage and "counted" in outage


def test_board_lists_running_clocks_soonest_first_and_refreshes(browser, tenant_a, data):
    with time_machine.travel(cn(2026, 3, 20, 9, 50), tick=False):
        page = browser.get(url("board", tenant_a))
        part = browser.get(url("board", tenant_a), HTTP_HX_REQUEST="true")
    text = page.content.decode()
    assert "LIVE-1" in text and 'hx-trigger="every 30s"' in text and "Refresh now" in text
    assert "83 %" in text  # 50 of 60 working minutes of the response target
    assert "<html" not in part.content.decode() and "LIVE-1" in part.content.decode()


@pytest.mark.parametrize(
    "name", ["tickets", "deliveries", "outages", "samples", "action-list", "board", "import"]
)
def test_lists_run_constant_queries(browser, tenant_a, data, name, django_assert_max_num_queries):
    from django.utils import timezone

    running = {"first_response_at": None, "resolved_at": None}
    with tenant_context(tenant_a):
        ingest_records("tickets", tickets(30, start=100))
        # Running now: they fill the at-risk board too.
        ingest_records(
            "tickets", tickets(30, start=200, opened_at=timezone.now().isoformat(), **running)
        )
    # The board also loads each business calendar of its clocks once (here one: 4 queries).
    with django_assert_max_num_queries(20 if name == "board" else 16):
        page = browser.get(url(name, tenant_a))
    assert page.status_code == 200
    if name == "board":
        assert page.content.decode().count("T-2") >= 30  # T-200..T-229 listed


def test_ticket_filters_and_bad_filter_value(browser, tenant_a, data):
    page = browser.get(url("tickets", tenant_a), {"external_id": "T-4"}).content.decode()
    assert "T-4" in page and "T-5" not in page
    bad = browser.get(url("tickets", tenant_a), {"opened_from": "yesterday"})
    assert bad.status_code == 200 and "errorlist" in bad.content.decode()


def test_pages_show_times_in_the_tenants_zone(browser, tenant_a, data):
    # T-1 opened 2026-03-02 09:00 in Shanghai = 01:00 UTC.
    page = browser.get(url("tickets", tenant_a), {"external_id": "T-1"}).content.decode()
    assert "2026-03-02 09:00" in page and "Times are shown in Asia/Shanghai" in page
    tenant_a.time_zone = "UTC"
    tenant_a.save(update_fields=["time_zone"])
    page = browser.get(url("tickets", tenant_a), {"external_id": "T-1"}).content.decode()
    assert "2026-03-02 01:00" in page and "Times are shown in UTC" in page


def test_import_pages_upload_map_run_and_download_errors(browser, tenant_a, data):
    bad = browser.post(
        url("import", tenant_a), {"kind": "tickets", "file": SimpleUploadedFile("x.csv", b"")}
    )
    assert bad.status_code == 422 and "file is empty" in bad.content.decode()
    csv = (
        b"ref,id,prio,opened\n"
        b"SLA-M1,N-1,P2,2026-03-05T09:00:00+08:00\n"
        b"SLA-M1,N-2,P9,2026-03-05T09:00:00+08:00\n"
    )
    response = browser.post(
        url("import", tenant_a), {"kind": "tickets", "file": SimpleUploadedFile("t.csv", csv)}
    )
    assert response.status_code == 302
    with tenant_context(tenant_a):
        job = ImportJob.objects.get()
    page = browser.get(url("import-job", tenant_a, job.pk)).content.decode()
    assert "N-2" in page and "First rows" in page
    missing = browser.post(url("import-job", tenant_a, job.pk), {"map_agreement": "ref"})
    assert missing.status_code == 422 and "map_priority_error" in missing.content.decode()
    mapping = {
        "map_agreement": "ref",
        "map_external_id": "id",
        "map_priority": "prio",
        "map_opened_at": "opened",
    }
    assert browser.post(url("import-job", tenant_a, job.pk), mapping).status_code == 302
    with tenant_context(tenant_a):
        assert ImportJob.objects.get().status == "queued"
        imports.run_import(job.pk)
        assert not Ticket.objects.filter(external_id__startswith="N-").exists()
    done = browser.get(url("import-job", tenant_a, job.pk)).content.decode()
    assert "nothing was stored" in done and "hx-trigger" not in done
    errors = browser.get(url("import-errors", tenant_a, job.pk))
    assert errors["Content-Type"].startswith("text/csv")
    assert "3,prio," in errors.content.decode("utf-8-sig")


def test_action_edit_requires_verification_text(browser, tenant_a, data):
    from metrics.models import ImprovementAction

    with tenant_context(tenant_a):
        result = ComplianceResult.objects.filter(metric_name="Response").first()
        action = ImprovementAction.objects.create(
            family=data.family,
            agreement=data,
            metric=result.metric,
            metric_name="Response",
            streak_start="2026-01-01",
            due_date="2026-04-30",
        )
    target = url("action-edit", tenant_a, action.pk)
    bad = browser.post(target, {"status": "verified", "due_date": "2026-04-30", "verification": ""})
    assert bad.status_code == 422 and "verified" in bad.content.decode()
    good = browser.post(
        target, {"status": "done", "due_date": "2026-04-30", "owner": "Li", "notes": "More staff"}
    )
    assert good.status_code == 302
    with tenant_context(tenant_a):
        action.refresh_from_db()
    assert (action.status, action.owner) == ("done", "Li")


def test_overdue_actions_filter_in_the_organisations_today(browser, tenant_a, data):
    from metrics.models import ImprovementAction

    with tenant_context(tenant_a):
        metric = ComplianceResult.objects.filter(metric_name="Response").first().metric
        for i, (status, due) in enumerate(
            [
                ("open", "2026-03-19"),  # overdue
                ("in_progress", "2026-03-01"),  # overdue
                ("done", "2026-03-01"),  # finished: never overdue
                ("open", "2026-03-20"),  # due today in Shanghai: not yet
            ]
        ):
            ImprovementAction.objects.create(
                family=data.family,
                agreement=data,
                metric=metric,
                metric_name=f"M{i}",
                streak_start=f"2025-{i + 1:02d}-01",
                status=status,
                due_date=due,
            )
    # 04:00 on the 20th in Shanghai is still the 19th in UTC: the due date of M0 has passed.
    with time_machine.travel(cn(2026, 3, 20, 4, 0), tick=False):
        page = browser.get(url("action-list", tenant_a), {"overdue": "true"}).content.decode()
        rest = browser.get(url("action-list", tenant_a), {"overdue": "false"}).content.decode()
    shown = {f"M{i}" for i in range(4) if f">M{i}<" in page}
    assert shown == {"M0", "M1"} and page.count('badge red">overdue') == 2
    assert {f"M{i}" for i in range(4) if f">M{i}<" in rest} == {"M2", "M3"}


def test_webhook_secret_is_shown_once_to_admins(browser, client, tenant_a, manager_a):
    page = browser.post(url("webhook", tenant_a))
    assert page.status_code == 302
    first = browser.get(url("webhook", tenant_a))
    assert first["Cache-Control"] == "no-store"
    with tenant_context(tenant_a):
        secret = WebhookSecret.objects.get().secret
    assert secret in first.content.decode() and "/hooks/alpha/tickets/" in first.content.decode()
    assert secret not in browser.get(url("webhook", tenant_a)).content.decode()
    client.force_login(manager_a.user)
    assert client.get(url("webhook", tenant_a)).status_code == 403
    assert client.post(url("webhook", tenant_a)).status_code == 403


def test_agreement_list_shows_the_latest_period_health(browser, tenant_a, data):
    page = browser.get(reverse("agreements:list", args=[tenant_a.slug])).content.decode()
    with tenant_context(tenant_a):
        march = ComplianceResult.objects.filter(period_start="2026-03-01")
        breached = march.filter(status="breached").count()
        met = march.filter(status="met").count()
    assert url("grid", tenant_a, data.pk) in page and "2026-03" in page
    if breached:
        assert f"{breached} breached" in page
    if met:
        assert f"{met} met" in page
    assert breached + met > 0


def test_import_progress_fragment_polls_until_finished(browser, tenant_a, data):
    from django.core.cache import cache

    csv = b"agreement,external_id,priority,opened_at\nSLA-M1,P-1,P2,2026-03-05T09:00:00+08:00\n"
    with tenant_context(tenant_a):
        job = imports.create_job("tickets", SimpleUploadedFile("p.csv", csv))
        imports.start_import(job, job.mapping, False)
        ImportJob.objects.filter(pk=job.pk).update(status="running", total=1)
    cache.set(f"metrics:import-progress:{job.pk}", 1)
    part = browser.get(
        url("import-job", tenant_a, job.pk) + "?part=progress", HTTP_HX_REQUEST="true"
    ).content.decode()
    assert "<html" not in part and 'hx-trigger="every 2s"' in part and "1 of 1 rows" in part
    with tenant_context(tenant_a):
        ImportJob.objects.filter(pk=job.pk).update(status="queued")
        imports.run_import(job.pk)
    done = browser.get(
        url("import-job", tenant_a, job.pk) + "?part=progress", HTTP_HX_REQUEST="true"
    ).content.decode()
    assert "hx-trigger" not in done and "Done" in done


def test_an_import_whose_worker_died_is_shown_failed(browser, tenant_a, data):
    """A job left 'running' by a dead worker (no sign of life for STUCK_AFTER) is failed when
    read, with the reason on the import page and the list; a live one is left running."""
    import datetime as dt

    from django.core.cache import cache
    from django.utils import timezone

    csv = b"agreement,external_id,priority,opened_at\nSLA-M1,P-1,P2,2026-03-05T09:00:00+08:00\n"
    with tenant_context(tenant_a):
        dead = imports.create_job("tickets", SimpleUploadedFile("dead.csv", csv))
        live = imports.create_job("tickets", SimpleUploadedFile("live.csv", csv))
        old = timezone.now() - imports.STUCK_AFTER - dt.timedelta(minutes=1)
        ImportJob.objects.filter(pk__in=[dead.pk, live.pk]).update(
            status="running", total=1, created_at=old
        )
    cache.set(f"metrics:import-beat:{live.pk}", timezone.now().timestamp())  # a chunk just now
    page = browser.get(url("import-job", tenant_a, dead.pk)).content.decode()
    assert "The import stopped without finishing" in page and 'role="alert"' in page
    listing = browser.get(url("import", tenant_a)).content.decode()
    with tenant_context(tenant_a):
        assert ImportJob.objects.get(pk=dead.pk).status == "failed"
        assert ImportJob.objects.get(pk=live.pk).status == "running"
        # Past the timeout since its last chunk, the live one is failed on the list too.
        imports.fail_stuck_jobs(now=timezone.now() + imports.STUCK_AFTER + dt.timedelta(minutes=1))
        assert ImportJob.objects.get(pk=live.pk).status == "failed"
    assert "dead.csv" in listing
