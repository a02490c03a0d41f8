"""The tenant context: one ContextVar, the django-scopes scope and the database setting.

Everything that reads or writes tenant data runs inside `tenant_context(tenant)`:
web requests (middleware), API requests (token), Celery tasks and management commands.
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from django.db import connection, transaction
from django_scopes import scope


@dataclass(frozen=True)
class Actor:
    """Who is acting, for the audit trail."""

    user_id: int | None
    label: str
    via: str  # web, api, task, command


_tenant_id: ContextVar[int | None] = ContextVar("slaweb_tenant_id", default=None)
_actor: ContextVar[Actor | None] = ContextVar("slaweb_actor", default=None)


class TenantContextError(RuntimeError):
    pass


def current_tenant_id() -> int | None:
    return _tenant_id.get()


def current_actor() -> Actor | None:
    return _actor.get()


def set_db_setting(name: str, value) -> None:
    """Set a transaction-local setting read by the row-level security policies."""
    if not connection.in_atomic_block:
        raise TenantContextError(f"app.{name} must be set inside a transaction")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT set_config(%s, %s, true)", [f"app.{name}", "" if value is None else str(value)]
        )


@contextmanager
def tenant_context(tenant, actor: Actor | None = None):
    """Open the three locks for one tenant: ContextVar, scoped managers, RLS setting."""
    tenant_id = tenant if isinstance(tenant, int) else tenant.pk
    if tenant_id is None:
        raise TenantContextError("tenant has no id")
    active = _tenant_id.get()
    if active is not None and active != tenant_id:
        raise TenantContextError("a tenant context is already open for another tenant")
    tenant_token = _tenant_id.set(tenant_id)
    actor_token = _actor.set(actor or _actor.get())
    try:
        with transaction.atomic():
            set_db_setting("tenant_id", tenant_id)
            with scope(tenant=tenant_id):
                yield
            # Reached only without an exception (otherwise the savepoint rollback undoes
            # the setting): an outer transaction must not keep this tenant's setting.
            set_db_setting("tenant_id", active)
    finally:
        _actor.reset(actor_token)
        _tenant_id.reset(tenant_token)


@contextmanager
def acting_as(actor: Actor):
    token = _actor.set(actor)
    try:
        yield
    finally:
        _actor.reset(token)
