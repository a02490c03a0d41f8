"""Improvement actions are created set-based: a run's new actions in one INSERT ... ON
CONFLICT DO NOTHING and their audit events in one more statement, whatever their number;
the audit events carry what a save of each action would have written; a recompute creates
nothing again."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from metrics.choices import Status
from metrics.models import ComplianceResult, ImprovementAction
from metrics.services import compliance
from metrics.services.ingest import ingest_records
from metrics.services.terms import load_terms
from slaweb.tenancy.context import Actor, acting_as
from slaweb.tenancy.models import AuditEvent
from tests.factories.metrics import ComplianceResultFactory

from .conftest import AVAILABILITY, RESPONSE, cn, make_active

pytestmark = pytest.mark.django_db
NOW = cn(2026, 4, 2)
EVENT_FIELDS = ("tenant_id", "actor_id", "actor_label", "via", "action", "model", "object_repr")


def _breached_quarter(reference):
    """One ticket a month, January to March, answered after 4 working hours (past the
    120-minute minimum): Response breached three months in a row."""
    days = {1: 6, 2: 3, 3: 3}  # Tuesdays, no CN holiday
    return [
        {
            "agreement": reference,
            "external_id": f"{reference}-{month}",
            "priority": "P2",
            "opened_at": cn(2026, month, day, 9).isoformat(),
            "first_response_at": cn(2026, month, day, 14).isoformat(),
        }
        for month, day in days.items()
    ]


def _setup(tenant, references):
    for reference in references:
        make_active(tenant, reference, metrics=[RESPONSE])
        result = ingest_records("tickets", _breached_quarter(reference))
        assert result.committed and not result.errors


def _events():
    return AuditEvent.objects.filter(model="metrics.improvementaction")


def test_statements_for_new_actions_do_not_grow_with_their_number(tenant_a, scope_a):
    _setup(tenant_a, ["SLA-E1"])
    with CaptureQueriesContext(connection) as one:
        assert compliance.recompute_stale(tenant_a.pk, now=NOW) == 3
    assert ImprovementAction.objects.count() == 1
    _setup(tenant_a, ["SLA-E2", "SLA-E3", "SLA-E4", "SLA-E5"])
    ComplianceResult.objects.update(stale=True, claimed_at=None)
    with CaptureQueriesContext(connection) as four:
        assert compliance.recompute_stale(tenant_a.pk, now=NOW) == 15
    assert ImprovementAction.objects.count() == 5
    assert len(four.captured_queries) == len(one.captured_queries)
    assert _events().count() == 5
    action = ImprovementAction.objects.get(agreement__reference="SLA-E3")
    assert (action.metric_name, action.streak_start) == ("Response", dt.date(2026, 1, 1))
    assert action.triggered_by == ["2026-01-01", "2026-02-01", "2026-03-01"]
    # A recompute creates no action and no event again.
    ComplianceResult.objects.update(stale=True, claimed_at=None)
    compliance.recompute_stale(tenant_a.pk, now=NOW)
    assert (ImprovementAction.objects.count(), _events().count()) == (5, 5)


def _series(metric, statuses):
    start = dt.date(2026, 1, 1)
    for status in statuses:
        end = dt.date(start.year + start.month // 12, start.month % 12 + 1, 1)
        ComplianceResultFactory(
            metric=metric, status=status, period_start=start, period_end=end, is_open=False
        )
        start = end


def _plan(tenant, references):
    planned = []
    for reference in references:
        agreement = make_active(
            tenant, reference, metrics=[AVAILABILITY], provider_contact_name="Wang Fang"
        )
        metric = agreement.metrics.get()
        _series(metric, [Status.BREACHED] * 3 + [Status.MET] + [Status.BREACHED] * 3)
        terms = load_terms([agreement.family])[agreement.family]
        results = list(
            ComplianceResult.objects.filter(family=agreement.family).values(
                "metric_name", "period_kind", "period_start", "period_end", "status", "is_open"
            )
        )
        planned += compliance.escalation_plan(terms, metric.name, results)
    return planned


def _plain(value):
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def test_audit_events_carry_what_a_save_writes(tenant_a, scope_a):
    planned = _plan(tenant_a, ["SLA-A1", "SLA-A2"])
    assert len(planned) == 4  # two runs of three breaches each, per agreement
    actor = Actor(user_id=None, label="compliance worker", via="task")
    # The one-by-one path: a save per action (post_save writes the event), rolled back.
    saved = {}
    with acting_as(actor):
        try:
            with transaction.atomic():
                for p in planned:
                    action = ImprovementAction.objects.create(**_fields(p))
                    event = _events().get(object_id=str(action.pk))
                    saved[(p.family, p.streak_start)] = (action, event)
                raise RuntimeError("roll back")
        except RuntimeError:
            pass
        assert not ImprovementAction.objects.exists() and not _events().exists()
        with CaptureQueriesContext(connection) as queries:
            created = compliance.store_escalations(planned)
    statements = [q["sql"] for q in queries.captured_queries if "SAVEPOINT" not in q["sql"]]
    assert len(statements) == 2  # the actions, their events
    assert len(created) == 4 and ImprovementAction.objects.count() == 4
    for action in ImprovementAction.objects.all():
        event = _events().get(object_id=str(action.pk))
        old_action, old_event = saved[(action.family, action.streak_start)]
        for name in EVENT_FIELDS:
            assert getattr(event, name) == getattr(old_event, name), name
        assert event.action == "create" and event.actor_label == "compliance worker"
        # Same content; only the row's own id and instants differ, each as the row holds it.
        own = ("id", "created_at", "updated_at")
        assert {k: v for k, v in event.changes.items() if k not in own} == {
            k: v for k, v in old_event.changes.items() if k not in own
        }
        assert set(event.changes) == set(old_event.changes)
        for name in own:
            assert event.changes[name] == [None, _plain(getattr(action, name))], name
    # Stored again (a recompute): nothing created, no event written.
    again = [ImprovementAction(**_fields(p)) for p in planned]
    assert compliance.store_escalations(again) == []
    assert _events().count() == 4


def _fields(action) -> dict:
    """The planned action's own fields (no id, no instants), as a save would take them."""
    return {
        f.attname: getattr(action, f.attname)
        for f in ImprovementAction._meta.concrete_fields
        if f.attname not in ("id", "created_at", "updated_at")
    }


def test_a_batch_of_many_actions_is_two_statements(tenant_a, scope_a):
    small = _plan(tenant_a, ["SLA-S1"])
    large = _plan(tenant_a, ["SLA-L1", "SLA-L2", "SLA-L3", "SLA-L4"])
    with CaptureQueriesContext(connection) as one:
        assert len(compliance.store_escalations(small)) == 2
    with CaptureQueriesContext(connection) as many:
        assert len(compliance.store_escalations(large)) == 8
    assert len(many.captured_queries) == len(one.captured_queries)
    assert _events().count() == 10
