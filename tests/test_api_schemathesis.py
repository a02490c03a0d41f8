"""Property-based API testing from the OpenAPI schema, as an admin, a manager and a viewer.

Every generated request runs in its own transaction (rolled back after it), against one
row of every API resource in my tenant and one in another tenant; path ids are my row's,
the other tenant's row's, or generated. Properties checked on every request:
- no 5xx;
- another tenant's id never answers 2xx;
- a viewer's write is refused (403) whatever the body.

Speed (chosen deliberately): the coverage phase is off. It walks every boundary value of
every field deterministically and took minutes (417 s of the suite); the examples phase
(schema examples) and the fuzzing phase (positive and negative data, shrinking) stay on,
with 10 fuzzing examples per operation and role (so 30 per operation), derandomized so a
failure reproduces. The isolation and role properties are what this test adds over the
hand-written API tests; they need many operations × roles, not many bodies per operation.
"""

from __future__ import annotations

import pytest
import schemathesis
from django.db import transaction
from django.urls import reverse
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error

from tests.conftest import api_client_for
from tests.factories.registry import factories_by_table
from tests.routes import api_routes

pytestmark = pytest.mark.django_db

MINE, THEIRS, GENERATED = 0, 1, 2


@pytest.fixture
def api_schema(db):
    from django.core.signals import request_finished, request_started
    from django.core.wsgi import get_wsgi_application
    from django.db import close_old_connections

    # As Django's test client does: keep the test's connection (and transaction) open.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    schema = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())
    schema.config.phases.update(phases=["examples", "fuzzing"])
    yield schema
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def keys(admin_a, manager_a, viewer_a):
    members = {"admin": admin_a, "manager": manager_a, "viewer": viewer_a}
    return {
        role: api_client_for(member)._credentials["HTTP_AUTHORIZATION"]
        for role, member in members.items()
    }


@pytest.fixture
def rows(tenant_a, tenant_b, admin_a, manager_a, viewer_a, admin_b):
    """{list URL: (my row's id, the other tenant's row's id)} for every API resource."""
    factories = factories_by_table()
    ids = {}
    for route in api_routes():
        model = getattr(route.view_class, "model", None)
        if not route.name.endswith("-list") or model is None:
            continue
        factory = factories[model._meta.db_table]
        ids[reverse(route.name)] = (factory(tenant=tenant_a).pk, factory(tenant=tenant_b).pk)
    return ids


def test_every_resource_has_rows(rows):
    assert len(rows) == len({r.basename for r in api_routes() if r.basename})


schema = schemathesis.pytest.from_fixture("api_schema")


def check(case, pick, role, keys, rows):
    resource = case.operation.path.split("{")[0]
    if case.path_parameters and pick != GENERATED:
        mine, theirs = rows[resource]
        for name in case.path_parameters:
            case.path_parameters[name] = mine if pick == MINE else theirs
    with transaction.atomic():  # each case in its own transaction, rolled back
        response = case.call(headers={"Authorization": keys[role]})
        transaction.set_rollback(True)
    case.validate_response(response, checks=[not_a_server_error])
    if case.path_parameters and pick == THEIRS:
        assert not 200 <= response.status_code < 300, "another tenant's row answered"
    if role == "viewer" and case.method.upper() not in ("GET", "HEAD", "OPTIONS"):
        # 401: a negative case replaced the token with a malformed one; 404: a generated
        # id that no URL matches (e.g. "a/b").
        refused = (401, 403, 404) if case.path_parameters and pick == GENERATED else (401, 403)
        assert response.status_code in refused, response.status_code


PICK = st.sampled_from([MINE, THEIRS, GENERATED])
SETTINGS = settings(
    max_examples=10, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True
)


@schema.parametrize()
@schema.given(pick=PICK)
@SETTINGS
def test_as_an_admin(case, pick, keys, rows):
    check(case, pick, "admin", keys, rows)


@schema.parametrize()
@schema.given(pick=PICK)
@SETTINGS
def test_as_a_manager(case, pick, keys, rows):
    check(case, pick, "manager", keys, rows)


@schema.parametrize()
@schema.given(pick=PICK)
@SETTINGS
def test_as_a_viewer(case, pick, keys, rows):
    check(case, pick, "viewer", keys, rows)
