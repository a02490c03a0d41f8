"""Row-level security proven in the database, as the app role, on every tenant table."""

import pytest
from django.db import DatabaseError, connection, transaction

from slaweb.tenancy.db_security import EXTRA_READ_POLICIES, tenant_tables
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


# The policies themselves: only the known ones, and the two read-only extras do what they say.


def _policies():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, p.polname, p.polpermissive, p.polcmd, "
            "pg_get_expr(p.polqual, p.polrelid), pg_get_expr(p.polwithcheck, p.polrelid) "
            "FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid "
            "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = current_schema()"
        )
        return cursor.fetchall()


def test_no_table_has_a_permissive_policy_other_than_the_known_ones():
    tables = set(all_tenant_tables())
    policies = _policies()
    assert policies, "the catalog query sees the policies (not vacuous)"
    unexpected = []
    for table, name, permissive, command, using, check in policies:
        if name == "tenant_isolation" and table in tables:
            assert command == "*" and "app.tenant_id" in using and "app.tenant_id" in check
        elif name == "extra_read" and table in EXTRA_READ_POLICIES:
            # Read-only: SELECT, no WITH CHECK, exactly the documented condition.
            assert command == "r" and check is None, table
            setting = "app.user_id" if table == "tenancy_membership" else "app.token_digest"
            assert setting in using, table
        elif permissive:
            unexpected.append((table, name))
    assert not unexpected, f"permissive policies nobody reviewed: {unexpected}"
    extras = {table for table, name, *_ in policies if name == "extra_read"}
    assert extras == set(EXTRA_READ_POLICIES) == {"tenancy_membership", "tenancy_apitoken"}


def _set(name, value):
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config(%s, %s, true)", [f"app.{name}", value])


def _rowcount(sql, params=()):
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def test_a_user_sees_their_own_memberships_by_user_id_and_can_change_none(tenant_a, tenant_b):
    from tests.factories import MembershipFactory

    mine_a = MembershipFactory(tenant=tenant_a)
    mine_b = MembershipFactory(tenant=tenant_b, user=mine_a.user)
    MembershipFactory(tenant=tenant_a)
    MembershipFactory(tenant=tenant_b)
    set_tenant(None)
    _set("user_id", str(mine_a.user_id))
    with connection.cursor() as cursor:
        cursor.execute("SELECT id FROM tenancy_membership ORDER BY id")
        assert [row[0] for row in cursor.fetchall()] == [mine_a.pk, mine_b.pk]
    # Visible is not writable: no row to update or delete, no insert passes the check.
    assert _rowcount("UPDATE tenancy_membership SET role = 'admin'") == 0
    assert _rowcount("DELETE FROM tenancy_membership") == 0
    assert _refused(
        "INSERT INTO tenancy_membership (tenant_id, user_id, role, created_at) "
        "VALUES (%s, %s, 'admin', now())",
        [tenant_b.pk, mine_a.user_id],
    )
    assert count("tenancy_apitoken") == 0  # the user setting opens nothing else
    _set("user_id", "")
    assert count("tenancy_membership") == 0


def test_a_token_row_is_visible_by_its_digest_only_and_cannot_be_changed(tenant_a, tenant_b):
    from tests.factories import ApiTokenFactory

    token = ApiTokenFactory(tenant=tenant_b)
    ApiTokenFactory(tenant=tenant_b)
    set_tenant(tenant_a.pk)  # another tenant is open: the digest still finds exactly one row
    _set("token_digest", token.digest)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, tenant_id FROM tenancy_apitoken WHERE tenant_id = %s", [tenant_b.pk]
        )
        assert cursor.fetchall() == [(token.pk, tenant_b.pk)]
    assert (
        _rowcount("UPDATE tenancy_apitoken SET revoked_at = now() WHERE id = %s", [token.pk]) == 0
    )
    assert _rowcount("DELETE FROM tenancy_apitoken WHERE id = %s", [token.pk]) == 0
    assert count("tenancy_membership", "tenant_id = %s", [tenant_b.pk]) == 0
    _set("token_digest", "")
    assert count("tenancy_apitoken", "tenant_id = %s", [tenant_b.pk]) == 0
