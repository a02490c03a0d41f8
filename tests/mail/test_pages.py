"""The outbox page: admins only, one tenant's mail, no bodies; suppressions can be lifted."""

import pytest
from django.urls import reverse

from slaweb.mail.choices import Status
from slaweb.mail.models import Suppression
from slaweb.tenancy.context import tenant_context
from tests.factories.mail import OutboxMessageFactory, SuppressionFactory
from tests.isolation import PageIsolationTests

pytestmark = pytest.mark.django_db


class TestSuppressionPagesIsolation(PageIsolationTests):
    factory = SuppressionFactory
    post_url_names = ["mail:suppression-remove"]
    list_url_names = ["mail:outbox"]

    def marker(self, obj):
        return obj.address


class TestOutboxListIsolation(PageIsolationTests):
    factory = OutboxMessageFactory
    list_url_names = ["mail:outbox"]

    def marker(self, obj):
        return obj.to_address


def outbox_url(slug="alpha"):
    return reverse("mail:outbox", args=[slug])


def test_admins_see_their_tenants_mail_without_bodies(client, admin_a, tenant_b):
    OutboxMessageFactory(
        tenant=admin_a.tenant,
        to_address="mine@x.example",
        body_text="secret-link-123",
        status=Status.FAILED,
        last_error="550 No such user",
    )
    OutboxMessageFactory(tenant=tenant_b, to_address="theirs@x.example")
    SuppressionFactory(tenant=admin_a.tenant, address="gone@x.example")
    SuppressionFactory(tenant=tenant_b, address="other-gone@x.example")
    client.force_login(admin_a.user)
    page = client.get(outbox_url()).content.decode()
    assert "mine@x.example" in page and "550 No such user" in page
    assert "gone@x.example" in page
    assert "theirs@x.example" not in page and "other-gone@x.example" not in page
    assert "secret-link-123" not in page


def test_the_status_filter_narrows_the_list(client, admin_a):
    OutboxMessageFactory(tenant=admin_a.tenant, to_address="ok@x.example", status=Status.SENT)
    OutboxMessageFactory(tenant=admin_a.tenant, to_address="bad@x.example", status=Status.FAILED)
    client.force_login(admin_a.user)
    response = client.get(outbox_url(), {"status": "failed"})
    assert [m.to_address for m in response.context["object_list"]] == ["bad@x.example"]
    bad = client.get(outbox_url(), {"status": "nonsense"})
    assert bad.status_code == 200
    assert 'role="alert"' in bad.content.decode()  # the filter says what is wrong


def test_managers_and_viewers_get_403(client, admin_a, manager_a, viewer_a):
    suppression = SuppressionFactory(tenant=admin_a.tenant)
    for member in (manager_a, viewer_a):
        client.force_login(member.user)
        assert client.get(outbox_url()).status_code == 403
        remove = reverse("mail:suppression-remove", args=["alpha", suppression.pk])
        assert client.post(remove).status_code == 403
    with tenant_context(admin_a.tenant_id):
        assert Suppression.objects.filter(pk=suppression.pk).exists()


def test_an_admin_lets_an_address_receive_mail_again(client, admin_a):
    suppression = SuppressionFactory(tenant=admin_a.tenant, address="back@x.example")
    client.force_login(admin_a.user)
    response = client.post(
        reverse("mail:suppression-remove", args=["alpha", suppression.pk]), follow=True
    )
    assert "back@x.example will receive mail again." in response.content.decode()
    with tenant_context(admin_a.tenant_id):
        assert not Suppression.objects.exists()


def test_the_page_runs_a_constant_number_of_queries(client, admin_a, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    OutboxMessageFactory(tenant=admin_a.tenant)
    SuppressionFactory(tenant=admin_a.tenant)
    client.force_login(admin_a.user)
    with CaptureQueriesContext(connection) as few:
        client.get(outbox_url())
    OutboxMessageFactory.create_batch(30, tenant=admin_a.tenant)
    SuppressionFactory.create_batch(30, tenant=admin_a.tenant)
    with django_assert_max_num_queries(len(few)):
        response = client.get(outbox_url())
    assert len(response.context["object_list"]) == 31
