"""The daily beat job expires every tenant's agreements whose end date has passed."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.conf import settings

from agreements.choices import AgreementStatus
from agreements.models import Agreement
from agreements.tasks import expire_agreements_due
from slaweb.celery import app
from slaweb.tenancy.context import tenant_context

from .conftest import make_active

pytestmark = pytest.mark.django_db


@pytest.fixture
def eager():
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


def status(tenant, agreement):
    with tenant_context(tenant):
        return Agreement.objects.get(pk=agreement.pk).status


def test_beat_runs_the_expiry_daily():
    entry = next(
        e
        for e in settings.CELERY_BEAT_SCHEDULE.values()
        if e["task"] == "agreements.tasks.expire_agreements_due"
    )
    assert entry["schedule"].hour == {0} and entry["schedule"].day_of_week == set(range(7))
    assert expire_agreements_due.name in app.tasks


def test_agreements_past_their_end_expire_in_every_tenant(eager, tenant_a, tenant_b):
    with time_machine.travel(dt.datetime(2026, 6, 1, 12, tzinfo=dt.UTC), tick=False):
        ends_2026_a = make_active(tenant_a, "SLA-A1", effective_to=dt.date(2026, 12, 31))
        ends_2027_a = make_active(tenant_a, "SLA-A2", effective_to=dt.date(2027, 12, 31))
        ends_2026_b = make_active(tenant_b, "SLA-B1", effective_to=dt.date(2026, 12, 31))
    # The last day of the term: still in force.
    with time_machine.travel(dt.datetime(2026, 12, 31, 23, tzinfo=dt.UTC), tick=False):
        assert expire_agreements_due.delay().get() == 2
    assert status(tenant_a, ends_2026_a) == AgreementStatus.ACTIVE
    # The day after: expired in both tenants, the longer one untouched.
    with time_machine.travel(dt.datetime(2027, 1, 1, 0, 10, tzinfo=dt.UTC), tick=False):
        expire_agreements_due.delay().get()
    assert status(tenant_a, ends_2026_a) == AgreementStatus.EXPIRED
    assert status(tenant_b, ends_2026_b) == AgreementStatus.EXPIRED
    assert status(tenant_a, ends_2027_a) == AgreementStatus.ACTIVE
