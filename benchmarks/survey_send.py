"""Benchmark: sending a survey round of 10,000 invitations through a local SMTP sink.

    .venv/bin/python benchmarks/survey_send.py [--count 10000] [--concurrency 2]

Uses the database of DATABASE_URL (it must be migrated) and a tenant "bench-send" of
its own; each run adds a round. Starts an SMTP sink (aiosmtpd, a process of its own) and one
Celery worker (a child process on its own queue, prefork, --concurrency processes) with
benchmarks/survey_send_settings.py, then times:

- invite: the round with one invitation, link and outbox row per contact (one
  transaction, as the dispatcher runs it); commit: queueing the sends on commit (one
  task per 50 messages, mail.send_messages);
- deliver: from the commit until the sink has every message and every outbox row is
  recorded as sent;
- floor: the same number of mails of the same size sent straight with Django's SMTP
  backend (one connection per mail, as the outbox sends) by one child process.

Prints messages per second for each, the ratio of the whole round to the floor, and
checks that every contact got exactly one mail. Goal (issue #11): the round under 60 s.
Asserts nothing about time.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchmarks.survey_send_settings")

SLUG = "bench-send"


class Sink:
    """The SMTP server (aiosmtpd) in a process of its own, so that it does not share this
    process's interpreter lock with the publishing of the send tasks: counts messages
    per recipient and reports them through a pipe."""

    def __init__(self):
        import multiprocessing

        self.port = free_port()
        self.total_value = multiprocessing.Value("l", 0)
        self.last_value = multiprocessing.Value("d", 0.0)
        self.parent, child = multiprocessing.Pipe()
        self.process = multiprocessing.Process(
            target=_serve, args=(self.port, self.total_value, self.last_value, child), daemon=True
        )
        self.process.start()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                import socket

                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return
            except OSError:
                time.sleep(0.05)
        raise SystemExit("the SMTP sink did not start")

    @property
    def total(self) -> int:
        return self.total_value.value

    @property
    def last_at(self) -> float:
        return self.last_value.value

    def received(self) -> Counter:
        self.parent.send("report")
        return self.parent.recv()

    def stop(self):
        self.process.terminate()
        self.process.join(timeout=10)


def _serve(port, total, last, pipe):
    from aiosmtpd.controller import Controller

    received: Counter[str] = Counter()

    class Handler:
        async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
            for address in envelope.rcpt_tos:
                received[address.lower()] += 1
            with total.get_lock():
                total.value += len(envelope.rcpt_tos)
            last.value = time.perf_counter()
            return "250 OK"

    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    while True:
        if pipe.recv() == "report":
            pipe.send(Counter(received))


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def floor_child(port: int, count: int, size: int) -> None:
    """Child process: `count` mails straight through Django's SMTP backend."""
    import django

    django.setup()
    from django.core.mail import EmailMultiAlternatives, get_connection

    body = "x" * size
    for n in range(count):
        email = EmailMultiAlternatives(
            subject="Floor",
            body=body,
            to=[f"floor{n}@bench.example"],
            connection=get_connection(
                "django.core.mail.backends.smtp.EmailBackend", host="127.0.0.1", port=port
            ),
        )
        email.attach_alternative(f"<p>{body}</p>", "text/html")
        email.send()


def prepare(count: int):
    """The tenant, `count` contacts (made once) and a campaign about their customer."""
    from agreements.models import Contact, Customer
    from slaweb.tenancy.context import tenant_context
    from slaweb.tenancy.models import Tenant
    from surveys import services
    from surveys.models import Campaign

    tenant, _ = Tenant.objects.get_or_create(
        slug=SLUG, defaults={"name": "Bench send 压测", "time_zone": "Asia/Shanghai"}
    )
    with tenant_context(tenant):
        customer, _ = Customer.objects.get_or_create(name="Bench send customer")
        have = Contact.objects.filter(customer=customer).count()
        Contact.objects.bulk_create(
            (
                Contact(
                    tenant=tenant,
                    customer=customer,
                    name=f"Recipient {n}",
                    email=f"recipient{n}@bench.example",
                    language="zh-hans" if n % 2 else "en",
                )
                for n in range(have, count)
            ),
            batch_size=2000,
        )
        contacts = list(Contact.objects.filter(customer=customer).order_by("pk")[:count])
        name = f"Bench send {count}"
        campaign = Campaign.objects.filter(name=name).first()
        if campaign is None:
            campaign = services.save_campaign(
                Campaign(
                    name=name,
                    scope="customer",
                    customer=customer,
                    questionnaire=services.create_default_questionnaire(tenant),
                    trigger="once",
                    active=False,
                    fatigue_days=0,
                ),
                recipients=contacts,
            )
    return tenant, campaign


def start_worker(queue: str, concurrency: int, port: int) -> subprocess.Popen:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "benchmarks.survey_send_settings",
        "BENCH_SEND_QUEUE": queue,
        "EMAIL_PORT": str(port),
    }
    return subprocess.Popen(
        [
            str(ROOT / ".venv/bin/celery"),
            "-A",
            "slaweb",
            "worker",
            "-Q",
            queue,
            "--concurrency",
            str(concurrency),
            "--loglevel",
            "WARNING",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        cwd=ROOT,
        env=env,
    )


def wait_until_ready(queue: str, timeout: float = 60) -> None:
    from slaweb.celery import app

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if app.control.ping(timeout=1.0):
            return
    raise SystemExit("the Celery worker did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--floor-child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.floor_child:
        floor_child(args.floor_child, args.count, int(os.environ["BENCH_FLOOR_SIZE"]))
        return

    import django

    os.environ.setdefault("BENCH_SEND_QUEUE", f"bench-survey-send-{os.getpid()}")
    django.setup()
    from django.conf import settings
    from django.utils import timezone

    from slaweb.celery import app
    from slaweb.mail.choices import Status
    from slaweb.mail.models import OutboxMessage
    from slaweb.tenancy.context import tenant_context
    from surveys import services
    from surveys.models import Invitation, Round

    queue = settings.CELERY_TASK_DEFAULT_QUEUE
    tenant, campaign = prepare(args.count)
    sink = Sink()
    worker = start_worker(queue, args.concurrency, sink.port)
    try:
        wait_until_ready(queue)
        print(
            f"{args.count} invitations; one Celery worker (prefork, concurrency "
            f"{args.concurrency}); SMTP sink aiosmtpd on loopback; "
            f"load average {os.getloadavg()[0]:.2f}"
        )
        with tenant_context(tenant):
            runs = Round.objects.filter(campaign=campaign).count()
        scheduled = timezone.now() - timezone.timedelta(days=runs + 1)

        start = time.perf_counter()
        with tenant_context(tenant):
            round_ = services.run_campaign(campaign, scheduled)
            created = time.perf_counter()
        committed = time.perf_counter()  # the send tasks are queued on commit
        deadline = committed + 900
        while sink.total < args.count and time.perf_counter() < deadline:
            time.sleep(0.05)
        arrived = sink.last_at or time.perf_counter()
        with tenant_context(tenant):
            keys = [
                f"survey-invitation:{pk}" for pk in round_.invitations.values_list("pk", flat=True)
            ]
        while time.perf_counter() < deadline:
            with tenant_context(tenant):
                left = (
                    OutboxMessage.objects.filter(key__in=keys).exclude(status=Status.SENT).count()
                )
            if not left:
                break
            time.sleep(0.2)
        recorded = time.perf_counter()

        with tenant_context(tenant):
            invited = Invitation.objects.filter(round=round_).exclude(status="skipped").count()
        received = sink.received()
        twice = sum(1 for n in received.values() if n > 1)
        got = len(received)
        with tenant_context(tenant):
            sample = OutboxMessage.objects.filter(key__in=keys[:1]).first()
        size = len(sample.subject) + 2000 if sample else 2000  # bodies are erased once sent

        floor_start = time.perf_counter()
        subprocess.run(
            [
                sys.executable,
                __file__,
                "--floor-child",
                str(sink.port),
                "--count",
                str(args.count),
            ],
            check=True,
            env={**os.environ, "BENCH_FLOOR_SIZE": str(size)},
        )
        floor_seconds = time.perf_counter() - floor_start

        def line(name, count, seconds):
            print(f"{name:9} {count:6} in {seconds:7.2f} s  {count / seconds:8.1f} per s")

        total = recorded - start
        line("invite", invited, created - start)
        line("commit", invited, committed - created)
        line("deliver", got, arrived - committed)
        line("recorded", invited, recorded - committed)
        line("round", invited, total)
        line("floor", args.count, floor_seconds)
        print(
            f"ratio    round/floor rate {(invited / total) / (args.count / floor_seconds):.2f}; "
            f"round {total:.1f} s (goal < 60 s: {'met' if total < 60 else 'MISSED'})"
        )
        print(
            f"mails    {got} recipients of {invited} got mail, "
            f"{twice} got more than one; outbox rows not sent: {left}"
        )
    finally:
        worker.terminate()
        worker.wait(timeout=30)
        sink.stop()
        with app.connection_for_write() as conn:
            conn.default_channel.queue_delete(queue)


if __name__ == "__main__":
    main()
