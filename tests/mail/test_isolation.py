"""A tenant never sees another tenant's outgoing mail, attachments or suppressions."""

import pytest
from django.db import connection
from django_scopes.exceptions import ScopeError

from slaweb.mail import services
from slaweb.mail.models import OutboxAttachment, OutboxMessage, Suppression
from slaweb.tenancy.context import tenant_context
from tests.factories.mail import (
    OutboxAttachmentFactory,
    OutboxMessageFactory,
    SuppressionFactory,
)

pytestmark = pytest.mark.django_db

MODELS = [
    (OutboxMessage, OutboxMessageFactory),
    (OutboxAttachment, OutboxAttachmentFactory),
    (Suppression, SuppressionFactory),
]


@pytest.mark.parametrize(("model", "factory"), MODELS)
def test_a_tenant_sees_only_its_own_rows(tenant_a, tenant_b, model, factory):
    own, other = factory(tenant=tenant_a), factory(tenant=tenant_b)
    with tenant_context(tenant_a):
        assert list(model.objects.values_list("pk", flat=True)) == [own.pk]
        # the database agrees, without the scoped manager
        with connection.cursor() as cursor:
            cursor.execute(f'SELECT id FROM "{model._meta.db_table}"')
            assert [row[0] for row in cursor.fetchall()] == [own.pk]
    with tenant_context(tenant_b):
        assert list(model.objects.values_list("pk", flat=True)) == [other.pk]


@pytest.mark.parametrize(("model", "factory"), MODELS)
def test_no_scope_no_rows(tenant_a, model, factory):
    factory(tenant=tenant_a)
    with pytest.raises(ScopeError):
        list(model.objects.all())


def test_keys_and_suppressions_of_another_tenant_do_not_count(tenant_a, tenant_b):
    other = OutboxMessageFactory(tenant=tenant_b, key="shared-key", to_address="x@example.com")
    SuppressionFactory(tenant=tenant_b, address="x@example.com")
    with tenant_context(tenant_a):
        assert not services.is_suppressed("x@example.com")
        mine = services.enqueue(
            "password-reset", "x@example.com", {"reset_url": "u"}, key="shared-key"
        )
        assert mine.pk != other.pk and mine.status == "queued"
