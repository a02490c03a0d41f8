"""Keys that carry the tenant, read from the catalog, so a new table that breaks a rule fails.

- every foreign key between two tenant tables has a composite partner
  (tenant_id, <fk>) -> parent (tenant_id, <key>), deferred and MATCH SIMPLE like Django's;
  a key whose own constraint a model turns off (`db_constraint=False`) counts too, read
  from the model: the composite partner is then what checks it;
- no table without tenant_id points at a tenant table (a many-to-many table must be an
  explicit through model that carries the tenant);
- every unique constraint or unique index of a tenant table starts with tenant_id, except
  the single-column primary key (what a Citus distribution by tenant_id needs);
- as the app role, pointing a row at another tenant's parent row is refused, for every
  such key (RLS alone does not cover foreign-key checks).
"""

import pytest
from django.db import IntegrityError, connection, transaction

from slaweb.tenancy.db_security import (
    ForeignKey,
    all_keys,
    composite_key_statements,
    foreign_keys,
    missing_partners,
    tenant_links,
    tenant_tables,
    unconstrained_keys,
    unique_indexes,
)
from tests.factories.registry import factories_by_table

pytestmark = pytest.mark.django_db


def catalog():
    """Tenant tables, keys (the catalog's and the models' unconstrained ones), unique indexes."""
    with connection.cursor() as cursor:
        tables = set(tenant_tables(cursor))
        return tables, all_keys(cursor), unique_indexes(cursor)


def test_every_key_to_a_tenant_table_has_a_composite_partner_with_the_tenant():
    tables, keys, _ = catalog()
    links = tenant_links(keys, tables)
    assert len(links) >= 10, "the catalog query finds the agreements' keys (not vacuous)"
    assert not missing_partners(keys, tables), missing_partners(keys, tables)


def test_a_key_without_its_own_constraint_is_still_checked_with_the_tenant():
    """The clock rows' keys have no single-column constraint (bulk ingestion pays per row
    for each); each is still a link that needs, and has, its composite partner."""
    tables, keys, _ = catalog()
    declared = [k for k in unconstrained_keys(tables) if k.parent in tables]
    assert {k.columns[0] for k in declared if k.table == "metrics_ticketclock"} >= {
        "ticket_id",
        "metric_id",
        "agreement_id",
        "calendar_id",
    }
    with connection.cursor() as cursor:
        constrained = {(k.table, k.columns) for k in foreign_keys(cursor)}
    assert not any((k.table, k.columns) in constrained for k in declared)
    links = {(link.table, link.columns) for link, _column in tenant_links(keys, tables)}
    assert all((k.table, k.columns) in links for k in declared)
    # Without its composite partner such a key is reported (the rule is not vacuous for
    # keys that exist only on the model).
    partners = {(k.table, ("tenant_id", *k.columns)) for k in declared}
    without = [k for k in keys if (k.table, k.columns) not in partners]
    assert sorted(missing_partners(without, tables)) == sorted(
        f"{k.table}.{k.columns[0]} -> {k.parent}" for k in declared
    )


def test_a_model_key_with_neither_constraint_nor_partner_is_reported():
    tables = {"child", "parent"}
    lone = ForeignKey(
        "Child.parent (model, no constraint)",
        "child",
        ("parent_id",),
        "parent",
        ("id",),
        True,
        True,
    )
    assert missing_partners([lone], tables) == ["child.parent_id -> parent"]
    partner = ForeignKey(
        "child_parent_id_tenant_fk",
        "child",
        ("tenant_id", "parent_id"),
        "parent",
        ("tenant_id", "id"),
        True,
        True,
    )
    assert missing_partners([lone, partner], tables) == []


def test_every_foreign_key_of_a_tenant_table_to_another_carries_tenant_id():
    tables, keys, _ = catalog()
    # Keys between tenant tables: either the composite (first column tenant_id) or the
    # single-column Django key it partners; the tenant key itself points at tenancy_tenant.
    wrong = [
        f"{k.table}{k.columns} -> {k.parent}{k.parent_columns}"
        for k in keys
        if k.table in tables
        and k.parent in tables
        and len(k.columns) > 1
        and (k.columns[0], k.parent_columns[0]) != ("tenant_id", "tenant_id")
    ]
    assert not wrong, wrong
    assert all(
        k.parent == "tenancy_tenant"
        for k in keys
        if k.table in tables and k.columns == ("tenant_id",)
    )


def test_a_table_without_tenant_id_points_at_a_tenant_table_only_through_its_tenant_key():
    tables, keys, _ = catalog()
    covered = {(link.table, link.columns) for link, _column in tenant_links(keys, tables)}
    outside = sorted(
        f"{k.table}.{k.columns[0]} -> {k.parent}"
        for k in keys
        if k.parent in tables
        and k.table not in tables
        and len(k.columns) == 1
        and (k.table, k.columns) not in covered
    )
    assert not outside, f"give these tables a tenant (explicit through model): {outside}"


def test_every_unique_key_of_a_tenant_table_starts_with_tenant_id():
    tables, _, indexes = catalog()
    checked = [index for index in indexes if index.table in tables and not index.primary]
    assert any(index.columns == ("tenant_id", "id") for index in checked)
    wrong = [f"{i.table}.{i.name} {i.columns}" for i in checked if i.columns[0] != "tenant_id"]
    assert not wrong, wrong
    primaries = [i for i in indexes if i.table in tables and i.primary]
    assert {i.table for i in primaries} == tables
    assert all(i.columns == ("id",) for i in primaries), "only the id primary key is exempt"


def test_the_composite_keys_are_complete_so_applying_again_changes_nothing():
    with connection.cursor() as cursor:
        assert composite_key_statements(cursor) == []


def set_tenant(tenant_id):
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('app.tenant_id', %s, true)", [str(tenant_id)])


def _refusal(sql, params) -> str:
    """'tenant_fk' when a composite tenant key refused the statement, else what happened."""
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, params)
            if cursor.rowcount != 1:
                return f"{cursor.rowcount} rows written (no row to test with)"
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # Django's keys are deferred
    except IntegrityError as error:
        cause = error.__cause__
        if cause.pgcode == "23503" and cause.diag.constraint_name.endswith("tenant_fk"):
            return "tenant_fk"
        return str(cause)
    return "accepted"


def test_a_contact_cannot_belong_to_another_tenants_customer(tenant_a, tenant_b):
    from tests.factories.agreements import ContactFactory, CustomerFactory

    own = ContactFactory(tenant=tenant_a)
    foreign_customer = CustomerFactory(tenant=tenant_b)
    set_tenant(tenant_a.pk)
    columns = [
        f.column
        for f in own._meta.concrete_fields
        if f.column not in ("id", "customer_id", "email")
    ]
    names = ", ".join(f'"{c}"' for c in columns)
    sql = (
        f"INSERT INTO agreements_contact ({names}, customer_id, email) "
        f"SELECT {names}, %s, 'other@example.com' FROM agreements_contact WHERE id = %s"
    )
    assert _refusal(sql, [foreign_customer.pk, own.pk]) == "tenant_fk"
    # The same insert with the tenant's own customer is accepted (the test is not vacuous).
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, [own.customer_id, own.pk])
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def test_no_row_can_point_at_another_tenants_row(tenant_a, tenant_b):
    factories = factories_by_table()
    tables, keys, _ = catalog()
    for table in sorted(tables):
        for tenant in (tenant_a, tenant_b):
            factories[table](tenant=tenant)
    for link, tenant_column in tenant_links(keys, tables):
        if tenant_column != "tenant_id":
            continue  # platform tables: their composite key is checked from the catalog above
        (column,), (parent_column,) = link.columns, link.parent_columns
        set_tenant(tenant_b.pk)
        with connection.cursor() as cursor:
            cursor.execute(f'SELECT "{parent_column}" FROM "{link.parent}" LIMIT 1')
            foreign = cursor.fetchone()[0]
        set_tenant(tenant_a.pk)
        sql = (
            f'UPDATE "{link.table}" SET "{column}" = %s '
            f'WHERE id = (SELECT min(id) FROM "{link.table}" WHERE tenant_id = %s)'
        )
        expected = FROZEN_ROWS.get(link.table, "tenant_fk")
        assert expected in _refusal(sql, [foreign, tenant_a.pk]), f"{link.table}.{column}"


# Tables whose every row a trigger freezes: an UPDATE stops there before the key is
# checked (their composite keys are proven from the catalog above).
FROZEN_ROWS = {"reports_report": "is published and cannot change"}


def test_every_tenant_column_is_not_null_and_points_at_the_tenant():
    """Through its own key, or (constraint turned off on the model) through a composite key
    to a parent whose tenant column points at the tenant."""
    tables, keys, _ = catalog()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
            "WHERE c.relname = ANY(%s) AND a.attname = 'tenant_id' AND NOT a.attnotnull",
            [sorted(tables)],
        )
        assert cursor.fetchall() == []
    with connection.cursor() as cursor:
        constrained = foreign_keys(cursor)
    to_tenant = {
        k.table for k in constrained if k.columns == ("tenant_id",) and k.parent == "tenancy_tenant"
    }
    declared = {
        k.table
        for k in unconstrained_keys(tables)
        if k.columns == ("tenant_id",) and k.parent == "tenancy_tenant"
    }
    through_parent = {
        k.table
        for k in constrained
        if len(k.columns) > 1 and k.columns[0] == "tenant_id" and k.parent in to_tenant
    }
    assert to_tenant | (declared & through_parent) == tables
    assert declared >= {"metrics_ticketclock"}, "the clock rows' tenant key is on the model"
