"""Row-level security and grants, applied after every `migrate` run by the owner role.

Every table with a `tenant_id` column gets FORCE ROW LEVEL SECURITY and the policy
below, found from the catalog, so a new tenant table cannot be forgotten. The app
role gets plain DML on everything, except the audit table (insert and read only).
"""

from __future__ import annotations

from django.conf import settings
from django.db import connections

OWNER_ALIAS = "owner"
AUDIT_TABLE = "tenancy_auditevent"
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
        if role != connection.settings_dict["USER"]:
            for statement in grant_statements(role):
                cursor.execute(statement)


def on_post_migrate(sender, using=None, app_config=None, **kwargs):
    # Sent once per app after all migrations ran; acting on one app is enough.
    if using == OWNER_ALIAS and app_config is not None and app_config.label == "tenancy":
        apply(using)
