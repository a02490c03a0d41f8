"""The audit trail reads for people: record types and field labels in words, choice labels,
related rows by name, times in the tenant's time zone with the zone said; the record type
filter is a list."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from agreements import services
from agreements.choices import Side
from slaweb.tenancy.context import tenant_context
from tests.agreements.conftest import make_draft

pytestmark = pytest.mark.django_db


@pytest.fixture
def shanghai(tenant_a):
    tenant_a.time_zone = "Asia/Shanghai"
    tenant_a.save()
    return tenant_a


def audit_page(client, admin_a, **query):
    client.force_login(admin_a.user)
    url = reverse("tenancy:audit", args=[admin_a.tenant.slug])
    return client.get(url, query).content.decode()


@time_machine.travel(dt.datetime(2026, 3, 2, 20, 30, tzinfo=dt.UTC), tick=False)
def test_changes_in_words_and_local_time(client, shanghai, admin_a):
    draft = make_draft(shanghai, "SLA-A1")
    with tenant_context(shanghai):
        services.submit(draft)
        services.approve(draft, side=Side.CUSTOMER, name="Li Lei")
    page = audit_page(client, admin_a, model="agreements.agreement")
    assert "Times in Asia/Shanghai." in page
    assert "2026-03-03 04:30:00 CST" in page  # 20:30 UTC is the next morning in Shanghai
    assert "Agreement" in page and "agreements.agreement</code>" not in page
    assert '<th scope="row">Status</th><td>Draft</td><td>In review</td>' in page
    assert "Customer of SLA-A1" in page  # the customer by name, not its id
    assert "customer_id" not in page and "in_review" not in page
    assert "P1 Urgent" not in page  # filtered to agreements: no tier rows


def test_the_record_type_filter_is_a_list_of_names(client, tenant_a, admin_a):
    page = audit_page(client, admin_a)
    assert '<select name="model"' in page
    assert '<option value="agreements.agreement">Agreement</option>' in page
    assert '<option value="agreements.prioritytier">Priority tier</option>' in page


def test_a_page_of_events_costs_constant_queries(
    client, tenant_a, admin_a, django_assert_max_num_queries
):
    for n in range(3):
        make_draft(tenant_a, f"SLA-Q{n}")
    client.force_login(admin_a.user)
    url = reverse("tenancy:audit", args=[tenant_a.slug])
    with django_assert_max_num_queries(25):
        response = client.get(url)
    assert response.status_code == 200
