"""Fixtures of the reports tests: active agreements built through the agreements services
(the metrics tests' helpers), data through the real ingest service and compliance worker."""

from __future__ import annotations

import pytest

from slaweb.tenancy.context import tenant_context
from tests.metrics.conftest import make_active


@pytest.fixture
def agreement(tenant_a):
    return make_active(tenant_a)


@pytest.fixture
def scope_a(tenant_a):
    with tenant_context(tenant_a):
        yield tenant_a
