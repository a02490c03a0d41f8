"""Failure modes with real components: Redis down when a round is due (a Redis server of
this test, stopped and started again), and a Celery worker killed with SIGKILL while it
sends a round of 200 invitations through the real SMTP server (aiosmtpd)."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.db import connections
from django.utils import timezone
from kombu.exceptions import OperationalError

from agreements.models import Contact
from slaweb.celery import app
from slaweb.mail import services as mail
from slaweb.mail.choices import Status
from slaweb.mail.models import OutboxMessage
from slaweb.tenancy.context import tenant_context
from surveys import services, tasks
from surveys.models import Campaign, CampaignRecipient, Invitation, Round
from tests.conftest import free_port
from tests.mail.test_celery import wait_for

from .conftest import make_campaign

pytestmark = [pytest.mark.celery, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]


def make_due(tenant, campaign):
    with tenant_context(tenant):
        Campaign.objects.filter(pk=campaign.pk).update(next_run_at=timezone.now())


def outbox(tenant) -> Counter:
    with tenant_context(tenant):
        return Counter(OutboxMessage.objects.values_list("status", flat=True))


# -- Redis down when a round is due -------------------------------------------------------


class RedisServer:
    """A redis-server of this test alone, on a port of its own, stopped and started."""

    def __init__(self):
        self.port = free_port()
        self.process = None

    def start(self):
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
        )
        assert wait_for(self._answers, timeout=10)

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=10)
        assert not self._answers()

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False


def _use_broker(url: str) -> None:
    """Point the Celery app (publishing and workers) at another broker."""
    app.conf.broker_url = url
    app._pool = None  # the connection and producer pools are made for one broker
    app.amqp._producer_pool = None


@pytest.fixture
def own_redis(settings):
    settings.MAIL_RETRY_BASE_SECONDS = 1
    server = RedisServer()
    server.start()
    before = app.conf.broker_url
    _use_broker(f"redis://127.0.0.1:{server.port}/0")
    yield server
    if server.process.poll() is None:
        server.stop()
    _use_broker(before)
    connections.close_all()


def test_redis_down_at_the_beat_the_round_is_sent_once_it_is_back(tenant_a, smtp_inbox, own_redis):
    campaign = make_campaign(tenant_a)
    make_due(tenant_a, campaign)
    own_redis.stop()
    # beat cannot hand the dispatcher its task: nothing happens, nothing is lost
    with pytest.raises(OperationalError):
        tasks.dispatch_due_campaigns.apply_async(retry_policy={"max_retries": 1})
    with tenant_context(tenant_a):
        assert not Round.objects.exists()
        assert Campaign.objects.get(pk=campaign.pk).next_run_at <= timezone.now()

    own_redis.start()
    with start_worker(app, perform_ping_check=False, loglevel="WARNING"):
        tasks.dispatch_due_campaigns.delay()  # the next beat
        assert wait_for(lambda: len(smtp_inbox.messages) == 2, timeout=30)
        assert wait_for(lambda: outbox(tenant_a) == {Status.SENT: 2}, timeout=10)
    assert sorted(m["X-Rcpt-To"] for m in smtp_inbox.messages) == sorted(
        [
            campaign.agreement.customer_contact.email,
            "anna.sla-s1@customer.example",
        ]
    )


def test_redis_down_after_the_round_is_stored_the_dispatcher_sends_it_once(
    tenant_a, smtp_inbox, own_redis, monkeypatch
):
    campaign = make_campaign(tenant_a)
    make_due(tenant_a, campaign)
    own_redis.stop()
    # the dispatcher runs (here, in this process) while the broker is gone: the round,
    # its invitations and their outbox rows commit; queueing the sends fails and is logged
    assert services.dispatch_due_campaigns() == 1
    assert outbox(tenant_a) == {Status.QUEUED: 2}
    assert smtp_inbox.messages == []

    own_redis.start()
    monkeypatch.setattr(mail, "REQUEUE_AFTER", timedelta(0))  # a minute has passed
    with start_worker(app, perform_ping_check=False, loglevel="WARNING"):
        assert mail.dispatch_outbox() == 2  # the outbox beat job queues them again
        assert wait_for(lambda: outbox(tenant_a) == {Status.SENT: 2}, timeout=30)
        assert mail.dispatch_outbox() == 0
        time.sleep(1)
    assert len(smtp_inbox.messages) == 2
    assert len({m["X-Rcpt-To"] for m in smtp_inbox.messages}) == 2
    with tenant_context(tenant_a):
        assert Round.objects.count() == 1 and Invitation.objects.count() == 2


# -- a worker killed while it sends a round -------------------------------------------------

ROUND_SIZE = 200
CONCURRENCY = 2


def add_recipients(tenant, campaign, count):
    with tenant_context(tenant):
        contacts = Contact.objects.bulk_create(
            Contact(
                tenant=tenant,
                customer=campaign.agreement.customer,
                name=f"Recipient {n}",
                email=f"recipient{n}@customer.example",
                language="zh-hans",
            )
            for n in range(count)
        )
        CampaignRecipient.objects.bulk_create(
            CampaignRecipient(tenant=tenant, campaign=campaign, contact=c) for c in contacts
        )


def start_worker_process(smtp_port: int, name: str) -> subprocess.Popen:
    """`celery worker` in a process group of its own, on this run's queue and database."""
    db = settings.DATABASES["default"]
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.surveys.worker_settings",
        "DATABASE_URL": (
            f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
        ),
        "TEST_SMTP_PORT": str(smtp_port),
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "slaweb",
            "worker",
            "-n",
            f"{name}@%h",
            "-Q",
            app.conf.task_default_queue,
            "--concurrency",
            str(CONCURRENCY),
            "--loglevel",
            "WARNING",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    hostname = f"{name}@{socket.gethostname()}"
    assert wait_for(lambda: app.control.ping(destination=[hostname], timeout=0.5), timeout=60)
    return process


def slow_down(inbox, seconds):
    """The SMTP server takes a while per message, so the kill lands mid-round."""
    receive = inbox.handle_DATA

    async def handle_DATA(server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        await asyncio.sleep(seconds)
        return await receive(server, session, envelope)

    inbox.handle_DATA = handle_DATA


@pytest.fixture
def workers():
    started = []
    yield started
    for process in started:
        if process.poll() is None:
            process.terminate()  # warm shutdown: the pool's processes finish their task
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
    connections.close_all()


def test_a_worker_killed_mid_round_leaves_every_invitation_sent_at_most_once(
    tenant_a, smtp_inbox, workers, monkeypatch
):
    campaign = make_campaign(tenant_a)
    add_recipients(tenant_a, campaign, ROUND_SIZE - 2)
    slow_down(smtp_inbox, 0.02)
    port = settings.EMAIL_PORT  # the smtp_inbox server's
    with app.connection_for_write() as conn:
        conn.default_channel.queue_purge(app.conf.task_default_queue)
    workers.append(start_worker_process(port, f"first-{os.getpid()}"))
    make_due(tenant_a, campaign)
    assert services.dispatch_due_campaigns() == 1

    assert wait_for(lambda: len(smtp_inbox.messages) >= 40, timeout=60)
    os.killpg(workers[0].pid, signal.SIGKILL)  # the whole worker, mid-round
    workers[0].wait(timeout=10)
    at_kill = outbox(tenant_a)
    assert at_kill[Status.QUEUED] > 0  # the round was really cut off

    workers.append(start_worker_process(port, f"second-{os.getpid()}"))
    # tasks the dead worker had taken from Redis are gone with it: their rows are still
    # queued, and the outbox beat job queues them again (a minute later; here at once)
    monkeypatch.setattr(mail, "REQUEUE_AFTER", timedelta(0))

    def settled():
        left = outbox(tenant_a)
        if left[Status.QUEUED]:
            mail.dispatch_outbox()
            return False
        return True

    assert wait_for(settled, timeout=120)
    # claims held by the killed worker: never resent, failed as "unknown outcome" after
    # the timeout (decision 005: at most once beats twice for mail); here at once
    monkeypatch.setattr(mail, "SENDING_TIMEOUT", timedelta(0))
    time.sleep(1)
    mail.dispatch_outbox()

    received = Counter(m["X-Rcpt-To"] for m in smtp_inbox.messages)
    assert max(received.values()) == 1  # nobody got the invitation twice
    with tenant_context(tenant_a):
        rows = dict(OutboxMessage.objects.values_list("to_address", "status"))
        unknown = [address for address, status in rows.items() if status == Status.FAILED]
        assert OutboxMessage.objects.filter(
            status=Status.FAILED, last_error__startswith="unknown outcome"
        ).count() == len(unknown)
    assert len(rows) == ROUND_SIZE
    assert set(rows.values()) <= {Status.SENT, Status.FAILED}
    assert len(unknown) <= CONCURRENCY  # only what was in flight at the kill
    # every row recorded as sent arrived exactly once
    assert all(received[address] == 1 for address, status in rows.items() if status == Status.SENT)
    assert len(received) >= ROUND_SIZE - len(unknown)
