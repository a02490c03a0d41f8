"""The outbox against a real SMTP server (aiosmtpd): rendered per language, stored once
per key, claimed in a committed transaction before sending, sent at most once."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from slaweb.mail import services, tasks
from slaweb.mail.choices import Status, SuppressionReason
from slaweb.mail.delivery import Outcome
from slaweb.mail.models import OutboxMessage, PlatformMessage, Suppression
from slaweb.tenancy.context import tenant_context
from tests.mail.conftest import answer_rcpt

pytestmark = pytest.mark.django_db(transaction=True)

RESET = {"reset_url": "https://slaweb.example/accounts/reset/abc/def/"}


def enqueue(tenant, to="ana@example.com", key="k1", **kwargs):
    with tenant_context(tenant):
        return services.enqueue("password-reset", to, RESET, key=key, **kwargs)


def load(message):
    with tenant_context(message.tenant_id):
        return OutboxMessage.objects.get(pk=message.pk)


def test_a_message_is_rendered_in_the_recipients_language_and_sent(tenant_a, smtp_inbox):
    message = enqueue(tenant_a, to="Li@Example.com", language="zh-hans")
    assert message.to_address == "li@example.com"
    assert services.deliver(tenant_a.pk, message.pk) is Outcome.SENT

    [mail] = smtp_inbox.messages
    assert mail["To"] == "li@example.com"
    assert mail["Subject"] == "重置您的 slaweb 密码"
    assert mail["Subject"] == load(message).subject
    text = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    assert RESET["reset_url"] in text and RESET["reset_url"] in html
    stored = load(message)
    assert (stored.status, stored.attempts, stored.last_error) == (Status.SENT, 1, "")
    assert stored.sent_at is not None and stored.claimed_at is not None


def test_english_by_default(tenant_a, smtp_inbox):
    message = enqueue(tenant_a)
    services.deliver(tenant_a.pk, message.pk)
    assert smtp_inbox.messages[0]["Subject"] == "Reset your slaweb password"


def test_the_same_key_twice_stores_one_row_unchanged(tenant_a):
    first = enqueue(tenant_a, key="invite-7")
    again = enqueue(tenant_a, to="other@example.com", key="invite-7", language="zh-hans")
    assert again.pk == first.pk
    assert (again.to_address, again.language) == ("ana@example.com", "en")
    with tenant_context(tenant_a):
        assert OutboxMessage.objects.filter(key="invite-7").count() == 1


def test_keys_are_per_tenant(tenant_a, tenant_b):
    assert enqueue(tenant_a, key="same").pk != enqueue(tenant_b, key="same").pk


def test_a_suppressed_address_gets_a_row_and_no_mail(tenant_a, smtp_inbox):
    with tenant_context(tenant_a):
        services.suppress("ANA@example.com ", SuppressionReason.OPTED_OUT)
        assert services.is_suppressed("ana@EXAMPLE.com")
    message = enqueue(tenant_a)
    assert message.status == Status.SUPPRESSED
    assert services.deliver(tenant_a.pk, message.pk) is None
    assert smtp_inbox.messages == []
    with tenant_context(tenant_a):
        assert services.unsuppress("Ana@example.com")
        assert not services.is_suppressed("ana@example.com")


def test_suppression_is_per_tenant(tenant_a, tenant_b):
    with tenant_context(tenant_a):
        services.suppress("ana@example.com", SuppressionReason.BOUNCED)
    assert enqueue(tenant_b).status == Status.QUEUED


def test_the_task_run_twice_sends_one_mail(tenant_a, smtp_inbox):
    message = enqueue(tenant_a)
    assert tasks.send_message(tenant_a.pk, message.pk) == "sent"
    assert tasks.send_message(tenant_a.pk, message.pk) is None
    assert len(smtp_inbox.messages) == 1
    assert load(message).attempts == 1


def test_delivery_refuses_to_run_inside_a_transaction(tenant_a):
    """The claim must commit before the SMTP call; inside a transaction it could not."""
    message = enqueue(tenant_a)
    with tenant_context(tenant_a):
        assert connection.in_atomic_block
        with pytest.raises(RuntimeError):
            services.deliver(tenant_a.pk, message.pk)
    assert load(message).status == Status.QUEUED


class WorkerKilled(BaseException):
    """Like SIGKILL: nothing after it runs, no except Exception catches it."""


def test_a_worker_killed_after_the_claim_never_sends_twice(tenant_a, smtp_inbox, monkeypatch):
    message = enqueue(tenant_a)

    def killed(*args, **kwargs):
        raise WorkerKilled

    monkeypatch.setattr(services, "build", killed)
    with pytest.raises(WorkerKilled):
        tasks.send_message(tenant_a.pk, message.pk)
    monkeypatch.undo()

    claimed = load(message)
    assert claimed.status == Status.SENDING  # the claim committed
    assert tasks.send_message(tenant_a.pk, message.pk) is None  # a redelivered task
    assert services.dispatch_outbox() == 0  # the dispatcher does not resend it either
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=11)):
        assert services.dispatch_outbox() == 0
        assert tasks.send_message(tenant_a.pk, message.pk) is None
    stale = load(message)
    assert stale.status == Status.FAILED
    assert stale.last_error.startswith("unknown outcome")
    assert smtp_inbox.messages == []


def test_a_550_suppresses_the_address_and_signals_the_bounce(tenant_a, smtp_inbox, bounces):
    answer_rcpt(smtp_inbox, {"gone@example.com": ["550 No such user"]})
    message = enqueue(tenant_a, to="gone@example.com")
    kept = enqueue(tenant_a, to="here@example.com", key="k2")

    assert services.deliver(tenant_a.pk, message.pk) is Outcome.BOUNCED
    assert services.deliver(tenant_a.pk, kept.pk) is Outcome.SENT
    assert [m["To"] for m in smtp_inbox.messages] == ["here@example.com"]
    stored = load(message)
    assert stored.status == Status.FAILED and stored.last_error == "550 No such user"
    with tenant_context(tenant_a):
        assert Suppression.objects.get().address == "gone@example.com"
        assert Suppression.objects.get().reason == SuppressionReason.BOUNCED
    [bounce] = bounces
    assert bounce["tenant_id"] == tenant_a.pk and bounce["address"] == "gone@example.com"
    assert bounce["message"].pk == message.pk
    # the next message to that address is never sent
    assert enqueue(tenant_a, to="gone@example.com", key="k3").status == Status.SUPPRESSED


def test_a_451_is_retried_with_backoff_then_sent(tenant_a, smtp_inbox):
    answer_rcpt(smtp_inbox, {"ana@example.com": ["451 Try again later"]})
    message = enqueue(tenant_a)
    before = timezone.now()

    assert services.deliver(tenant_a.pk, message.pk) is Outcome.RETRY
    waiting = load(message)
    assert (waiting.status, waiting.attempts) == (Status.QUEUED, 1)
    assert waiting.last_error == "451 Try again later"
    assert waiting.next_attempt_at >= before + dt.timedelta(seconds=60)
    assert smtp_inbox.messages == []

    assert services.deliver(tenant_a.pk, message.pk) is Outcome.SENT  # the retry's run
    sent = load(message)
    assert (sent.status, sent.attempts) == (Status.SENT, 2)
    assert len(smtp_inbox.messages) == 1


def test_retries_stop_at_the_cap(tenant_a, smtp_inbox):
    answer_rcpt(smtp_inbox, {"ana@example.com": ["451 Later"] * 10})
    message = enqueue(tenant_a)
    outcomes = [services.deliver(tenant_a.pk, message.pk) for _ in range(services.MAX_ATTEMPTS)]
    assert outcomes == [Outcome.RETRY] * services.MAX_ATTEMPTS
    failed = load(message)
    assert (failed.status, failed.attempts) == (Status.FAILED, services.MAX_ATTEMPTS)
    assert services.deliver(tenant_a.pk, message.pk) is None
    assert smtp_inbox.messages == []
    assert [delay.total_seconds() for delay in map(services.retry_delay, range(1, 6))] == [
        60,
        120,
        240,
        480,
        960,
    ]


def test_a_refused_connection_is_retried(tenant_a, settings):
    from tests.conftest import free_port

    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_PORT = free_port()  # nothing listens there
    message = enqueue(tenant_a)
    assert services.deliver(tenant_a.pk, message.pk) is Outcome.RETRY
    assert "ConnectionRefusedError" in load(message).last_error


def test_attachments_and_headers_are_sent(tenant_a, smtp_inbox):
    message = enqueue(
        tenant_a,
        from_name="Alpha Ltd",
        reply_to="desk@alpha.example",
        headers={"List-Unsubscribe": "<https://slaweb.example/u/1>"},
        attachments=[("report.pdf", b"%PDF-1.4 tiny", "application/pdf")],
    )
    services.deliver(tenant_a.pk, message.pk)
    [mail] = smtp_inbox.messages
    assert mail["From"].startswith("Alpha Ltd <")
    assert mail["Reply-To"] == "desk@alpha.example"
    assert mail["List-Unsubscribe"] == "<https://slaweb.example/u/1>"
    [part] = list(mail.iter_attachments())
    assert part.get_filename() == "report.pdf"
    assert part.get_content() == b"%PDF-1.4 tiny"


def test_a_secret_body_is_erased_once_sent(tenant_a, smtp_inbox):
    message = enqueue(tenant_a, erase_body_after_send=True)
    services.deliver(tenant_a.pk, message.pk)
    assert RESET["reset_url"] in smtp_inbox.messages[0].get_body(("plain",)).get_content()
    stored = load(message)
    assert (stored.body_text, stored.body_html) == ("", "")


def test_the_dispatcher_queues_lost_messages_again_per_tenant(
    tenant_a, tenant_b, smtp_inbox, monkeypatch
):
    lost_a, lost_b = enqueue(tenant_a), enqueue(tenant_b)
    lost_reset = services.enqueue_platform("password-reset", "x@example.com", RESET, key="r")
    fresh = enqueue(tenant_a, key="fresh")
    queued = []
    monkeypatch.setattr(services, "_queue", lambda name, *args, **kw: queued.append((name, *args)))

    assert services.dispatch_outbox() == 0  # younger than a minute: their tasks may still run
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=2)):
        fresh_at = timezone.now()
        with tenant_context(tenant_a):
            OutboxMessage.objects.filter(pk=fresh.pk).update(next_attempt_at=fresh_at)
        assert services.dispatch_outbox() == 3
    assert sorted(queued) == sorted(
        [
            ("send_message", tenant_a.pk, lost_a.pk),
            ("send_message", tenant_b.pk, lost_b.pk),
            ("send_platform_message", lost_reset.pk),
        ]
    )


def test_platform_mail_is_sent_once_and_erased(smtp_inbox, db):
    message = services.enqueue_platform(
        "password-reset", "Ana@Example.com", RESET, key="reset-1", language="zh-hans"
    )
    assert tasks.send_platform_message(message.pk) == "sent"
    assert tasks.send_platform_message(message.pk) is None
    [mail] = smtp_inbox.messages
    assert mail["To"] == "ana@example.com" and mail["Subject"] == "重置您的 slaweb 密码"
    stored = PlatformMessage.objects.get(pk=message.pk)
    assert (stored.status, stored.body_text) == (Status.SENT, "")
