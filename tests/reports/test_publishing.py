"""Publishing: frozen revisions, republish with a reason, the diff, the database trigger, the
scheduled publication's idempotence under concurrency, and the metrics hook."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
import time_machine
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from metrics.models import Ticket
from metrics.services import compliance
from metrics.services.clocks import tickets_to_recompute
from reports import snapshot
from reports.models import Report
from reports.services.publishing import diff, flatten, publish
from slaweb.tenancy.context import tenant_context
from tests.factories import UserFactory
from tests.metrics.conftest import make_active

from . import scenario

pytestmark = pytest.mark.django_db


@pytest.fixture
def built(scope_a):
    with time_machine.travel(scenario.NOW, tick=False):
        yield scenario.build(scope_a)


def test_publish_stores_the_snapshot_and_republish_needs_a_reason(built, scope_a):
    with time_machine.travel(scenario.NOW, tick=False):
        user = UserFactory()
        first = publish(built, "month", scenario.MARCH, user=user)
        assert first.revision == 1 and first.health == "red"
        assert first.snapshot == snapshot.build(built, "month", scenario.MARCH)
        assert first.agreement_id == built.pk and first.family == built.family
        assert first.period_end == dt.date(2026, 4, 1) and first.published_by == user
        with pytest.raises(ValidationError) as caught:
            publish(built, "month", scenario.MARCH, reason="   ")
        assert "reason" in caught.value.message_dict
        # The dispatcher's publication returns revision 1 instead of adding one.
        assert publish(built, "month", scenario.MARCH, scheduled=True) == first
        assert Report.objects.count() == 1


def test_a_correction_leaves_the_published_report_alone_and_republish_shows_it(built, scope_a):
    with time_machine.travel(scenario.NOW, tick=False):
        first = publish(built, "month", scenario.MARCH)
        stored = Report.objects.get(pk=first.pk).snapshot
        # The missed March ticket was in fact answered after 30 minutes: corrected and resent.
        corrected = scenario.month_tickets(scenario.MARCH, "ttmt")[3]
        scenario.ingest("tickets", [corrected])
        scenario.compute(scope_a)
        live = snapshot.build(built, "month", scenario.MARCH)
        assert live["metrics"][0]["compliance_rate"] == "60"  # 3 of 5 now
        assert Report.objects.get(pk=first.pk).snapshot == stored  # unchanged
        second = publish(built, "month", scenario.MARCH, reason="Ticket T-202603-4 corrected")
    assert second.revision == 2 and second.reason == "Ticket T-202603-4 corrected"
    assert Report.objects.get(pk=first.pk).snapshot == stored  # both remain
    changes = {c["path"]: (c["old"], c["new"]) for c in diff(first, second)}
    assert changes["metrics[Response].count_within_target"] == (2, 3)
    assert changes["metrics[Response].compliance_rate"] == ("40", "60")
    assert changes["metrics[Response].history[2026-03-01].compliance_rate"] == ("40", "60")
    assert changes["metrics[Response].change"] == ("15", "35")
    assert changes["breaches[Response].records_total"] == (3, 2)
    assert "generated_at" not in changes
    # Only what differs, in the newer snapshot's order.
    paths = [c["path"] for c in diff(first, second)]
    assert paths.index("metrics[Response].count_within_target") < paths.index(
        "breaches[Response].records_total"
    )
    assert diff(first, first) == []


def test_diff_matches_items_by_identity_and_lists_removed_ones():
    old = {"metrics": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}], "x": [1, 2]}
    new = {"metrics": [{"name": "B", "value": "3"}], "x": [1, 2], "generated_at": "now"}
    assert diff(old, new) == [
        {
            "path": "metrics[B].value",
            "section": "metrics",
            "old": "2",
            "new": "3",
            "change": "changed",
        },
        {
            "path": "metrics[A].name",
            "section": "metrics",
            "old": "A",
            "new": None,
            "change": "removed",
        },
        {
            "path": "metrics[A].value",
            "section": "metrics",
            "old": "1",
            "new": None,
            "change": "removed",
        },
    ]
    assert flatten({"a": {"b": []}}) == {"a.b": []}


def test_period_checks(built):
    with time_machine.travel(scenario.NOW, tick=False):
        with pytest.raises(ValidationError) as caught:
            publish(built, "month", dt.date(2026, 4, 1))  # still running
        assert caught.value.error_dict["period"][0].code == "period_open"
        with pytest.raises(ValidationError):
            publish(built, "month", dt.date(2026, 3, 2))  # not a period's first day
        with pytest.raises(ValidationError):
            publish(built, "week", scenario.MARCH)
        with pytest.raises(ValidationError):
            publish(built, "month", scenario.MARCH, reason="x" * 2001)
    assert not Report.objects.exists()


# -- the database refuses, as the app role -------------------------------------------------


def run_sql(sql, params):
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


REFUSED = {
    "health": "UPDATE reports_report SET health = 'red' WHERE id = %(r)s",
    "snapshot": "UPDATE reports_report SET snapshot = '{}' WHERE id = %(r)s",
    "revision": "UPDATE reports_report SET revision = 7 WHERE id = %(r)s",
    "reason": "UPDATE reports_report SET reason = 'rewritten' WHERE id = %(r)s",
    "publisher": "UPDATE reports_report SET published_by_id = %(u)s WHERE id = %(r)s",
    "delete": "DELETE FROM reports_report WHERE id = %(r)s",
}


@pytest.mark.parametrize("sql", REFUSED.values(), ids=REFUSED.keys())
def test_direct_sql_on_a_published_report_is_refused(tenant_a, sql):
    from tests.factories.reports import ReportFactory

    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        assert cursor.fetchone()[0] == settings.DATABASES["default"]["USER"]
    user = UserFactory()
    with tenant_context(tenant_a):
        report = ReportFactory(tenant=tenant_a, published_by=None)
        with pytest.raises(IntegrityError) as caught:
            run_sql(sql, {"r": report.pk, "u": user.pk})
        assert caught.value.__cause__.diag.constraint_name == "report_frozen"
        assert Report.objects.get(pk=report.pk).health == "green"


def test_clearing_a_deleted_publisher_is_the_one_change_allowed(tenant_a):
    from tests.factories.reports import ReportFactory

    user = UserFactory()
    with tenant_context(tenant_a):
        report = ReportFactory(tenant=tenant_a, published_by=user)
        run_sql(
            "UPDATE reports_report SET published_by_id = NULL WHERE id = %(r)s", {"r": report.pk}
        )
        assert Report.objects.get(pk=report.pk).published_by_id is None


# -- the scheduled publication, twice at once ----------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_scheduled_publications_make_one_revision(tenant_a):
    agreement = make_active(tenant_a, "SLA-C1", effective_from=dt.date(2026, 1, 1))
    barrier = threading.Barrier(2)
    revisions, errors = [], []

    def run():
        from django.db import connections

        try:
            with time_machine.travel(scenario.NOW, tick=False), tenant_context(tenant_a):
                barrier.wait()
                revisions.append(publish(agreement, "month", scenario.MARCH, scheduled=True).pk)
        except Exception as error:  # reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(revisions) == 2 and revisions[0] == revisions[1]
    with tenant_context(tenant_a):
        assert Report.objects.count() == 1


# -- metrics asks whether a period is published --------------------------------------------


def test_published_hook_and_clock_recompute_skip_published_periods(built, scope_a):
    family = built.family
    assert compliance.published(family, scenario.MARCH) is False
    with time_machine.travel(scenario.NOW, tick=False):
        publish(built, "month", scenario.MARCH)
    assert compliance.published(family, scenario.MARCH) is True
    assert compliance.published(family, dt.date(2026, 2, 1)) is False
    ranges = compliance.published_ranges({family})
    assert ranges[family] == [(scenario.MARCH, dt.date(2026, 4, 1))]
    todo = set(tickets_to_recompute(families={family}))
    march = set(
        Ticket.objects.filter(family=family, external_id__startswith="T-202603").values_list(
            "pk", flat=True
        )
    )
    february = set(
        Ticket.objects.filter(family=family, external_id__startswith="T-202602").values_list(
            "pk", flat=True
        )
    )
    # Clocks stopped in published March stay frozen; the running one (not stopped) and
    # earlier, unpublished months are recomputed.
    running = Ticket.objects.get(external_id="T-202603-R").pk
    assert todo & march == {running}
    assert february <= todo
