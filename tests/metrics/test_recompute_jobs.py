"""Clock recomputes users can follow: a calendar change or a newly active version queues one
ClockRecompute with the change; the worker records done of total tickets as its batches
commit; the grid and the board show it (polling while it runs), and a failed or stalled one
can be run again by a manager."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from agreements.models import CalendarHoliday
from metrics.models import ClockRecompute, TicketClock
from metrics.services import clocks as clock_services
from metrics.services import hooks
from metrics.services.ingest import ingest_records
from slaweb.tenancy.context import tenant_context
from slaweb.tenancy.models import AuditEvent
from tests.factories.metrics_surfaces import ClockRecomputeFactory
from tests.metrics.conftest import CN
from tests.metrics.test_worker import worker  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db(transaction=False)


def ticket(i: int) -> dict:
    return {
        "agreement": "SLA-M1",
        "external_id": f"R-{i}",
        "priority": "P2",
        "opened_at": "2026-03-02T17:30:00+08:00",  # response due next working morning
    }


@pytest.fixture
def changed_calendar(agreement, tenant_a, django_capture_on_commit_callbacks):
    """Three tickets, then two company days off added to their calendar. (The test's one
    transaction also created the calendar and activated the agreement: one recompute each.)"""
    with tenant_context(tenant_a):
        ingest_records("tickets", [ticket(i) for i in range(3)])
        calendar = agreement.default_calendar
        with django_capture_on_commit_callbacks() as callbacks:
            CalendarHoliday.objects.create(calendar=calendar, date=dt.date(2026, 3, 3), name="A")
            CalendarHoliday.objects.create(calendar=calendar, date=dt.date(2026, 3, 4), name="B")
    return calendar, callbacks


def test_one_transaction_queues_one_recompute_per_calendar(changed_calendar, tenant_a):
    calendar, callbacks = changed_calendar
    with tenant_context(tenant_a):
        job = ClockRecompute.objects.get(calendar=calendar)
    assert (job.status, job.subject, job.families) == ("queued", calendar.name, [])
    assert callbacks == []  # queued with the calendar's creation, earlier in this transaction


@pytest.mark.django_db(transaction=True)
def test_a_change_queues_its_recompute_on_commit_and_a_rolled_back_one_none(tenant_a, monkeypatch):
    from django.db import transaction

    from tests.metrics.conftest import business_calendar

    sent = []
    monkeypatch.setattr("metrics.tasks.recompute_clocks.delay", lambda *a, **kw: sent.append(kw))
    with tenant_context(tenant_a):
        calendar = business_calendar("Beijing hours")
    with tenant_context(tenant_a):
        ClockRecompute.objects.all().delete()
    sent.clear()

    def day_off(day: int):
        CalendarHoliday.objects.create(calendar=calendar, date=dt.date(2026, 3, day), name="Off")

    with pytest.raises(RuntimeError), tenant_context(tenant_a):  # a failed edit
        day_off(2)
        raise RuntimeError("the edit failed")
    with tenant_context(tenant_a):
        with pytest.raises(RuntimeError), transaction.atomic():  # a failed part of an edit
            day_off(3)
            raise RuntimeError("this part failed")
        day_off(4)  # the same calendar, still queued: once
        day_off(5)
    with tenant_context(tenant_a):
        job = ClockRecompute.objects.get()
    assert (job.calendar_id, job.subject, job.status) == (calendar.pk, "Beijing hours", "queued")
    assert sent == [{"job_id": job.pk}]


def test_the_worker_records_progress_then_done_and_audits(changed_calendar, tenant_a, monkeypatch):
    calendar, _ = changed_calendar
    seen = []
    with tenant_context(tenant_a):
        job = ClockRecompute.objects.get(calendar=calendar)
        due_before = set(TicketClock.objects.values_list("due_target_at", flat=True))
        real = clock_services.recompute_clocks

        def watched(*args, progress, **kwargs):
            def spy(done, total):
                progress(done, total)
                seen.append(ClockRecompute.objects.values_list("done", "total").get(pk=job.pk))

            return real(*args, progress=spy, **kwargs)

        monkeypatch.setattr(clock_services, "recompute_clocks", watched)
        assert hooks.run_recompute(job.pk) == 3
        job.refresh_from_db()
        due_after = set(TicketClock.objects.values_list("due_target_at", flat=True))
        event = AuditEvent.objects.filter(
            model="agreements.businesscalendar", object_id=str(calendar.pk)
        ).latest("id")
    assert seen == [(0, 3), (3, 3)]  # written as each batch commits
    assert (job.status, job.done, job.total, job.percent) == ("done", 3, 3, 100)
    assert job.finished_at is not None
    assert due_after != due_before  # the days off moved the due times
    assert event.changes == {"clocks_recomputed": [None, 3]}


def test_a_failing_recompute_is_marked_failed_with_its_progress(
    changed_calendar, tenant_a, monkeypatch
):
    def broken(tenant_id, *, calendar_id=None, families=None, progress=None):
        progress(0, 3)
        raise RuntimeError("database went away")

    monkeypatch.setattr(clock_services, "recompute_clocks", broken)
    with tenant_context(tenant_a):
        job = ClockRecompute.objects.get(calendar=changed_calendar[0])
        with pytest.raises(RuntimeError):
            hooks.run_recompute(job.pk)
        job.refresh_from_db()
    assert (job.status, job.done, job.total) == ("failed", 0, 3)
    assert job.can_run_again


def test_a_running_recompute_without_progress_is_stalled_and_can_run_again(
    tenant_a, django_capture_on_commit_callbacks
):
    with tenant_context(tenant_a):
        job = ClockRecomputeFactory(tenant=tenant_a, status="running", finished_at=None)
        assert not job.is_stalled and not job.can_run_again
        assert not hooks.run_again(job)
        with time_machine.travel(timezone.now() + dt.timedelta(minutes=16)):
            assert job.is_stalled and job.can_run_again
            with django_capture_on_commit_callbacks() as callbacks:
                assert hooks.run_again(job)
        job.refresh_from_db()
    assert (job.status, job.done, job.finished_at) == ("queued", 0, None)
    assert len(callbacks) == 1  # the task, sent on commit


def page(client, membership, name, tenant, *args):
    client.force_login(membership.user)
    return client.get(reverse(f"metrics:{name}", args=[tenant.slug, *args]))


def test_board_and_grid_show_a_running_recompute_and_poll_it(client, tenant_a, agreement, viewer_a):
    with tenant_context(tenant_a):
        ClockRecompute.objects.all().delete()
        ClockRecomputeFactory(
            tenant=tenant_a, subject="Beijing hours", status="running", total=40, done=10
        )
    for name, args in (("board", ()), ("grid", (agreement.pk,))):
        html = page(client, viewer_a, name, tenant_a, *args).content.decode()
        assert "Calendar “Beijing hours” changed." in html
        assert "Recomputing its SLA clocks: 10 of 40 tickets." in html
        assert 'hx-trigger="every 2s"' in html and 'value="10"' in html
        assert "Run it again" not in html
    part = page(client, viewer_a, "recompute", tenant_a).content.decode()
    assert "<html" not in part and "10 of 40 tickets" in part


def test_banner_of_finished_and_old_recomputes(client, tenant_a, viewer_a):
    now = timezone.now()
    with tenant_context(tenant_a):
        ClockRecompute.objects.all().delete()
        ClockRecomputeFactory(
            tenant=tenant_a, subject="Done now", status="done", total=5, done=5, finished_at=now
        )
        ClockRecomputeFactory(
            tenant=tenant_a, subject="Nothing to do", status="done", total=0, done=0
        )
        old = now - dt.timedelta(hours=1)
        ClockRecomputeFactory(
            tenant=tenant_a, subject="Done long ago", status="done", finished_at=old
        )
        ClockRecomputeFactory(tenant=tenant_a, subject="Failed", status="failed", total=10, done=3)
    html = page(client, viewer_a, "recompute", tenant_a).content.decode()
    assert "The SLA clocks of 5 tickets were recomputed" in html
    assert "failed after 3 of 10 tickets" in html
    assert "Nothing to do" not in html and "Done long ago" not in html
    assert "hx-trigger" not in html  # nothing left to follow
    assert "Run it again" not in html  # viewers may not


def test_no_banner_without_recomputes(client, tenant_a, viewer_a):
    with tenant_context(tenant_a):
        ClockRecompute.objects.all().delete()
    html = page(client, viewer_a, "board", tenant_a).content.decode()
    assert 'id="recompute-status"' not in html


def test_a_manager_runs_a_failed_recompute_again(
    client, tenant_a, manager_a, viewer_a, django_capture_on_commit_callbacks
):
    with tenant_context(tenant_a):
        job = ClockRecomputeFactory(tenant=tenant_a, subject="Shanghai hours")
    board = reverse("metrics:board", args=[tenant_a.slug])
    assert "Run it again" in page(client, manager_a, "board", tenant_a).content.decode()
    url = reverse("metrics:recompute-run-again", args=[tenant_a.slug, job.pk])

    client.force_login(viewer_a.user)
    assert client.post(url, {"next": board}).status_code == 403

    client.force_login(manager_a.user)
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(url, {"next": "https://evil.example/"}, follow=True)
    assert response.redirect_chain[0][0] == board  # an outside `next` is not followed
    assert "The recompute was queued again." in response.content.decode()
    assert len(callbacks) == 1
    with tenant_context(tenant_a):
        job.refresh_from_db()
    assert job.status == "queued"

    again = client.post(url, {"next": board}, follow=True).content.decode()
    assert "This recompute is still running or has finished." in again


@pytest.mark.celery
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("worker")
def test_a_real_worker_runs_the_recompute_a_calendar_edit_queued(tenant_a):
    """Committed edit -> task on Redis -> the worker recomputes and the row says done."""
    from tests.metrics.conftest import make_active
    from tests.metrics.test_worker import wait_for

    agreement = make_active(tenant_a)
    with tenant_context(tenant_a):
        ingest_records("tickets", [ticket(i) for i in range(4)])
    with tenant_context(tenant_a):
        CalendarHoliday.objects.create(
            calendar_id=agreement.default_calendar_id, date=dt.date(2026, 3, 3), name="Off"
        )

    def finished():
        with tenant_context(tenant_a):
            return not ClockRecompute.objects.exclude(status="done").exists()

    assert wait_for(finished)
    with tenant_context(tenant_a):
        job = ClockRecompute.objects.filter(calendar=agreement.default_calendar).latest("id")
        due = list(
            TicketClock.objects.filter(kind="response").values_list("due_target_at", flat=True)
        )
    assert (job.done, job.total) == (4, 4)
    assert {d.astimezone(CN).date() for d in due} == {dt.date(2026, 3, 4)}  # after the day off


def test_a_recompute_walks_the_tickets_a_batch_at_a_time(agreement, tenant_a, monkeypatch):
    """Ids fetched per batch (keyset by id), each batch its own transaction and progress."""
    monkeypatch.setattr(clock_services, "RECOMPUTE_BATCH", 2)
    seen = []
    with tenant_context(tenant_a):
        ingest_records("tickets", [ticket(i) for i in range(5)])
        calendar = agreement.default_calendar
        CalendarHoliday.objects.create(calendar=calendar, date=dt.date(2026, 3, 3), name="A")
        done = clock_services.recompute_clocks(
            tenant_a.pk, calendar_id=calendar.pk, progress=lambda *p: seen.append(p)
        )
        due = {
            d.astimezone(CN).date()
            for d in TicketClock.objects.filter(kind="response").values_list(
                "due_target_at", flat=True
            )
        }
    assert done == 5
    assert seen == [(0, 5), (2, 5), (4, 5), (5, 5)]
    assert due == {dt.date(2026, 3, 4)}  # every ticket's clock moved past the day off
