"""Stale results and their worker: one recompute per stale period however many records
arrived, a claim others skip, the command, and a real Celery worker with Redis."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command

from metrics.choices import Status
from metrics.models import ComplianceResult
from metrics.services import compliance
from metrics.services.ingest import ingest_records
from slaweb.tenancy.context import tenant_context

from .conftest import cn

MARCH = dt.date(2026, 3, 1)


def tickets(n, minute=30, start=0):
    return [
        {
            "agreement": "SLA-M1",
            "external_id": f"T-{i}",
            "priority": "P2",
            "opened_at": cn(2026, 3, 3, 9).isoformat(),
            "first_response_at": cn(2026, 3, 3, 9, minute).isoformat(),
        }
        for i in range(start, start + n)
    ]


@pytest.mark.django_db
def test_a_burst_marks_each_period_once_and_costs_one_recompute_per_period(
    agreement, scope_a, tenant_a, monkeypatch
):
    for batch in range(5):
        assert ingest_records("tickets", tickets(20, start=batch * 20)).created == 20
    stale = ComplianceResult.objects.filter(stale=True)
    # Response, Resolution, Availability in March: three rows, not one per record.
    assert stale.count() == 3
    calls = []
    original = compliance.compute_fields
    monkeypatch.setattr(
        compliance,
        "compute_fields",
        lambda row, *a, **k: (calls.append(row.pk), original(row, *a, **k))[1],
    )
    assert compliance.recompute_stale(tenant_a.pk, now=cn(2026, 4, 2, 0, 0)) == 3
    assert len(calls) == 3 and not ComplianceResult.objects.filter(stale=True).exists()
    response = ComplianceResult.objects.get(metric_name="Response")
    assert (response.count_all, response.status) == (100, Status.MET)


@pytest.mark.django_db
def test_a_claimed_row_is_skipped_and_data_arriving_during_a_recompute_keeps_it_stale(
    agreement, scope_a, tenant_a
):
    ingest_records("tickets", tickets(1))
    claimed = compliance.claim(tenant_a.pk)
    assert len(claimed) == 3
    assert compliance.claim(tenant_a.pk) == []  # claimed rows are skipped
    # New data arrives while the worker computes: the marker clears the claim...
    ingest_records("tickets", tickets(1, minute=45))
    row = ComplianceResult.objects.get(metric_name="Response")
    claim_at = dict(claimed)[row.pk]
    compliance.recompute_one(row, claim_at, _terms(agreement), cn(2026, 4, 2))
    # ...so the stale flag survives the older computation and the row is taken again.
    assert ComplianceResult.objects.get(pk=row.pk).stale
    assert {pk for pk, _at in compliance.claim(tenant_a.pk)} >= {row.pk}


def _terms(agreement):
    from metrics.services.terms import load_terms

    return load_terms([agreement.family])[agreement.family]


@pytest.mark.django_db
def test_command_recomputes_a_period(agreement, tenant_a, capsys):
    with tenant_context(tenant_a):
        ingest_records("tickets", tickets(3))
        ComplianceResult.objects.update(stale=False)
    call_command("recompute_compliance", tenant=tenant_a.slug, agreement="SLA-M1", period="2026-03")
    assert "recomputed" in capsys.readouterr().out
    with tenant_context(tenant_a):
        row = ComplianceResult.objects.get(metric_name="Response")
        assert not row.stale and row.count_all == 3 and row.computed_at is not None


def test_command_refuses_a_bad_period():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("recompute_compliance", period="March")


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
def test_real_worker_recomputes_each_stale_period_once(tenant_a, worker, monkeypatch):
    """Three bulk requests in one transaction queue three tasks on commit; the real worker
    (Redis broker) claims the three stale rows and computes each once; the later tasks find
    nothing to do."""
    from .conftest import make_active

    calls = []
    original = compliance.compute_fields
    monkeypatch.setattr(
        compliance,
        "compute_fields",
        lambda row, *a, **k: (calls.append(row.metric_name), original(row, *a, **k))[1],
    )
    make_active(tenant_a)
    with tenant_context(tenant_a):
        for batch in range(3):
            ingest_records("tickets", tickets(10, start=batch * 10))
    assert wait_for(lambda: _all_fresh(tenant_a))
    with tenant_context(tenant_a):
        rows = list(ComplianceResult.objects.filter(period_start=MARCH))
    assert len(rows) == 3 and not any(r.stale for r in rows)
    assert next(r for r in rows if r.metric_name == "Response").count_all == 30
    import time

    time.sleep(1)  # the two later tasks run and find nothing stale
    assert sorted(calls) == ["Availability", "Resolution", "Response"]


def _all_fresh(tenant):
    with tenant_context(tenant):
        return (
            ComplianceResult.objects.exists()
            and not ComplianceResult.objects.filter(stale=True).exists()
        )


@pytest.mark.celery
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_recompute_loses_nothing(tenant_a, monkeypatch):
    """A worker process (Redis broker) claims the stale rows and is killed (SIGKILL) while it
    computes: nothing is half-written, the rows stay stale and claimed (another worker skips
    them), and once the claim has timed out a new worker reclaims them and computes each once."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    import psycopg2
    from celery.contrib.testing.worker import start_worker
    from django.conf import settings
    from django.db import connection, connections

    from metrics.tasks import recompute_compliance
    from slaweb.celery import app

    from .conftest import make_active

    queue = app.conf.task_default_queue
    make_active(tenant_a)
    with tenant_context(tenant_a):
        ingest_records("tickets", tickets(5))
    with app.connection_for_write() as conn:  # only the one task below: no clock recompute
        conn.default_channel.queue_purge(queue)
    recompute_compliance.delay(tenant_a.pk)
    db = settings.DATABASES["default"]
    # The dead worker will be stopped inside the computation: hold the clocks table.
    owner = settings.DATABASES["owner"]
    lock = psycopg2.connect(
        dbname=db["NAME"],
        user=owner["USER"],
        password=owner["PASSWORD"],
        host=owner["HOST"],
        port=owner["PORT"],
    )
    lock.cursor().execute("LOCK TABLE metrics_ticketclock IN ACCESS EXCLUSIVE MODE")
    url = f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "slaweb.settings.test"}
    root = Path(__file__).resolve().parents[2]
    celery = str(Path(sys.executable).with_name("celery"))
    proc = subprocess.Popen(
        [celery, "-A", "slaweb", "worker", "-Q", queue, "--pool=solo", "-l", "WARNING"],
        cwd=root,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:

        def claimed():
            with tenant_context(tenant_a):
                rows = ComplianceResult.objects.filter(period_start=MARCH)
                return rows.count() == 3 and all(r.claimed_at and r.stale for r in rows)

        assert wait_for(claimed, timeout=60)
    finally:
        proc.kill()
        proc.wait(timeout=30)
        lock.rollback()
        lock.close()
    with tenant_context(tenant_a):
        rows = list(ComplianceResult.objects.filter(period_start=MARCH))
        # Nothing half-written: still stale, still claimed, never computed.
        assert all(r.stale and r.claimed_at and r.computed_at is None for r in rows)
        assert all(r.count_all == 0 for r in rows)
        assert compliance.claim(tenant_a.pk) == []  # within the timeout nobody takes them
        with connection.cursor() as cur:  # the claim timeout passes
            cur.execute(
                "UPDATE metrics_complianceresult SET claimed_at = claimed_at - %s",
                [compliance.CLAIM_TIMEOUT + dt.timedelta(seconds=1)],
            )
    calls = []
    original = compliance.compute_fields
    monkeypatch.setattr(
        compliance,
        "compute_fields",
        lambda row, *a, **k: (calls.append(row.metric_name), original(row, *a, **k))[1],
    )
    with start_worker(app, perform_ping_check=False, loglevel="WARNING", queues=[queue]):
        recompute_compliance.delay(tenant_a.pk)
        assert wait_for(lambda: _all_fresh(tenant_a))
        import time

        time.sleep(1)  # a redelivered or later task would find nothing stale
    connections.close_all()
    assert sorted(calls) == ["Availability", "Resolution", "Response"]
    with tenant_context(tenant_a):
        response = ComplianceResult.objects.get(metric_name="Response", period_start=MARCH)
        assert response.count_all == 5 and response.claimed_at is None
