"""Bulk ingestion: validation per record, all or nothing unless partial, idempotent re-send,
clocks computed, periods marked stale, resolved tickets signalled on commit."""

from __future__ import annotations

import datetime as dt

import pytest

from metrics.choices import ClockState
from metrics.models import ComplianceResult, Delivery, Outage, Sample, Ticket, TicketClock
from metrics.services.ingest import IngestResult, RecordError, ingest_records
from metrics.signals import ticket_resolved

pytestmark = pytest.mark.django_db(transaction=False)


def ticket(n=1, **fields):
    return {
        "agreement": "SLA-M1",
        "external_id": f"T-{n}",
        "priority": "P2",
        "kind": "incident",
        "opened_at": "2026-03-02T09:00:00+08:00",
        "first_response_at": "2026-03-02T09:45:00+08:00",
        "resolved_at": "2026-03-02T15:00:00+08:00",
        **fields,
    }


def test_valid_batch_is_stored_with_clocks_and_stale_results(agreement, scope_a):
    result = ingest_records("tickets", [ticket(1), ticket(2, resolved_at=None)])
    assert result == IngestResult(created=2, updated=0, unchanged=0, errors=[], committed=True)
    one = Ticket.objects.get(external_id="T-1")
    assert one.family == agreement.family and one.tier_code == "P2"
    clocks = {c.metric.name: c for c in TicketClock.objects.filter(ticket=one)}
    assert set(clocks) == {"Response", "Resolution"}
    # 09:00 -> 09:45 = 45 working minutes; 09:00 -> 15:00 with lunch 12-13 = 5 h = 300 min.
    assert clocks["Response"].elapsed == dt.timedelta(minutes=45)
    assert clocks["Response"].state == ClockState.WITHIN_TARGET
    assert clocks["Resolution"].elapsed == dt.timedelta(minutes=300)
    assert clocks["Resolution"].state == ClockState.WITHIN_MINIMUM
    running = TicketClock.objects.get(ticket__external_id="T-2", metric__name="Resolution")
    assert running.state == ClockState.RUNNING and running.elapsed is None
    # 480 working minutes from Mon 09:00 = Mon 18:00 (lunch excluded): 8 h.
    assert running.due_minimum_at == dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)
    stale = ComplianceResult.objects.filter(stale=True, period_start=dt.date(2026, 3, 1))
    assert {r.metric_name for r in stale} == {"Response", "Resolution", "Availability"}


def test_errors_store_nothing_unless_partial(agreement, scope_a):
    records = [
        ticket(1),
        ticket(2, priority="P9"),
        ticket(3, opened_at="2026-03-02 09:00"),
        ticket(4, resolved_at="2026-03-01T09:00:00+08:00"),
        ticket(5, agreement="NOPE"),
        ticket(1),
        ticket(
            6, pauses=[{"start": "2026-03-02T11:00:00+08:00", "end": "2026-03-02T10:00:00+08:00"}]
        ),
        "not a dict",
    ]
    result = ingest_records("tickets", records)
    assert not result.committed and (result.created, result.updated) == (0, 0)
    assert [(e.index, e.field) for e in result.errors] == [
        (1, "priority"),
        (2, "opened_at"),
        (3, "resolved_at"),
        (4, "agreement"),
        (5, "external_id"),
        (6, "pauses"),
        (7, ""),
    ]
    assert all(isinstance(e, RecordError) and e.message for e in result.errors)
    assert not Ticket.objects.exists() and not TicketClock.objects.exists()
    partial = ingest_records("tickets", records, partial=True)
    assert partial.committed and partial.created == 1 and len(partial.errors) == 7
    assert list(Ticket.objects.values_list("external_id", flat=True)) == ["T-1"]


def test_same_record_twice_changes_nothing_and_a_change_replaces(agreement, scope_a):
    assert ingest_records("tickets", [ticket(1)]).created == 1
    ComplianceResult.objects.update(stale=False)
    again = ingest_records("tickets", [ticket(1)])
    assert (again.created, again.updated, again.unchanged) == (0, 0, 1)
    assert not ComplianceResult.objects.filter(stale=True).exists()
    changed = ingest_records("tickets", [ticket(1, first_response_at="2026-03-02T11:30:00+08:00")])
    assert (changed.created, changed.updated, changed.unchanged) == (0, 1, 0)
    clock = TicketClock.objects.get(metric__name="Response")
    assert clock.elapsed == dt.timedelta(minutes=150) and clock.state == ClockState.MISSED
    assert ComplianceResult.objects.filter(stale=True, metric_name="Response").exists()
    assert Ticket.objects.count() == 1


def test_resolved_signal_on_commit_once(agreement, scope_a, django_capture_on_commit_callbacks):
    seen = []

    def receiver(sender, tenant_id, ticket_ids, **kwargs):
        seen.append((tenant_id, ticket_ids))

    ticket_resolved.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            ingest_records("tickets", [ticket(1, resolved_at=None), ticket(2)])
        with django_capture_on_commit_callbacks(execute=True):
            ingest_records("tickets", [ticket(1), ticket(2, category="db")])
    finally:
        ticket_resolved.disconnect(receiver)
    ids = dict(Ticket.objects.values_list("external_id", "id"))
    assert seen == [(agreement.tenant_id, [ids["T-2"]]), (agreement.tenant_id, [ids["T-1"]])]


def test_pauses_are_merged_and_clipped(agreement, scope_a):
    pauses = [
        {"start": "2026-03-02T08:00:00+08:00", "end": "2026-03-02T09:10:00+08:00"},
        {"start": "2026-03-02T10:00:00+08:00", "end": "2026-03-02T10:30:00+08:00"},
        {"start": "2026-03-02T10:20:00+08:00", "end": "2026-03-02T11:00:00+08:00"},
        {"start": "2026-03-02T16:00:00+08:00", "end": "2026-03-02T17:00:00+08:00"},
    ]
    ingest_records("tickets", [ticket(1, pauses=pauses)])
    stored = Ticket.objects.get().pauses
    assert stored == [
        ["2026-03-02T01:00:00+00:00", "2026-03-02T01:10:00+00:00"],
        ["2026-03-02T02:00:00+00:00", "2026-03-02T03:00:00+00:00"],
    ]
    clock = TicketClock.objects.get(metric__name="Resolution")
    # 300 working minutes minus 10 + 60 paused.
    assert clock.elapsed == dt.timedelta(minutes=230) and clock.paused == dt.timedelta(minutes=70)
    assert clock.state == ClockState.WITHIN_TARGET


def test_other_kinds(agreement, scope_a):
    assert (
        ingest_records(
            "deliveries",
            [
                {
                    "agreement": "SLA-M1",
                    "external_id": "D1",
                    "name": "March report",
                    "due_at": "2026-03-05T18:00:00+08:00",
                    "delivered_at": "2026-03-05T17:00:00+08:00",
                    "error_free": "true",
                }
            ],
        ).created
        == 1
    )
    bad = ingest_records(
        "outages",
        [
            {
                "agreement": "SLA-M1",
                "external_id": "O1",
                "start": "2026-03-05T18:00:00+08:00",
                "end": "2026-03-05T17:00:00+08:00",
            },
            {
                "agreement": "SLA-M1",
                "external_id": "O2",
                "start": "2026-03-05T18:00:00+08:00",
                "exclusion": "force_majeure",
            },
        ],
    )
    assert [(e.index, e.field) for e in bad.errors] == [(0, "end"), (1, "exclusion_reason")]
    assert (
        ingest_records(
            "samples",
            [
                {
                    "agreement": "SLA-M1",
                    "metric": "Availability",
                    "period_start": "2026-03-01",
                    "value": "99.7",
                }
            ],
        ).created
        == 1
    )
    assert Delivery.objects.get().error_free is True
    assert not Outage.objects.exists()
    assert Sample.objects.get().external_id == "Availability@2026-03-01"


def test_too_many_records(agreement, scope_a):
    result = ingest_records("tickets", [ticket(i) for i in range(10_001)])
    assert not result.committed and result.errors[0].index == 0
    assert not Ticket.objects.exists()


def test_upsert_samples_feeds_a_satisfaction_metric(tenant_a, scope_a):
    from decimal import Decimal

    from agreements.choices import MetricKind
    from metrics.choices import Status
    from metrics.models import ComplianceResult
    from metrics.services.compliance import recompute_stale
    from metrics.services.ingest import upsert_samples

    from .conftest import make_active

    score = {
        "name": "Satisfaction",
        "kind": MetricKind.SATISFACTION_SCORE,
        "target": Decimal("4.5"),
        "minimum_acceptable": Decimal("4.0"),
        "period": "quarter",
    }
    agreement = make_active(tenant_a, "SLA-SAT", metrics=[score])
    metric = agreement.metrics.get()
    items = [{"period_start": dt.date(2026, 1, 1), "value": Decimal("4.2"), "n": 30}]
    assert upsert_samples(metric, items).created == 1
    assert upsert_samples(metric, items).unchanged == 1
    recompute_stale(tenant_a.pk, now=dt.datetime(2026, 4, 2, tzinfo=dt.UTC))
    result = ComplianceResult.objects.get(metric_name="Satisfaction", period_kind="quarter")
    assert (result.period_start, result.count_all) == (dt.date(2026, 1, 1), 30)
    assert (result.value, result.status) == (Decimal("4.2000"), Status.WARNING)


def test_one_request_creates_updates_and_skips_and_marks_the_old_period_stale(agreement, scope_a):
    ingest_records("tickets", [ticket(1), ticket(2)])
    created_at = Ticket.objects.get(external_id="T-1").created_at
    ComplianceResult.objects.update(stale=False)
    moved = ticket(
        1,
        opened_at="2026-04-01T09:00:00+08:00",
        first_response_at="2026-04-01T09:30:00+08:00",
        resolved_at="2026-04-01T10:00:00+08:00",
    )
    new = {**moved, "external_id": "T-3"}
    result = ingest_records("tickets", [moved, ticket(2), new], source="csv")
    assert (result.created, result.updated, result.unchanged) == (1, 1, 1)
    one = Ticket.objects.get(external_id="T-1")
    assert one.opened_at == dt.datetime(2026, 4, 1, 1, tzinfo=dt.UTC)
    assert one.created_at == created_at and one.source == "csv"
    assert Ticket.objects.get(external_id="T-2").source == "api"  # unchanged: not rewritten
    # The period the ticket left and the one it joined; Availability has no clocks, so only
    # the old row's instants read in the upsert can mark March.
    for name in ("Resolution", "Availability"):
        stale = ComplianceResult.objects.filter(stale=True, metric_name=name)
        assert set(stale.values_list("period_start", flat=True)) == {
            dt.date(2026, 3, 1),
            dt.date(2026, 4, 1),
        }
    assert TicketClock.objects.get(ticket=one, metric__name="Resolution").period_start == dt.date(
        2026, 4, 1
    )


def test_text_with_quotes_backslashes_commas_and_chinese_is_stored_as_sent(agreement, scope_a):
    odd = 'a "b" \\ c, {d} NULL 中文\nnext'
    ingest_records(
        "tickets", [ticket(1, category=odd, recurrence_of="NULL"), ticket(2, category="")]
    )
    ingest_records(
        "deliveries",
        [
            {
                "agreement": "SLA-M1",
                "external_id": 'D"1\\',
                "name": odd,
                "due_at": "2026-03-05T18:00:00+08:00",
            }
        ],
    )
    one = Ticket.objects.get(external_id="T-1")
    assert (one.category, one.recurrence_of) == (odd, "NULL")
    assert Ticket.objects.get(external_id="T-2").category == ""
    delivery = Delivery.objects.get()
    assert (delivery.external_id, delivery.name, delivery.error_free) == ('D"1\\', odd, None)
    again = ingest_records("tickets", [ticket(1, category=odd, recurrence_of="NULL")])
    assert (again.created, again.updated, again.unchanged) == (0, 0, 1)


def test_a_waiting_result_is_not_rewritten_and_a_claimed_one_is_reset(agreement, scope_a):
    from django.db import connection
    from django.utils import timezone

    ingest_records("tickets", [ticket(1)])
    march = ComplianceResult.objects.filter(period_start=dt.date(2026, 3, 1))
    claimed = march.get(metric_name="Response")
    march.filter(pk=claimed.pk).update(claimed_at=timezone.now())

    def versions():
        with connection.cursor() as cur:
            cur.execute(
                "SELECT metric_name, xmin::text FROM metrics_complianceresult "
                "WHERE period_start = '2026-03-01'"
            )
            return dict(cur.fetchall())

    before = versions()
    ingest_records("tickets", [ticket(2)])
    after = versions()
    assert after["Response"] != before["Response"]  # the claim was reset
    assert after["Resolution"] == before["Resolution"]  # already waiting: not rewritten
    assert set(march.values_list("stale", "claimed_at")) == {(True, None)}
