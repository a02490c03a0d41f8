"""A failed request writes nothing and queues nothing; a scope holds several transactions."""

import pytest
from django.db import connection, transaction
from django.http import HttpResponse
from django.test import Client
from django.urls import path
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from slaweb.celery import app as celery_app
from slaweb.tenancy.context import current_tenant_id, tenant_context, tenant_scope
from slaweb.tenancy.middleware import failed
from slaweb.tenancy.models import AuditEvent, Membership
from slaweb.tenancy.tasks import TenantTask
from tests.conftest import api_client_for
from tests.factories import MembershipFactory

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]

RAN = []


@celery_app.task(base=TenantTask, name="tests.remember_run")
def remember_run(tenant_id, label):
    RAN.append((tenant_id, label))


def _write(label):
    AuditEvent.objects.create(action="create", model="tests.tx", object_id="1", object_repr=label)
    remember_run.delay_on_commit(current_tenant_id(), label)


def page_boom(request, tenant_slug):
    _write("page boom")
    raise RuntimeError("the view fails after writing")


def page_ok(request, tenant_slug):
    _write("page ok")
    return HttpResponse("ok")


def page_conflict(request, tenant_slug):
    _write("page conflict")
    return HttpResponse("stale", status=409)


def user_setting(request, tenant_slug):
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('app.user_id', true)")
        return HttpResponse(cursor.fetchone()[0] or "")


class ApiBad(APIView):
    def post(self, request):
        _write("api 400")
        raise serializers.ValidationError({"name": ["bad"]})


class ApiOk(APIView):
    def post(self, request):
        _write("api ok")
        return Response({"ok": True}, status=201)


urlpatterns = [
    path("t/<slug:tenant_slug>/boom/", page_boom),
    path("t/<slug:tenant_slug>/ok/", page_ok),
    path("t/<slug:tenant_slug>/conflict/", page_conflict),
    path("t/<slug:tenant_slug>/user-setting/", user_setting),
    path("api/v1/bad/", ApiBad.as_view()),
    path("api/v1/ok/", ApiOk.as_view()),
]


def written(tenant, label):
    with tenant_context(tenant):
        return AuditEvent.objects.filter(model="tests.tx", object_repr=label).count()


@pytest.fixture
def page_client(manager_a):
    client = Client(raise_request_exception=False)
    client.force_login(manager_a.user)
    return client


def test_a_page_that_writes_and_raises_leaves_nothing_and_queues_nothing(
    page_client, tenant_a, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as queued:
        assert page_client.post("/t/alpha/boom/").status_code == 500
    assert written(tenant_a, "page boom") == 0
    assert queued == []


def test_a_page_error_response_rolls_back(
    page_client, tenant_a, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as queued:
        assert page_client.post("/t/alpha/conflict/").status_code == 409
    assert written(tenant_a, "page conflict") == 0
    assert queued == []


def test_a_page_that_succeeds_keeps_its_writes_and_queues_its_task(
    page_client, tenant_a, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as queued:
        assert page_client.post("/t/alpha/ok/").status_code == 200
    assert written(tenant_a, "page ok") == 1
    assert len(queued) == 1


def test_a_drf_view_that_writes_then_answers_400_leaves_nothing(
    manager_a, tenant_a, django_capture_on_commit_callbacks
):
    client = api_client_for(manager_a)
    with django_capture_on_commit_callbacks() as queued:
        response = client.post("/api/v1/bad/")
    assert response.status_code == 400
    assert written(tenant_a, "api 400") == 0
    assert queued == []
    with django_capture_on_commit_callbacks() as queued:
        assert client.post("/api/v1/ok/").status_code == 201
    assert written(tenant_a, "api ok") == 1
    assert len(queued) == 1


@pytest.mark.parametrize(
    ("path_info", "status", "rolled_back"),
    [
        ("/t/alpha/x/", 500, True),
        ("/t/alpha/x/", 400, True),
        ("/t/alpha/x/", 404, True),
        ("/t/alpha/x/", 302, False),
        ("/api/v1/x/", 403, True),
        ("/api/v1/x/", 201, False),
        ("/accounts/login/", 500, True),
        ("/accounts/login/", 403, False),  # a failed login stays recorded
        ("/accounts/login/", 200, False),
    ],
)
def test_which_responses_roll_back(rf, path_info, status, rolled_back):
    assert failed(rf.get(path_info), HttpResponse(status=status)) is rolled_back


def test_a_tenant_page_request_does_not_set_the_user_setting(page_client):
    assert page_client.get("/t/alpha/user-setting/").content == b""


def test_the_tenant_switcher_sees_the_users_memberships_in_every_tenant(manager_a, tenant_b):
    from slaweb.tenancy.selectors import memberships_of

    MembershipFactory(tenant=tenant_b, user=manager_a.user)
    MembershipFactory(tenant=tenant_b)  # someone else's: not shown
    with tenant_context(manager_a.tenant):
        tenants = [m.tenant.slug for m in memberships_of(manager_a.user)]
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_setting('app.user_id', true)")
            assert cursor.fetchone()[0] == ""  # cleared again
    assert tenants == ["alpha", "bravo"]


def _setting():
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('app.tenant_id', true)")
        return cursor.fetchone()[0] or ""


@pytest.mark.django_db(transaction=True)
def test_a_scope_holds_several_committed_transactions(tenant_a, tenant_b):
    """Real commits: each transaction in a scope gets the setting, none outlives it."""
    MembershipFactory(tenant=tenant_a)
    MembershipFactory(tenant=tenant_b)
    with tenant_scope(tenant_a):
        with transaction.atomic():
            assert _setting() == str(tenant_a.pk)
            AuditEvent.objects.create(
                action="create", model="tests.tx", object_id="1", object_repr="first"
            )
        # Committed before the next step (an outbox claim commits before the mail goes out).
        with transaction.atomic():
            assert _setting() == str(tenant_a.pk)
            with pytest.raises(RuntimeError), transaction.atomic():
                AuditEvent.objects.create(
                    action="create", model="tests.tx", object_id="2", object_repr="second"
                )
                raise RuntimeError
        # Outside atomic(): each statement gets a one-statement transaction with the setting.
        assert not connection.in_atomic_block
        assert Membership.objects.count() == 1
        assert _setting() == str(tenant_a.pk)
    assert _setting() == ""  # autocommit outside the scope: the setting died with its statement
    with transaction.atomic():
        assert _setting() == ""  # a pooled connection carries no tenant
    assert written(tenant_a, "first") == 1
    assert written(tenant_a, "second") == 0


@pytest.mark.django_db(transaction=True)
def test_a_tenant_task_runs_in_its_scope_without_a_transaction(tenant_a):
    @celery_app.task(base=TenantTask, name="tests.in_atomic")
    def in_atomic(tenant_id):
        with transaction.atomic():
            setting = _setting()
        return connection.in_atomic_block, setting, current_tenant_id()

    assert in_atomic.apply(args=[tenant_a.pk]).get() == (False, str(tenant_a.pk), tenant_a.pk)


def test_a_scope_entered_inside_a_transaction_sets_and_restores_the_setting(tenant_a, tenant_b):
    # The test runs inside a transaction already (like a request).
    assert _setting() == ""
    with tenant_scope(tenant_a):
        assert _setting() == str(tenant_a.pk)
        with tenant_scope(tenant_a):  # nesting the same tenant keeps it
            assert _setting() == str(tenant_a.pk)
        assert _setting() == str(tenant_a.pk)
    assert _setting() == ""
    with tenant_context(tenant_b):
        assert _setting() == str(tenant_b.pk)
    assert _setting() == ""


def _temp_tables():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname FROM pg_class WHERE relnamespace = pg_my_temp_schema() "
            "AND relkind = 'r' ORDER BY relname"
        )
        return [row[0] for row in cursor.fetchall()]


@pytest.mark.django_db(transaction=True)
def test_business_time_temp_tables_are_dropped_at_commit():
    from datetime import UTC, datetime

    from metrics.business_time import Calendar
    from metrics.business_time_sql import elapsed_into, elapsed_many

    cal = Calendar.business_hours("UTC")  # Mon-Fri 09:00-18:00
    start, end = datetime(2026, 5, 4, 8, tzinfo=UTC), datetime(2026, 5, 5, 12, tzinfo=UTC)
    assert elapsed_many(cal, [(1, start, end, [])])[1].total_seconds() == 12 * 3600
    assert _temp_tables() == []
    with transaction.atomic():
        table = elapsed_into(
            cal,
            "SELECT 1::bigint AS id, %(start)s::timestamptz AS start_at, %(end)s::timestamptz AS end_at",
            params={"start": start, "end": end},
            into="bt_lingers",
        )
        assert _temp_tables() == [table]  # usable until the transaction ends
    assert _temp_tables() == []
    with pytest.raises(RuntimeError):  # outside a transaction it would be gone at once
        elapsed_into(cal, "SELECT 1::bigint AS id, now() AS start_at, now() AS end_at")
