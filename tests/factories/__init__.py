"""Factories; a tenant-owned factory creates its row inside its tenant's context, and a
child factory copies its parent's tenant."""

from . import agreements  # noqa: F401, E402 - registers the agreements factories
from . import mail  # noqa: F401, E402 - registers the outbox factories
from . import metrics  # noqa: F401, E402 - registers the metrics factories
from . import metrics_surfaces  # noqa: F401, E402 - imports and webhook rows
from . import surveys  # noqa: F401, E402 - registers the surveys factories
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
