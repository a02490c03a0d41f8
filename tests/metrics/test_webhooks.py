"""Ticket webhook: HMAC over timestamp and body, 5-minute window, event id once, two secrets
valid while rotating; every refusal is a 4xx JSON with a reason and stores nothing."""

from __future__ import annotations

import json
import time

import pytest
import time_machine
from django.urls import reverse

from metrics import webhooks
from metrics.models import Ticket, WebhookEvent, WebhookSecret
from slaweb.tenancy.context import tenant_context

pytestmark = pytest.mark.django_db(transaction=False)

TICKET = {
    "agreement": "SLA-M1",
    "external_id": "INC-1",
    "priority": "P2",
    "opened_at": "2026-03-02T09:00:00+08:00",
    "first_response_at": "2026-03-02T09:45:00+08:00",
}


@pytest.fixture
def secret(tenant_a, agreement):
    with tenant_context(tenant_a):
        return webhooks.create_secret()[1]


def post(client, body, secret, *, event="ev-1", ts=None, signature=None, slug="alpha"):
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    ts = str(int(time.time()) if ts is None else ts)
    headers = {
        "HTTP_X_SLAWEB_TIMESTAMP": ts,
        "HTTP_X_SLAWEB_SIGNATURE": signature or webhooks.sign(secret, ts, raw),
    }
    if event:
        headers["HTTP_X_SLAWEB_EVENT_ID"] = event
    url = reverse("ticket-webhook", args=[slug])
    return client.post(url, raw, content_type="application/json", **headers)


def stored(tenant):
    with tenant_context(tenant):
        return Ticket.objects.count()


def test_valid_delivery_is_ingested_and_logged(client, tenant_a, secret):
    response = post(client, [TICKET, {**TICKET, "external_id": "INC-2"}], secret)
    assert response.status_code == 201, response.json()
    assert response.json()["created"] == 2
    assert stored(tenant_a) == 2
    with tenant_context(tenant_a):
        event = WebhookEvent.objects.get()
        assert (event.status, event.created) == ("accepted", 2)
        assert set(Ticket.objects.values_list("source", flat=True)) == {"webhook"}


def test_object_body_with_event_id_field(client, tenant_a, secret):
    response = post(client, {**TICKET, "event_id": "ev-body"}, secret, event=None)
    assert response.status_code == 201 and stored(tenant_a) == 1


def test_replayed_event_id_is_a_no_op(client, tenant_a, secret):
    assert post(client, TICKET, secret).status_code == 201
    again = post(client, {**TICKET, "external_id": "INC-9"}, secret)
    assert again.status_code == 200 and again.json()["duplicate"] is True
    assert stored(tenant_a) == 1


@pytest.mark.parametrize(
    "change, status, words",
    [
        ({"signature": "sha256=" + "0" * 64}, 401, "signature"),
        ({"ts": int(time.time()) - 301}, 401, "5 minutes"),
        ({"ts": "soon"}, 401, "Timestamp"),
        ({"signature": "md5=abc"}, 401, "Signature"),
        ({"event": None}, 400, "event id"),
        ({"slug": "nobody"}, 404, "No such"),
    ],
    ids=["wrong signature", "old timestamp", "bad timestamp", "no signature", "no event", "tenant"],
)
def test_refusals_store_nothing(client, tenant_a, secret, change, status, words):
    response = post(client, TICKET, secret, **change)
    assert response.status_code == status
    assert words in response.json()["error"]
    assert stored(tenant_a) == 0


def test_tampered_body_is_refused(client, tenant_a, secret):
    ts = str(int(time.time()))
    good = json.dumps(TICKET).encode()
    tampered = json.dumps({**TICKET, "priority": "P3"}).encode()
    response = post(client, tampered, secret, ts=ts, signature=webhooks.sign(secret, ts, good))
    assert response.status_code == 401 and stored(tenant_a) == 0


def test_another_tenants_secret_does_not_sign_for_me(client, tenant_a, tenant_b, secret):
    with tenant_context(tenant_b):
        other = webhooks.create_secret()[1]
    assert post(client, TICKET, other).status_code == 401
    assert post(client, TICKET, secret, slug="bravo").status_code == 401
    assert stored(tenant_a) == 0


def test_bad_payload_stores_nothing_and_frees_the_event_id(client, tenant_a, secret):
    response = post(client, [TICKET, {**TICKET, "external_id": "X", "priority": "P9"}], secret)
    assert response.status_code == 400
    body = response.json()
    assert body["errors"][0]["index"] == 1 and body["errors"][0]["field"] == "priority"
    assert stored(tenant_a) == 0
    assert post(client, b"not json", secret, event="ev-2").status_code == 400
    # The sender fixes the payload and sends the same event again.
    assert post(client, [TICKET], secret).status_code == 201
    with tenant_context(tenant_a):
        assert list(WebhookEvent.objects.order_by("id").values_list("status", flat=True)) == [
            "rejected",
            "accepted",
        ]


def test_rotation_keeps_the_previous_secret_for_a_while(client, tenant_a, secret):
    with tenant_context(tenant_a):
        new = webhooks.create_secret()[1]
    assert post(client, TICKET, secret, event="old-1").status_code == 201
    assert post(client, {**TICKET, "external_id": "INC-2"}, new, event="new-1").status_code == 201
    with time_machine.travel(time.time() + 25 * 3600, tick=False):
        late = post(client, {**TICKET, "external_id": "INC-3"}, secret, event="old-2")
        assert late.status_code == 401
        fresh = post(client, {**TICKET, "external_id": "INC-3"}, new, event="new-2")
        assert fresh.status_code == 201
    with tenant_context(tenant_a):
        # A second rotation ends the first secret at once: at most two are ever valid.
        webhooks.create_secret()
        assert len(webhooks.valid_secrets()) == 2
        assert WebhookSecret.objects.count() == 3


def test_too_large_body_is_refused_with_json(client, tenant_a, secret, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    response = post(client, [TICKET, TICKET], secret)
    assert response.status_code == 413 and "too large" in response.json()["error"]
    assert stored(tenant_a) == 0
