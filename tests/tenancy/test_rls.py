"""Row-level security proven in the database, as the app role, on every tenant table."""

import pytest
from django.db import DatabaseError, connection, transaction

from slaweb.tenancy.db_security import tenant_tables
from tests.factories.registry import factories_by_table

pytestmark = pytest.mark.django_db


def set_tenant(tenant_id):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT set_config('app.tenant_id', %s, true)",
            ["" if tenant_id is None else str(tenant_id)],
        )


def count(table, where="TRUE", params=()):
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT count(*) FROM "{table}" WHERE {where}', params)
        return cursor.fetchone()[0]


def all_tenant_tables():
    with connection.cursor() as cursor:
        return tenant_tables(cursor)


@pytest.fixture
def rows_everywhere(tenant_a, tenant_b):
    """One row of every tenant table in each tenant."""
    factories = factories_by_table()
    for table in all_tenant_tables():
        for tenant in (tenant_a, tenant_b):
            factories[table](tenant=tenant)
    return tenant_a, tenant_b


def test_the_app_role_is_not_privileged():
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")
        assert cursor.fetchone() == (False, False)
        cursor.execute(
            "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tableowner = current_user"
        )
        assert cursor.fetchone()[0] == 0


def test_every_tenant_table_forces_rls_with_the_tenant_policy():
    tables = all_tenant_tables()
    assert {"tenancy_membership", "tenancy_apitoken", "tenancy_auditevent"} <= set(tables)
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(
                "SELECT relrowsecurity, relforcerowsecurity FROM pg_class WHERE relname = %s",
                [table],
            )
            assert cursor.fetchone() == (True, True), table
            cursor.execute(
                "SELECT pg_get_expr(polqual, polrelid), pg_get_expr(polwithcheck, polrelid) FROM pg_policy "
                "WHERE polrelid = %s::regclass AND polname = 'tenant_isolation'",
                [table],
            )
            using, check = cursor.fetchone()
            assert "app.tenant_id" in using and "app.tenant_id" in check, table


def test_every_tenant_table_has_a_factory_for_these_tests():
    missing = set(all_tenant_tables()) - set(factories_by_table())
    assert not missing, f"add a TenantOwnedFactory for {sorted(missing)}"


def test_tenant_a_sees_none_of_b_rows(rows_everywhere):
    tenant_a, tenant_b = rows_everywhere
    for table in all_tenant_tables():
        set_tenant(tenant_b.pk)
        assert count(table) > 0, f"{table}: B has rows (the test is not vacuous)"
        set_tenant(tenant_a.pk)
        assert count(table) > 0, table
        assert count(table, "tenant_id = %s", [tenant_b.pk]) == 0, table
        assert count(table, "tenant_id <> %s", [tenant_a.pk]) == 0, table


def test_without_a_tenant_nothing_is_visible(rows_everywhere):
    set_tenant(None)
    for table in all_tenant_tables():
        assert count(table) == 0, table


def _columns(table):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = %s "
            "AND is_identity = 'NO' AND is_generated = 'NEVER' ORDER BY ordinal_position",
            [table],
        )
        return [row[0] for row in cursor.fetchall()]


def _refused(sql, params):
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, params)
    except DatabaseError as error:
        return getattr(error.__cause__, "pgcode", None) == "42501"  # insufficient_privilege / RLS
    return False


def test_inserting_a_row_for_another_tenant_is_refused(rows_everywhere):
    tenant_a, tenant_b = rows_everywhere
    set_tenant(tenant_a.pk)
    for table in all_tenant_tables():
        columns = _columns(table)
        values = ", ".join("%s" if c == "tenant_id" else f'"{c}"' for c in columns)
        names = ", ".join(f'"{c}"' for c in columns)
        sql = f'INSERT INTO "{table}" ({names}) SELECT {values} FROM "{table}" WHERE tenant_id = %s LIMIT 1'
        assert _refused(sql, [tenant_b.pk, tenant_a.pk]), table


def test_moving_a_row_to_another_tenant_is_refused(rows_everywhere):
    tenant_a, tenant_b = rows_everywhere
    set_tenant(tenant_a.pk)
    for table in all_tenant_tables():
        assert _refused(
            f'UPDATE "{table}" SET tenant_id = %s WHERE tenant_id = %s', [tenant_b.pk, tenant_a.pk]
        ), table


def test_the_audit_trail_cannot_be_edited_by_the_app_role(rows_everywhere):
    tenant_a, _ = rows_everywhere
    set_tenant(tenant_a.pk)
    assert count("tenancy_auditevent") > 0
    assert _refused("UPDATE tenancy_auditevent SET actor_label = 'forged'", [])
    assert _refused("DELETE FROM tenancy_auditevent", [])
    assert count("tenancy_auditevent", "actor_label = 'forged'") == 0
