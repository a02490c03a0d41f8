"""With a real Celery worker on the real Redis: a queued mail is sent once, a lost task
is queued again by the dispatcher, a 451 is retried by the worker after its backoff."""

from __future__ import annotations

import time

import pytest
from celery.contrib.testing.worker import start_worker
from django.db import connections

from slaweb.celery import app
from slaweb.mail import services, tasks
from slaweb.mail.choices import Status
from slaweb.mail.models import OutboxMessage
from slaweb.tenancy.context import tenant_context
from tests.factories.mail import OutboxMessageFactory
from tests.mail.conftest import answer_rcpt

pytestmark = [pytest.mark.celery, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def worker(settings):
    settings.MAIL_RETRY_BASE_SECONDS = 1
    queue = app.conf.task_default_queue  # this test run's own queue (settings/test.py)
    with app.connection_for_write() as conn:
        conn.default_channel.queue_purge(queue)  # tasks left by earlier runs
    with start_worker(app, perform_ping_check=False, loglevel="WARNING", queues=[queue]):
        yield
    connections.close_all()


def wait_for(predicate, timeout=15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def status_of(tenant, pk):
    with tenant_context(tenant):
        return OutboxMessage.objects.values_list("status", "attempts").get(pk=pk)


def enqueue(tenant, key="k1"):
    with tenant_context(tenant):  # commits: the send is queued on commit
        return services.enqueue(
            "password-reset", "ana@example.com", {"reset_url": "https://x/r/"}, key=key
        )


def test_the_worker_sends_a_queued_mail_once(tenant_a, smtp_inbox, worker):
    message = enqueue(tenant_a)
    assert wait_for(lambda: len(smtp_inbox.messages) == 1)
    tasks.send_message.delay(tenant_a.pk, message.pk)  # a duplicate task
    enqueue(tenant_a)  # the same key again: nothing new is queued
    assert wait_for(lambda: status_of(tenant_a, message.pk) == (Status.SENT, 1))
    time.sleep(1)
    assert len(smtp_inbox.messages) == 1


def test_the_dispatcher_queues_a_lost_mail_and_the_worker_sends_it(tenant_a, smtp_inbox, worker):
    # a queued row whose task never reached Redis
    message = OutboxMessageFactory(
        tenant=tenant_a, status=Status.QUEUED, next_attempt_at="2026-01-01T00:00Z"
    )
    time.sleep(0.5)
    assert smtp_inbox.messages == []
    assert tasks.dispatch_outbox.delay() is not None
    assert wait_for(lambda: len(smtp_inbox.messages) == 1)
    # the worker records the outcome after the SMTP call, in its own transaction
    assert wait_for(lambda: status_of(tenant_a, message.pk) == (Status.SENT, 1))
    assert len(smtp_inbox.messages) == 1


def test_the_worker_retries_a_451_after_its_backoff(tenant_a, smtp_inbox, worker):
    answer_rcpt(smtp_inbox, {"ana@example.com": ["451 Try again later"]})
    message = enqueue(tenant_a)
    assert wait_for(lambda: status_of(tenant_a, message.pk) == (Status.SENT, 2))
    assert len(smtp_inbox.messages) == 1
