"""Isolation of the agreement pages the object suites in test_pages*.py do not name: the
parts of an agreement (tiers, metrics, exclusions, recipients), lists and create forms."""

from __future__ import annotations

import pytest

from tests.factories.agreements import (
    AgreementFactory,
    BusinessCalendarFactory,
    CustomerFactory,
    ExclusionRuleFactory,
    MetricDefinitionFactory,
    PriorityTierFactory,
    ReportRecipientFactory,
    ServiceFactory,
)
from tests.isolation import PageIsolationTests

pytestmark = pytest.mark.django_db


class _PartPages(PageIsolationTests):
    """URLs of a part: /agreements/<agreement>/<kind>/<part>/. Under another tenant's slug
    the part's own agreement; under mine, one of my drafts with the foreign part."""

    def url_args(self, obj, tenant):
        if obj.tenant_id == tenant.pk:
            return [obj.agreement_id, obj.pk]
        return [AgreementFactory(tenant=tenant).pk, obj.pk]


class TestTierPagesIsolation(_PartPages):
    factory = PriorityTierFactory
    url_names = ["agreements:tier-edit"]
    post_url_names = ["agreements:tier-edit", "agreements:tier-delete"]


class TestMetricPagesIsolation(_PartPages):
    factory = MetricDefinitionFactory
    url_names = ["agreements:metric-edit"]
    post_url_names = ["agreements:metric-edit", "agreements:metric-delete"]


class TestExclusionPagesIsolation(_PartPages):
    factory = ExclusionRuleFactory
    url_names = ["agreements:exclusion-edit"]
    post_url_names = ["agreements:exclusion-edit", "agreements:exclusion-delete"]


class TestRecipientPagesIsolation(_PartPages):
    factory = ReportRecipientFactory
    url_names = ["agreements:recipient-edit"]
    post_url_names = ["agreements:recipient-edit", "agreements:recipient-delete"]


class TestAgreementListIsolation(PageIsolationTests):
    factory = AgreementFactory
    list_url_names = ["agreements:list"]

    def marker(self, obj):
        return obj.reference


class TestCustomerListsIsolation(PageIsolationTests):
    """The customer list, and the new-agreement form's customer choices."""

    factory = CustomerFactory
    list_url_names = ["agreements:catalog-customer-list", "agreements:create"]
    # The create form has no choice of another model; its POST creates in request.tenant
    # (tests/agreements/test_pages_catalog.py creates through it).
    covers = ["agreements:catalog-customer-create"]

    def marker(self, obj):
        return obj.name


class TestServiceListIsolation(PageIsolationTests):
    factory = ServiceFactory
    list_url_names = ["agreements:catalog-service-list"]
    covers = ["agreements:catalog-service-create"]  # no choices; as customer-create

    def marker(self, obj):
        return obj.name


class TestCalendarListIsolation(PageIsolationTests):
    factory = BusinessCalendarFactory
    list_url_names = ["agreements:catalog-calendar-list"]
    covers = ["agreements:catalog-calendar-create"]  # no choices; as customer-create

    def marker(self, obj):
        return obj.name
