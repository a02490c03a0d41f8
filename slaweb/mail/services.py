"""The one way to send mail: render a template triple, store a row, send it once.

`enqueue()` runs inside a tenant context (a service's transaction) and queues the
send on commit. `deliver()` runs in a task, outside any transaction: it claims the
row in its own committed transaction (conditional UPDATE queued -> sending) before
the SMTP call, so a second run, or a run after a worker died past the claim, never
sends twice. A stale claim is marked failed with an unknown outcome, never resent.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.mail import get_connection
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone, translation

from slaweb.tenancy.context import TenantContextError, current_tenant_id, tenant_context

from . import signals
from .choices import Status, SuppressionReason
from .delivery import Outcome, Result, build, transmit
from .models import OutboxAttachment, OutboxMessage, PlatformMessage, Suppression

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
# A claim older than this has an unknown outcome (the SMTP timeout is far shorter).
SENDING_TIMEOUT = timedelta(minutes=10)
# Queued rows older than this have lost their task (e.g. Redis was down): queue again.
REQUEUE_AFTER = timedelta(minutes=1)
DISPATCH_BATCH = 500
# enqueue_many() sends in tasks of this many messages (one SMTP connection each).
SEND_CHUNK = 50


def normalise(address: str) -> str:
    return address.strip().lower()


def render(kind: str, context: dict, language: str) -> tuple[str, str, str]:
    """Subject, text and HTML of `templates/emails/<kind>-*` in the recipient's language."""
    with translation.override(language):
        subject = render_to_string(f"emails/{kind}-subject.txt", context)
        text = render_to_string(f"emails/{kind}-body.txt", context)
        html = render_to_string(f"emails/{kind}-body.html", context)
    return " ".join(subject.split()), text.strip() + "\n", html


# -- suppressions (tenant scope) ---------------------------------------------------------


def is_suppressed(address: str) -> bool:
    return Suppression.objects.filter(address=normalise(address)).exists()


def suppressed_among(addresses: Iterable[str]) -> set[str]:
    """The open tenant's suppressed addresses among these (normalised), in one query."""
    wanted = {normalise(address) for address in addresses}
    return set(Suppression.objects.filter(address__in=wanted).values_list("address", flat=True))


def suppress(address: str, reason: str) -> Suppression:
    """Stop mailing an address in the open tenant; a newer reason replaces an older one."""
    address = normalise(address)
    suppression = Suppression.objects.filter(address=address).first()
    if suppression is None:
        try:
            with transaction.atomic():
                suppression = Suppression.objects.create(address=address, reason=reason)
        except IntegrityError:  # made by a concurrent call
            suppression = Suppression.objects.get(address=address)
    elif suppression.reason != reason:
        suppression.reason = reason
        suppression.save(update_fields=["reason"])
    # Sent in the open scope and transaction, so receivers' writes commit or fail with it.
    signals.address_suppressed.send(
        Suppression, tenant_id=suppression.tenant_id, address=address, reason=reason
    )
    return suppression


def unsuppress(address: str) -> bool:
    address = normalise(address)
    deleted, _ = Suppression.objects.filter(address=address).delete()
    if deleted:
        signals.address_unsuppressed.send(
            Suppression, tenant_id=current_tenant_id(), address=address
        )
    return bool(deleted)


# -- enqueueing --------------------------------------------------------------------------


def enqueue(
    kind: str,
    to: str,
    context: dict,
    *,
    key: str,
    language: str = "en",
    from_name: str = "",
    reply_to: str = "",
    headers: dict | None = None,
    attachments: Iterable[tuple[str, bytes, str]] | None = None,
    erase_body_after_send: bool = False,
) -> OutboxMessage:
    """Store a tenant's mail and queue its sending on commit; the same key returns the
    row already stored, unchanged. A suppressed address gets a row that is never sent."""
    tenant_id = current_tenant_id()
    if tenant_id is None:
        raise TenantContextError("enqueue() needs an open tenant context")
    existing = OutboxMessage.objects.filter(key=key).first()
    if existing is not None:
        return existing
    to = normalise(to)
    subject, text, html = render(kind, context, language)
    suppressed = is_suppressed(to)
    try:
        with transaction.atomic():
            message = OutboxMessage.objects.create(
                kind=kind,
                to_address=to,
                language=language,
                key=key,
                subject=subject,
                body_text=text,
                body_html=html,
                headers=headers or {},
                from_name=from_name,
                reply_to=reply_to,
                erase_body_after_send=erase_body_after_send,
                status=Status.SUPPRESSED if suppressed else Status.QUEUED,
                last_error="address suppressed" if suppressed else "",
                next_attempt_at=timezone.now(),
            )
            OutboxAttachment.objects.bulk_create(
                OutboxAttachment(
                    tenant_id=tenant_id,
                    message=message,
                    filename=filename,
                    content=content,
                    mimetype=mimetype,
                )
                for filename, content, mimetype in attachments or ()
            )
    except IntegrityError:  # the same key, stored by a concurrent call
        return OutboxMessage.objects.get(key=key)
    if not suppressed:
        _queue_on_commit("send_message", tenant_id, message.pk)
    return message


@dataclass(frozen=True)
class Mail:
    """One mail for enqueue_many(): the arguments of enqueue(), without attachments."""

    kind: str
    to: str
    context: dict
    key: str
    language: str = "en"
    from_name: str = ""
    reply_to: str = ""
    headers: dict | None = None
    erase_body_after_send: bool = False


def enqueue_many(mails: list[Mail]) -> None:
    """enqueue() for many mails of the open tenant at once (a survey round of thousands):
    one read of the keys already stored and of the suppressed addresses, the new rows in
    bulk, and their sends queued on commit as tasks of SEND_CHUNK messages each. Keys
    already stored are left unchanged, as enqueue() does."""
    tenant_id = current_tenant_id()
    if tenant_id is None:
        raise TenantContextError("enqueue_many() needs an open tenant context")
    keys = [mail.key for mail in mails]
    stored = set(OutboxMessage.objects.filter(key__in=keys).values_list("key", flat=True))
    suppressed = suppressed_among(mail.to for mail in mails)
    now = timezone.now()
    rows = []
    for mail in mails:
        if mail.key in stored:
            continue
        stored.add(mail.key)
        to = normalise(mail.to)
        subject, text, html = render(mail.kind, mail.context, mail.language)
        rows.append(
            OutboxMessage(
                tenant_id=tenant_id,
                kind=mail.kind,
                to_address=to,
                language=mail.language,
                key=mail.key,
                subject=subject,
                body_text=text,
                body_html=html,
                headers=mail.headers or {},
                from_name=mail.from_name,
                reply_to=mail.reply_to,
                erase_body_after_send=mail.erase_body_after_send,
                status=Status.SUPPRESSED if to in suppressed else Status.QUEUED,
                last_error="address suppressed" if to in suppressed else "",
                next_attempt_at=now,
            )
        )
    try:
        with transaction.atomic():
            OutboxMessage.objects.bulk_create(rows, batch_size=1000)
    except IntegrityError:  # a key stored meanwhile by a concurrent call: one by one
        for mail in mails:
            enqueue(**{f: getattr(mail, f) for f in Mail.__dataclass_fields__})
        return
    ids = [row.pk for row in rows if row.status == Status.QUEUED]
    chunks = [ids[n : n + SEND_CHUNK] for n in range(0, len(ids), SEND_CHUNK)]
    transaction.on_commit(lambda: _queue_many("send_messages", tenant_id, chunks), robust=True)


def enqueue_platform(
    kind: str, to: str, context: dict, *, key: str, language: str = "en"
) -> PlatformMessage:
    """Account mail outside any tenant (password reset); its body is erased once sent."""
    existing = PlatformMessage.objects.filter(key=key).first()
    if existing is not None:
        return existing
    subject, text, html = render(kind, context, language)
    with transaction.atomic():
        message = PlatformMessage.objects.create(
            kind=kind,
            to_address=normalise(to),
            language=language,
            key=key,
            subject=subject,
            body_text=text,
            body_html=html,
            erase_body_after_send=True,
            next_attempt_at=timezone.now(),
        )
    _queue_on_commit("send_platform_message", message.pk)
    return message


def _queue_on_commit(task_name: str, *args) -> None:
    transaction.on_commit(lambda: _queue(task_name, *args), robust=True)


def _queue(task_name: str, *args, countdown: float | None = None, producer=None) -> bool | None:
    from . import tasks

    try:
        getattr(tasks, task_name).apply_async(args, countdown=countdown, producer=producer)
    except Exception:  # broker down: the dispatcher queues it again within minutes
        logger.exception("could not queue %s%r; the outbox dispatcher will retry", task_name, args)
        return False
    return True


def _queue_many(task_name: str, tenant_id: int, batches: list) -> None:
    """Queue one task per batch through one producer. Stops at the first failure: with
    the broker down the outbox dispatcher queues the rest again (one task per message)."""
    from . import tasks

    with getattr(tasks, task_name).app.producer_or_acquire() as producer:
        for batch in batches:
            if _queue(task_name, tenant_id, batch, producer=producer) is False:
                break


# -- delivery (in tasks, outside any transaction) ----------------------------------------


class _Box:
    """Where one message lives: its model, how to open a short transaction on it, and what
    happens on a bounce and on a retry."""

    def __init__(self, model, transaction_factory: Callable[[], AbstractContextManager], task_args):
        # For a tenant: tenant_context() = its scope (nesting the task's own) + one transaction.
        self.model = model
        self.transaction = transaction_factory
        self.task_args = task_args


def deliver(tenant_id: int, message_id: int) -> Outcome | None:
    box = _Box(OutboxMessage, lambda: tenant_context(tenant_id), ("send_message", tenant_id))
    return _deliver(box, message_id, tenant_id)


def deliver_many(tenant_id: int, message_ids: list[int]) -> None:
    """deliver() for a batch of a tenant's messages (a chunk of a survey round) over one
    SMTP connection: each message is still claimed in its own committed transaction
    before it is sent, and its outcome recorded on its own. After anything but a 250 the
    connection is opened afresh for the next message."""
    box = _Box(OutboxMessage, lambda: tenant_context(tenant_id), ("send_message", tenant_id))
    smtp = get_connection(fail_silently=False)
    try:
        for message_id in message_ids:
            outcome = _deliver(box, message_id, tenant_id, smtp=smtp)
            if outcome not in (None, Outcome.SENT):
                _close(smtp)
    finally:
        _close(smtp)


def _close(smtp) -> None:
    try:
        smtp.close()
    except Exception:  # a broken session: the next message opens a new one
        smtp.connection = None


def deliver_platform(message_id: int) -> Outcome | None:
    box = _Box(PlatformMessage, transaction.atomic, ("send_platform_message",))
    return _deliver(box, message_id, None)


def _deliver(box: _Box, message_id: int, tenant_id: int | None, smtp=None) -> Outcome | None:
    """Claim, send, record. Returns None when this run did not hold the claim."""
    if connection.in_atomic_block:
        raise RuntimeError("deliver() must run outside a transaction: the claim must commit")
    claimed_at = timezone.now()
    with box.transaction():  # the claim commits before the SMTP call; read in the same one
        claimed = box.model.objects.filter(pk=message_id, status=Status.QUEUED).update(
            status=Status.SENDING, claimed_at=claimed_at, attempts=F("attempts") + 1
        )
        if claimed:
            message = box.model.objects.get(pk=message_id)
            attachments = list(message.attachments.all()) if tenant_id is not None else []
    if not claimed:
        return None
    try:
        result = transmit(build(message, attachments, connection=smtp))
    except Exception as error:  # a bug building the mail: record it, don't leave it claimed
        result = Result(Outcome.FAILED, f"{type(error).__name__}: {error}")
    _record(box, message, claimed_at, result)
    if result.outcome is Outcome.BOUNCED and tenant_id is not None:
        with box.transaction():
            signals.message_bounced.send(
                OutboxMessage, tenant_id=tenant_id, address=message.to_address, message=message
            )
    return result.outcome


def retry_delay(attempts: int) -> timedelta:
    base = getattr(settings, "MAIL_RETRY_BASE_SECONDS", 60)
    return timedelta(seconds=min(base * 2 ** (attempts - 1), 3600))


def _record(box: _Box, message, claimed_at, result: Result) -> None:
    now = timezone.now()
    fields: dict = {"last_error": result.error[:2000]}
    retry = result.outcome is Outcome.RETRY and message.attempts < MAX_ATTEMPTS
    if result.outcome is Outcome.SENT:
        fields.update(status=Status.SENT, sent_at=now)
    elif retry:
        fields.update(status=Status.QUEUED, next_attempt_at=now + retry_delay(message.attempts))
    else:
        fields["status"] = Status.FAILED
    if message.erase_body_after_send and not retry:
        fields.update(body_text="", body_html="")
    with box.transaction():
        if result.outcome is Outcome.SENT:
            # Only the claim must survive a database crash (it keeps the mail from being
            # sent twice); a lost "sent" leaves the claim, reported as unknown outcome.
            # Not waiting for the disk here halved the disk flushes per mail.
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit TO OFF")
        # Our claim is identified by its time: a later claim's outcome is not ours to write.
        box.model.objects.filter(pk=message.pk, claimed_at=claimed_at).update(**fields)
        if result.outcome is Outcome.BOUNCED and box.model is OutboxMessage:
            suppress(message.to_address, SuppressionReason.BOUNCED)
    if retry:
        task_name, *args = box.task_args
        delay = fields["next_attempt_at"] - now
        _queue(task_name, *args, message.pk, countdown=delay.total_seconds())


# -- dispatcher (beat, every minute) -----------------------------------------------------


def dispatch_outbox() -> int:
    """Queue again the rows whose task was lost; fail stale claims. Opens each tenant's
    scope in turn (RLS stays on). Returns how many messages were queued again."""
    from slaweb.tenancy.models import Tenant

    if connection.in_atomic_block:
        raise RuntimeError("dispatch_outbox() runs outside a transaction")
    queued = 0
    for tenant_id in Tenant.objects.order_by("pk").values_list("pk", flat=True):
        with tenant_context(tenant_id):
            queued += _dispatch(OutboxMessage, ("send_message", tenant_id))
    with transaction.atomic():
        queued += _dispatch(PlatformMessage, ("send_platform_message",))
    return queued


def _dispatch(model, task_args) -> int:
    now = timezone.now()
    stale = model.objects.filter(status=Status.SENDING, claimed_at__lt=now - SENDING_TIMEOUT)
    stale.filter(erase_body_after_send=True).update(body_text="", body_html="")
    stale.update(
        status=Status.FAILED,
        last_error="unknown outcome: the sender stopped after claiming the message; not resent",
    )
    ids = list(
        model.objects.filter(
            status=Status.QUEUED, next_attempt_at__lt=now - REQUEUE_AFTER
        ).values_list("pk", flat=True)[:DISPATCH_BATCH]
    )
    task_name, *args = task_args
    for pk in ids:
        _queue_on_commit(task_name, *args, pk)
    return len(ids)
