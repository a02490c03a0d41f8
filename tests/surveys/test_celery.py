"""With a real Celery worker on the real Redis: the beat job delivered twice dispatches
one round, and each invitation mail arrives exactly once."""

from __future__ import annotations

import time

import pytest
from django.utils import timezone

from slaweb.tenancy.context import tenant_context
from surveys import tasks
from surveys.models import Campaign, Invitation, Round
from tests.mail.test_celery import wait_for, worker  # noqa: F401 - the worker fixture

from .conftest import make_campaign

pytestmark = [pytest.mark.celery, pytest.mark.django_db(transaction=True)]


def test_the_dispatch_task_twice_sends_each_invitation_once(tenant_a, smtp_inbox, worker):  # noqa: F811
    campaign = make_campaign(tenant_a)
    with tenant_context(tenant_a):
        Campaign.objects.filter(pk=campaign.pk).update(next_run_at=timezone.now())
    tasks.dispatch_due_campaigns.delay()
    tasks.dispatch_due_campaigns.delay()  # delivered twice (a retry, a second beat)
    assert wait_for(lambda: len(smtp_inbox.messages) == 2, timeout=30)
    time.sleep(2)
    assert len(smtp_inbox.messages) == 2
    assert len({m["X-Rcpt-To"] for m in smtp_inbox.messages}) == 2
    with tenant_context(tenant_a):
        assert Round.objects.count() == 1
        assert Invitation.objects.count() == 2
