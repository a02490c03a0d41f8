"""Isolation of the tenancy pages without an object (members, tokens, audit, dashboard) and
of the API's `me`."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.conftest import api_client_for
from tests.factories import ApiTokenFactory, AuditEventFactory, MembershipFactory
from tests.factories.agreements import AgreementFactory
from tests.isolation import IsolationCoverage, PageIsolationTests

pytestmark = pytest.mark.django_db


class TestMemberListIsolation(PageIsolationTests):
    factory = MembershipFactory
    list_url_names = ["tenancy:members"]

    def marker(self, obj):
        return obj.user.email  # not the logged-in admin's, which the header shows


class TestTokenListIsolation(PageIsolationTests):
    factory = ApiTokenFactory
    list_url_names = ["tenancy:tokens"]

    @pytest.fixture
    def own(self, tenant_a):
        return self.factory(tenant=tenant_a, name="Alpha's sync token")

    @pytest.fixture
    def other(self, tenant_b):
        return self.factory(tenant=tenant_b, name="Bravo's sync token")

    def marker(self, obj):
        return obj.name


class TestAuditListIsolation(PageIsolationTests):
    factory = AuditEventFactory
    list_url_names = ["tenancy:audit"]

    @pytest.fixture
    def own(self, tenant_a):
        return self.factory(tenant=tenant_a, object_repr="alpha's contract")

    @pytest.fixture
    def other(self, tenant_b):
        return self.factory(tenant=tenant_b, object_repr="bravo's contract")

    def marker(self, obj):
        return obj.object_repr


class TestDashboardIsolation(IsolationCoverage):
    covers = ["tenancy:dashboard"]

    def test_the_dashboard_shows_nothing_of_another_tenant(
        self, client, admin_a, tenant_a, tenant_b
    ):
        foreign = AgreementFactory(tenant=tenant_b, title="Bravo secret deal")
        client.force_login(admin_a.user)
        page = client.get(reverse("tenancy:dashboard", args=[tenant_a.slug])).content.decode()
        assert tenant_a.name in page
        assert tenant_b.name not in page and foreign.title not in page


class TestMeIsolation(IsolationCoverage):
    covers = ["api:me"]

    def test_me_is_the_tokens_own_tenant_and_role(self, admin_a, manager_b):
        body = api_client_for(manager_b).get(reverse("api:me")).json()
        assert (body["tenant"], body["role"], body["email"]) == (
            "bravo",
            "manager",
            "manager@bravo.example",
        )
