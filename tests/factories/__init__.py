"""Factories; a tenant-owned factory creates its row inside its tenant's context, and a
child factory copies its parent's tenant."""

# Imported for their registration: every tenant model has a factory (tests/tenancy/test_rls.py).
from . import agreements, mail, metrics, metrics_surfaces, reports, surveys  # noqa: F401
from .base import TenantOwnedFactory
from .tenancy import (
    ApiTokenFactory,
    AuditEventFactory,
    MembershipFactory,
    TenantFactory,
    UserFactory,
)

__all__ = [
    "ApiTokenFactory",
    "AuditEventFactory",
    "MembershipFactory",
    "TenantFactory",
    "TenantOwnedFactory",
    "UserFactory",
]
