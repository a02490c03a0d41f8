"""Row-level security, cross-tenant-proof foreign keys and grants, applied after every
`migrate` run by the owner role.

Every table with a `tenant_id` column gets FORCE ROW LEVEL SECURITY and the policy
below, found from the catalog, so a new tenant table cannot be forgotten. The app
role gets plain DML on everything, except the audit table (insert and read only).

PostgreSQL checks foreign keys without row-level security, so a single-column key could
point at another tenant's row. Every foreign key between two tenant tables therefore gets
a composite partner: `FOREIGN KEY (tenant_id, <fk>_id) REFERENCES parent (tenant_id, id)`
(DEFERRABLE INITIALLY DEFERRED like Django's own; MATCH SIMPLE, so a NULL key is not
checked), on a `UNIQUE (tenant_id, id)` added to each referenced tenant table. Both are
found from the catalog and created only when missing (compared by columns, not by name).
The key to `tenancy_tenant` itself is the tenant column and stays single-column. A
platform table without tenant_id that names its tenant in one key to tenancy_tenant
(e.g. a link looked up before the tenant is known) gets the same composite key through
that column. This is also the shape a distributed PostgreSQL (Citus) needs: every key
carries the distribution column (docs/operations/scaling.md).

A model may turn a key's own constraint off (`db_constraint=False`, e.g. the clock rows
bulk ingestion writes, where each check costs per row): the composite partner is then
derived from the model field instead of the catalog, so the reference is still checked,
with the tenant.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.conf import settings
from django.db import connections

OWNER_ALIAS = "owner"
AUDIT_TABLE = "tenancy_auditevent"
TENANT_TABLE = "tenancy_tenant"
CURRENT_TENANT = "NULLIF(current_setting('app.tenant_id', true), '')::bigint"

# Extra ways to see a row besides its tenant (never to write one): a user sees their own
# memberships (tenant switcher) and a token is found by its digest (API authentication).
EXTRA_READ_POLICIES = {
    "tenancy_membership": "user_id = NULLIF(current_setting('app.user_id', true), '')::bigint",
    "tenancy_apitoken": "digest = NULLIF(current_setting('app.token_digest', true), '')",
}

TENANT_TABLES_SQL = """
    SELECT c.relname
    FROM pg_class c
    JOIN pg_namespace n ON n.oid = c.relnamespace
    JOIN pg_attribute a ON a.attrelid = c.oid
    WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p')
      AND a.attname = 'tenant_id' AND NOT a.attisdropped
    ORDER BY c.relname
"""


FOREIGN_KEYS_SQL = """
    SELECT con.conname, child.relname, parent.relname,
           ARRAY(SELECT a.attname FROM unnest(con.conkey) WITH ORDINALITY AS k(attnum, n)
                 JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum
                 ORDER BY k.n),
           ARRAY(SELECT a.attname FROM unnest(con.confkey) WITH ORDINALITY AS k(attnum, n)
                 JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.attnum
                 ORDER BY k.n),
           con.condeferrable, con.condeferred
    FROM pg_constraint con
    JOIN pg_class child ON child.oid = con.conrelid
    JOIN pg_class parent ON parent.oid = con.confrelid
    JOIN pg_namespace n ON n.oid = child.relnamespace
    WHERE con.contype = 'f' AND n.nspname = current_schema()
    ORDER BY child.relname, con.conname
"""

# Unique indexes (constraints create one too); expression columns show as NULL.
UNIQUE_INDEXES_SQL = """
    SELECT t.relname, ix.relname, i.indisprimary, i.indpred IS NOT NULL,
           ARRAY(SELECT a.attname FROM unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, n)
                 LEFT JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
                 ORDER BY k.n)
    FROM pg_index i
    JOIN pg_class t ON t.oid = i.indrelid
    JOIN pg_class ix ON ix.oid = i.indexrelid
    JOIN pg_namespace n ON n.oid = t.relnamespace
    WHERE i.indisunique AND n.nspname = current_schema()
    ORDER BY t.relname, ix.relname
"""


@dataclass(frozen=True)
class ForeignKey:
    name: str
    table: str
    columns: tuple[str, ...]
    parent: str
    parent_columns: tuple[str, ...]
    deferrable: bool
    deferred: bool


@dataclass(frozen=True)
class UniqueIndex:
    table: str
    name: str
    primary: bool
    partial: bool
    columns: tuple[str | None, ...]


def foreign_keys(cursor) -> list[ForeignKey]:
    cursor.execute(FOREIGN_KEYS_SQL)
    return [
        ForeignKey(name, table, tuple(cols), parent, tuple(parent_cols), deferrable, deferred)
        for name, table, parent, cols, parent_cols, deferrable, deferred in cursor.fetchall()
    ]


def unconstrained_keys(tables: set[str] | None = None) -> list[ForeignKey]:
    """Keys declared on models with `db_constraint=False`, shaped like catalog keys (the
    name says where they come from), so the composite partners are derived from them too.
    `tables`: only keys from these (existing) tables."""
    from django.apps import apps
    from django.db import models

    keys = []
    for model in apps.get_models():
        table = model._meta.db_table
        if tables is not None and table not in tables:
            continue
        for field in model._meta.concrete_fields:
            if isinstance(field, models.ForeignKey) and not field.db_constraint:
                keys.append(
                    ForeignKey(
                        f"{model.__name__}.{field.name} (model, no constraint)",
                        table,
                        (field.column,),
                        field.related_model._meta.db_table,
                        (field.target_field.column,),
                        True,
                        True,
                    )
                )
    return keys


def all_keys(cursor) -> list[ForeignKey]:
    """The catalog's keys and the models' unconstrained ones (of tables that exist)."""
    existing = set(connections["default"].introspection.table_names(cursor))
    return foreign_keys(cursor) + unconstrained_keys(existing)


def missing_partners(keys: list[ForeignKey], tables: set[str]) -> list[str]:
    """Links to a tenant table without their composite (tenant) partner among `keys`."""
    present = {(k.table, k.columns, k.parent, k.parent_columns): k for k in keys}
    missing = []
    for link, tenant_column in tenant_links(keys, tables):
        wanted = (
            link.table,
            (tenant_column, *link.columns),
            link.parent,
            ("tenant_id", *link.parent_columns),
        )
        partner = present.get(wanted)
        if partner is None or not (partner.deferrable and partner.deferred):
            missing.append(f"{link.table}.{link.columns[0]} -> {link.parent}")
    return missing


def unique_indexes(cursor) -> list[UniqueIndex]:
    cursor.execute(UNIQUE_INDEXES_SQL)
    return [
        UniqueIndex(table, name, primary, partial, tuple(cols))
        for table, name, primary, partial, cols in cursor.fetchall()
    ]


def tenant_links(keys: list[ForeignKey], tables: set[str]) -> list[tuple[ForeignKey, str]]:
    """Single-column keys pointing at a tenant table, each with its table's tenant column.

    From a tenant table that column is tenant_id. A platform table without tenant_id (say
    a link looked up before the tenant is known) that names its tenant in one key to
    tenancy_tenant uses that key's column. Keys from other tables are not listed (a test
    refuses them). The key to tenancy_tenant itself is never a link.
    """
    platform_tenant: dict[str, list[str]] = {}
    for key in keys:
        if key.parent == TENANT_TABLE and len(key.columns) == 1 and key.table not in tables:
            platform_tenant.setdefault(key.table, []).append(key.columns[0])
    links = []
    for key in keys:
        if key.parent not in tables or len(key.columns) != 1:
            continue
        if key.table in tables:
            links.append((key, "tenant_id"))
        elif len(platform_tenant.get(key.table, ())) == 1:
            links.append((key, platform_tenant[key.table][0]))
    return links


def _identifier(*parts: str) -> str:
    name = "_".join(parts)
    if len(name) <= 63:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:8]
    return f"{name[:54]}_{digest}"


def composite_key_statements(cursor) -> list[str]:
    """What is missing for every tenant-to-tenant key to carry tenant_id (idempotent)."""
    tables = set(tenant_tables(cursor))
    keys = all_keys(cursor)
    unique = {(u.table, frozenset(u.columns)) for u in unique_indexes(cursor) if not u.partial}
    present = {(k.table, k.columns, k.parent, k.parent_columns) for k in keys}
    statements = []
    for key, tenant_column in tenant_links(keys, tables):
        (column,), (parent_column,) = key.columns, key.parent_columns
        if (key.parent, frozenset(("tenant_id", parent_column))) not in unique:
            unique.add((key.parent, frozenset(("tenant_id", parent_column))))
            statements.append(
                f'ALTER TABLE "{key.parent}" ADD CONSTRAINT '
                f'"{_identifier(key.parent, "tenant", parent_column, "key")}" '
                f'UNIQUE (tenant_id, "{parent_column}")'
            )
        wanted = (key.table, (tenant_column, column), key.parent, ("tenant_id", parent_column))
        if wanted not in present:
            present.add(wanted)
            statements.append(
                f'ALTER TABLE "{key.table}" ADD CONSTRAINT '
                f'"{_identifier(key.table, column, "tenant_fk")}" '
                f'FOREIGN KEY ("{tenant_column}", "{column}") '
                f'REFERENCES "{key.parent}" (tenant_id, "{parent_column}") '
                "MATCH SIMPLE DEFERRABLE INITIALLY DEFERRED"
            )
    return statements


def app_role() -> str:
    return settings.DATABASES["default"]["USER"]


def tenant_tables(cursor) -> list[str]:
    cursor.execute(TENANT_TABLES_SQL)
    return [row[0] for row in cursor.fetchall()]


def policy_statements(table: str) -> list[str]:
    statements = [
        f'ALTER TABLE "{table}" ENABLE ROW LEVEL SECURITY',
        f'ALTER TABLE "{table}" FORCE ROW LEVEL SECURITY',
        f'DROP POLICY IF EXISTS tenant_isolation ON "{table}"',
        f'CREATE POLICY tenant_isolation ON "{table}" '
        f"USING (tenant_id = {CURRENT_TENANT}) WITH CHECK (tenant_id = {CURRENT_TENANT})",
        f'DROP POLICY IF EXISTS extra_read ON "{table}"',
    ]
    if table in EXTRA_READ_POLICIES:
        statements.append(
            f'CREATE POLICY extra_read ON "{table}" FOR SELECT USING ({EXTRA_READ_POLICIES[table]})'
        )
    return statements


def grant_statements(role: str) -> list[str]:
    return [
        f'GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO "{role}"',
        f'GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO "{role}"',
        f'REVOKE UPDATE, DELETE, TRUNCATE ON "{AUDIT_TABLE}" FROM "{role}"',
        f'REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON django_migrations FROM "{role}"',
    ]


def apply(using: str = OWNER_ALIAS) -> None:
    connection = connections[using]
    role = app_role()
    with connection.cursor() as cursor:
        for table in tenant_tables(cursor):
            for statement in policy_statements(table):
                cursor.execute(statement)
        for statement in composite_key_statements(cursor):
            cursor.execute(statement)
        if role != connection.settings_dict["USER"]:
            for statement in grant_statements(role):
                cursor.execute(statement)


def on_post_migrate(sender, using=None, app_config=None, plan=None, **kwargs):
    # Sent once per app after all migrations ran; acting on one app is enough. `flush`
    # sends it too, without a plan: the schema did not change, and re-applying would take
    # back the test database's extra grants mid-run.
    if plan is None:
        return
    if using == OWNER_ALIAS and app_config is not None and app_config.label == "tenancy":
        apply(using)
