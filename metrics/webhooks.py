"""The ticket-system webhook: POST /hooks/<tenant-slug>/tickets/ (no session, no CSRF).

A sender signs every request with the tenant's secret:

    X-Slaweb-Timestamp: <unix seconds>
    X-Slaweb-Event-Id: <unique id of this event>   (or "event_id" in a JSON object body)
    X-Slaweb-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<raw body>">

The body is one ticket record (a JSON object) or a list of them, with the fields of
docs/data-import.md, ingested all or nothing. Refused with a 4xx JSON {"error", ...} and
nothing stored: an unknown tenant (404), a missing or wrong signature or a timestamp more
than 5 minutes away (401), a bad payload (400, with the record errors). The same event id
accepted twice: the second is a no-op (200, "duplicate": true).

Secrets are stored as created (HMAC needs the secret itself; the table is tenant-owned
under RLS and the secret is kept out of the audit trail) and shown once. Rotating keeps the
previous secret valid for ROTATION_GRACE so senders can switch over.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time

from django.core.exceptions import RequestDataTooBig
from django.db import IntegrityError, transaction
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from slaweb.ratelimit import rate_limit
from slaweb.tenancy.context import Actor, tenant_scope
from slaweb.tenancy.models import Tenant

from .models import WebhookEvent, WebhookSecret
from .services.ingest import ingest_records

MAX_AGE = 300  # seconds a signed request stays acceptable
ROTATION_GRACE = timezone.timedelta(hours=24)
MAX_BODY = 5 * 1024 * 1024


def sign(secret: str, timestamp: str | int, body: bytes) -> str:
    message = f"{timestamp}.".encode() + body
    return "sha256=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def create_secret(user=None) -> tuple[WebhookSecret, str]:
    """A new current secret; the previous current one stays valid for ROTATION_GRACE and any
    older one stops now (at most two valid). Returns (row, the secret to show once)."""
    now = timezone.now()
    plain = "whsec_" + secrets.token_urlsafe(32)
    with transaction.atomic():
        WebhookSecret.objects.filter(expires_at__gt=now).update(expires_at=now)
        WebhookSecret.objects.filter(expires_at__isnull=True).update(
            expires_at=now + ROTATION_GRACE
        )
        row = WebhookSecret.objects.create(
            secret=plain,
            hint=plain[:10],
            created_by=user if user is not None and user.is_authenticated else None,
        )
    return row, plain


def valid_secrets(now=None) -> list[str]:
    now = now or timezone.now()
    rows = WebhookSecret.objects.filter(expires_at__isnull=True) | WebhookSecret.objects.filter(
        expires_at__gt=now
    )
    return list(rows.values_list("secret", flat=True))


def _refuse(status: int, error: str, **extra) -> JsonResponse:
    return JsonResponse({"error": error, **extra}, status=status)


def _records(body: bytes, header_event_id: str) -> tuple[list, str]:
    """(records, event id) from the body; ValueError with a reason."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise ValueError("The body is not JSON.") from None
    event_id = header_event_id
    if isinstance(data, dict):
        data = dict(data)
        event_id = event_id or str(data.pop("event_id", "") or "")
        records = [data]
    elif isinstance(data, list):
        records = data
    else:
        raise ValueError("The body must be a ticket object or a list of tickets.")
    if not event_id:
        raise ValueError("The event id is missing (X-Slaweb-Event-Id header).")
    if len(event_id) > 200:
        raise ValueError("The event id is longer than 200 characters.")
    return records, event_id


def receive(request, tenant: Tenant) -> JsonResponse:
    """Check and ingest one delivery inside the tenant's scope."""
    timestamp = request.headers.get("X-Slaweb-Timestamp", "")
    signature = request.headers.get("X-Slaweb-Signature", "")
    body = request.body
    if not timestamp.isdigit():
        return _refuse(401, "The X-Slaweb-Timestamp header is missing or not a number.")
    if abs(time.time() - int(timestamp)) > MAX_AGE:
        return _refuse(401, "The timestamp is more than 5 minutes away; sign the request again.")
    if not signature.startswith("sha256="):
        return _refuse(401, "The X-Slaweb-Signature header is missing (sha256=<hex>).")
    if not any(
        hmac.compare_digest(sign(secret, timestamp, body), signature) for secret in valid_secrets()
    ):
        return _refuse(401, "The signature does not match the body and a valid secret.")
    try:
        records, event_id = _records(body, request.headers.get("X-Slaweb-Event-Id", "").strip())
    except ValueError as error:
        return _refuse(400, str(error))
    with transaction.atomic():
        try:
            with transaction.atomic():
                event = WebhookEvent.objects.create(
                    event_id=event_id, status=WebhookEvent.ACCEPTED, records=len(records)
                )
        except IntegrityError:
            return JsonResponse({"event_id": event_id, "duplicate": True}, status=200)
        result = ingest_records("tickets", records, source="webhook")
        if result.errors:
            transaction.set_rollback(True)  # the event id stays free for a corrected payload
        else:
            WebhookEvent.objects.filter(pk=event.pk).update(
                created=result.created, updated=result.updated, unchanged=result.unchanged
            )
    if result.errors:
        with transaction.atomic():
            WebhookEvent.objects.create(
                event_id=event_id,
                status=WebhookEvent.REJECTED,
                records=len(records),
                message="; ".join(
                    f"record {e.index} {e.field}: {e.message}" for e in result.errors[:5]
                )[:2000],
            )
        return _refuse(400, "The payload was refused; nothing was stored.", **result.as_dict())
    status = 201 if result.created else 200
    return JsonResponse({"event_id": event_id, **result.as_dict()}, status=status)


@csrf_exempt
@rate_limit(key="ip", rate="120/m", scope="ticket-webhook")
@require_POST
def ticket_webhook(request, tenant_ref: str):
    tenant = Tenant.objects.filter(slug=tenant_ref).first()
    if tenant is None:
        return _refuse(404, "No such endpoint.")
    try:
        too_big = len(request.body) > MAX_BODY
    except RequestDataTooBig:
        too_big = True
    if too_big:
        return _refuse(413, "The body is too large; send fewer tickets per request.")
    with tenant_scope(tenant, Actor(user_id=None, label="ticket webhook", via="webhook")):
        return receive(request, tenant)
