"""enqueue_many: enqueue() for a round of mails at once. Keys already stored stay
unchanged, suppressed addresses get rows that are never sent, the sends of the new rows
are queued on commit (and only then) in batches, a failed transaction queues nothing;
deliver_many sends a batch over one connection, each message claimed once."""

from __future__ import annotations

import pytest
from django.db import transaction

from slaweb.mail import services
from slaweb.mail.choices import Status, SuppressionReason
from slaweb.mail.models import OutboxMessage
from slaweb.tenancy.context import tenant_context
from tests.mail.conftest import answer_rcpt

pytestmark = pytest.mark.django_db(transaction=True)

RESET = {"reset_url": "https://slaweb.example/accounts/reset/abc/def/"}


@pytest.fixture
def queued(monkeypatch):
    calls = []
    monkeypatch.setattr(services, "_queue", lambda name, *args, **kw: calls.append(args))
    return calls


def mail(n, **fields):
    return services.Mail(
        kind="password-reset", to=f"User{n}@Example.com", context=RESET, key=f"k{n}", **fields
    )


def test_many_mails_are_stored_once_each_and_queued_on_commit(tenant_a, queued):
    with tenant_context(tenant_a):
        old = services.enqueue("password-reset", "user0@example.com", RESET, key="k0")
        services.suppress("user2@example.com", SuppressionReason.OPTED_OUT)
    queued.clear()
    with tenant_context(tenant_a):
        services.enqueue_many([mail(0), mail(1, language="zh-hans"), mail(2), mail(3), mail(3)])
        assert queued == []  # nothing before the commit
    with tenant_context(tenant_a):
        rows = {m.key: m for m in OutboxMessage.objects.all()}
    assert sorted(rows) == ["k0", "k1", "k2", "k3"]
    assert rows["k0"].pk == old.pk and rows["k0"].to_address == "user0@example.com"
    assert rows["k1"].to_address == "user1@example.com" and rows["k1"].language == "zh-hans"
    assert rows["k1"].subject != rows["k3"].subject  # rendered in Chinese, k3 in English
    assert rows["k2"].status == Status.SUPPRESSED
    assert rows["k3"].status == Status.QUEUED
    # the new, unsuppressed rows are queued once each, after the commit, in one batch
    assert queued == [(tenant_a.pk, [rows["k1"].pk, rows["k3"].pk])]


def test_a_failed_transaction_stores_and_queues_nothing(tenant_a, queued):
    with pytest.raises(RuntimeError), tenant_context(tenant_a):
        services.enqueue_many([mail(1), mail(2)])
        raise RuntimeError("the round failed")
    with tenant_context(tenant_a):
        assert not OutboxMessage.objects.exists()
    assert queued == []


def test_a_batch_is_sent_over_one_connection_each_message_claimed_once(tenant_a, smtp_inbox):
    answer_rcpt(smtp_inbox, {"user2@example.com": ["550 No such user"]})
    with tenant_context(tenant_a):
        services.enqueue_many([mail(n) for n in range(1, 5)])
        ids = list(OutboxMessage.objects.order_by("key").values_list("pk", flat=True))
    services.deliver_many(tenant_a.pk, ids)
    services.deliver_many(tenant_a.pk, ids)  # the batch delivered twice
    assert sorted(m["X-Rcpt-To"] for m in smtp_inbox.messages) == [
        "user1@example.com",
        "user3@example.com",
        "user4@example.com",
    ]
    with tenant_context(tenant_a):
        statuses = dict(OutboxMessage.objects.values_list("key", "status"))
        assert statuses == {
            "k1": Status.SENT,
            "k2": Status.FAILED,  # the bounce, then the next message on a new connection
            "k3": Status.SENT,
            "k4": Status.SENT,
        }
        assert services.is_suppressed("user2@example.com")


def test_it_needs_a_tenant_context(db):
    with pytest.raises(services.TenantContextError), transaction.atomic():
        services.enqueue_many([mail(1)])
