"""Audit trail: every save and delete of a tenant-owned model becomes an AuditEvent.

Bulk operations (QuerySet.update, bulk_create) send no signals; services that use them
record an event themselves with `record()` (or `record_created()` for many inserted rows).
"""

from __future__ import annotations

import json

from django.core.serializers.json import DjangoJSONEncoder
from django.db.models.signals import post_delete, post_save

from .context import current_actor

SKIPPED_FIELDS = {"tenant"}


def _plain(value):
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def _snapshot(instance) -> dict:
    # A model lists its secrets (token digests, key prefixes) in `audit_secret_fields`:
    # the append-only audit table must never hold them.
    skipped = SKIPPED_FIELDS | set(getattr(instance, "audit_secret_fields", ()))
    return {
        field.attname: field.value_from_object(instance)
        for field in instance._meta.concrete_fields
        if field.name not in skipped
    }


def diff(instance) -> dict:
    """Field -> [old, new] for the fields that changed since the instance was loaded."""
    before = getattr(instance, "_loaded_values", {})
    after = _snapshot(instance)
    ignored = getattr(instance, "audit_ignore", ())
    return {
        name: _plain([before.get(name), value])
        for name, value in after.items()
        if name in before and before[name] != value and name not in ignored
    }


def _event_fields(instance, action: str, changes: dict | None, actor) -> dict:
    return {
        "tenant_id": instance.tenant_id,
        "actor_id": actor.user_id if actor else None,
        "actor_label": actor.label if actor else "system",
        "via": actor.via if actor else "",
        "action": action,
        "model": instance._meta.label_lower,
        "object_id": str(instance.pk),
        "object_repr": str(instance)[:200],
        "changes": changes or {},
    }


def record(instance, action: str, changes: dict | None = None) -> None:
    from .models import AuditEvent

    AuditEvent.objects.create(**_event_fields(instance, action, changes, current_actor()))


def _created(instance) -> dict:
    return {k: _plain([None, v]) for k, v in _snapshot(instance).items()}


def record_created(instances) -> None:
    """The "create" events of rows a service inserted in bulk (no post_save), with the
    content a save would have written, in one INSERT."""
    from .models import AuditEvent

    actor = current_actor()
    events = []
    for instance in instances:
        events.append(AuditEvent(**_event_fields(instance, "create", _created(instance), actor)))
        instance._loaded_values = _snapshot(instance)
    if events:
        AuditEvent.objects.bulk_create(events)


def _on_save(sender, instance, created, raw=False, **kwargs):
    if raw or not _is_audited(sender):
        return
    if created:
        record(instance, "create", _created(instance))
    else:
        changes = diff(instance)
        if changes:
            record(instance, "update", changes)
    instance._loaded_values = _snapshot(instance)


def _on_delete(sender, instance, **kwargs):
    if _is_audited(sender):
        record(instance, "delete", {k: _plain([v, None]) for k, v in _snapshot(instance).items()})


def _is_audited(model) -> bool:
    from .models import AuditEvent, TenantOwned

    return (
        issubclass(model, TenantOwned)
        and model is not AuditEvent
        and not model._meta.abstract
        and getattr(model, "audited", True)  # e.g. the mail outbox, its own log
    )


def connect_signals() -> None:
    post_save.connect(_on_save, dispatch_uid="tenancy-audit-save")
    post_delete.connect(_on_delete, dispatch_uid="tenancy-audit-delete")
