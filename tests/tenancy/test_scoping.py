"""Fail-closed scoping in code: scoped managers, the tenant context, the viewset base, tasks."""

import pytest
from django.apps import apps
from django_scopes.exceptions import ScopeError

from slaweb.celery import app as celery_app
from slaweb.tenancy.api.base import TenantScopedViewSet
from slaweb.tenancy.context import TenantContextError, current_tenant_id, tenant_context
from slaweb.tenancy.models import Membership, TenantOwned
from slaweb.tenancy.tasks import TenantTask
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db

TENANT_MODELS = [m for m in apps.get_models() if issubclass(m, TenantOwned)]


@pytest.mark.parametrize("model", TENANT_MODELS, ids=lambda m: m._meta.label)
def test_an_unscoped_query_raises(model):
    with pytest.raises(ScopeError):
        list(model.objects.all())
    with pytest.raises(ScopeError):
        model.objects.filter(pk=1).exists()


def test_a_scoped_query_returns_only_the_tenants_rows(tenant_a, tenant_b):
    own = MembershipFactory(tenant=tenant_a)
    MembershipFactory(tenant=tenant_b)
    with tenant_context(tenant_a):
        assert list(Membership.objects.all()) == [own]


def test_saving_outside_a_tenant_context_is_refused(tenant_a):
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create(username="x@example.com")
    with pytest.raises(TenantContextError):
        Membership(user=user, role="viewer").save()


def test_saving_a_row_of_another_tenant_inside_a_context_is_refused(tenant_a, tenant_b):
    other = MembershipFactory(tenant=tenant_b)
    with tenant_context(tenant_a), pytest.raises(TenantContextError):
        other.save()


def test_a_context_cannot_open_inside_another_tenants_context(tenant_a, tenant_b):
    with tenant_context(tenant_a):
        with pytest.raises(TenantContextError):
            with tenant_context(tenant_b):
                pass
        assert current_tenant_id() == tenant_a.pk
    assert current_tenant_id() is None


def test_the_viewset_base_refuses_a_get_queryset_override():
    with pytest.raises(TypeError):

        class Sneaky(TenantScopedViewSet):
            model = Membership

            def get_queryset(self):
                return Membership.objects.with_scopes_disabled().all()


@celery_app.task(base=TenantTask, name="tests.count_members")
def count_members(tenant_id):
    return current_tenant_id(), Membership.objects.count()


def test_a_tenant_task_runs_inside_its_tenants_scope(tenant_a, tenant_b):
    MembershipFactory.create_batch(2, tenant=tenant_a)
    MembershipFactory(tenant=tenant_b)
    assert count_members.apply(args=[tenant_a.pk]).get() == (tenant_a.pk, 2)
    assert count_members.apply(args=[tenant_b.pk]).get() == (tenant_b.pk, 1)
    assert current_tenant_id() is None
