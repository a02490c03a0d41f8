"""The tenant scope and the per-transaction database setting.

Two separate things:

- `tenant_scope(tenant, actor)`: the ContextVar and the django-scopes scope. It opens no
  transaction; a task or service holds it and opens as many short transactions as it needs
  (an outbox claim commits before the mail is sent).
- the RLS setting `app.tenant_id` is transaction-local (`set_config(..., true)`): a
  connection `execute_wrapper` (installed on every connection, see apps.py) sets it before
  the first statement of every transaction opened while a scope is active, and a statement
  run outside `transaction.atomic()` inside a scope gets a one-statement transaction of its
  own. Entering or leaving a scope inside a running transaction sets or restores it at once.
  So a pooled connection never carries a tenant beyond one transaction.

`tenant_context(tenant)` = `tenant_scope(tenant)` + one `transaction.atomic()`, as before:
web requests (middleware), commands and scripts use it.
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from django.db import connection, transaction
from django_scopes import scope
from psycopg2.extensions import TRANSACTION_STATUS_IDLE, TRANSACTION_STATUS_INTRANS


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


def _setting(tenant_id) -> str:
    return "" if tenant_id is None else str(tenant_id)


def _set_tenant_now(db, tenant_id) -> None:
    """Set app.tenant_id in the transaction already running on `db`, if any."""
    if db.connection is None or not db.in_atomic_block:
        return
    if db.connection.get_transaction_status() == TRANSACTION_STATUS_INTRANS:
        with db.connection.cursor() as cursor:
            cursor.execute("SELECT set_config('app.tenant_id', %s, true)", [_setting(tenant_id)])


def tenant_setting_wrapper(execute, sql, params, many, context):
    """Connection execute_wrapper: every transaction inside a scope starts with the setting."""
    tenant_id = _tenant_id.get()
    if tenant_id is None:
        return execute(sql, params, many, context)
    db = context["connection"]
    if not db.in_atomic_block:
        # Autocommit inside a scope: a transaction of one statement, with the setting.
        with transaction.atomic(using=db.alias):
            return tenant_setting_wrapper(execute, sql, params, many, context)
    if db.connection.get_transaction_status() == TRANSACTION_STATUS_IDLE:
        # The first statement of a new transaction: the setting goes first (own cursor,
        # as a server-side cursor cannot run a second statement).
        with db.connection.cursor() as cursor:
            cursor.execute("SELECT set_config('app.tenant_id', %s, true)", [str(tenant_id)])
    return execute(sql, params, many, context)


def install_tenant_setting(sender=None, connection=None, **kwargs):
    """`connection_created` receiver: add the wrapper once per connection object."""
    if tenant_setting_wrapper not in connection.execute_wrappers:
        connection.execute_wrappers.append(tenant_setting_wrapper)


@contextmanager
def tenant_scope(tenant, actor: Actor | None = None):
    """Hold one tenant: ContextVar and scoped managers; no transaction of its own.

    Every transaction opened inside gets app.tenant_id (see tenant_setting_wrapper).
    Nesting the same tenant is allowed, another tenant is refused.
    """
    tenant_id = tenant if isinstance(tenant, int) else tenant.pk
    if tenant_id is None:
        raise TenantContextError("tenant has no id")
    active = _tenant_id.get()
    if active is not None and active != tenant_id:
        raise TenantContextError("a tenant context is already open for another tenant")
    install_tenant_setting(connection=connection)
    tenant_token = _tenant_id.set(tenant_id)
    actor_token = _actor.set(actor or _actor.get())
    try:
        if active != tenant_id:
            _set_tenant_now(connection, tenant_id)
        with scope(tenant=tenant_id):
            yield
    finally:
        _actor.reset(actor_token)
        _tenant_id.reset(tenant_token)
        if active != tenant_id:
            # An outer transaction must not keep this tenant's setting.
            _set_tenant_now(connection, active)


@contextmanager
def tenant_context(tenant, actor: Actor | None = None):
    """A tenant scope and one transaction (requests, commands, scripts)."""
    with tenant_scope(tenant, actor), transaction.atomic():
        yield


@contextmanager
def acting_as(actor: Actor):
    token = _actor.set(actor)
    try:
        yield
    finally:
        _actor.reset(token)
