"""Writes of the agreements domain that span rows: atomic, validated, audited through saves.

Pages and the API call these; neither writes agreements or their parts another way.

- editing: create_agreement, update_agreement (ConflictError when stale), save_part,
  save_metric, delete_part, delete_agreement
- workflow: submit / withdraw / send_back / approve / activate / terminate / expire / new_version,
  expire_due (the daily job)
- approval_link: request_customer_approval (emails the customer contact a signed link),
  approve_by_link, decline_by_link
- calendars: save_calendar(calendar, slots=..., holidays=..., working_days=...)
"""

from ..editable import (
    COPIED_AGREEMENT_FIELDS,
    EXCLUSION_FIELDS,
    METRIC_FIELDS,
    RECIPIENT_FIELDS,
    TIER_FIELDS,
)
from .approval_link import (
    approve_by_link,
    decline_by_link,
    request_customer_approval,
)
from .base import FrozenError, atomic_service
from .calendars import save_calendar
from .editing import (
    NESTED,
    ConflictError,
    always_calendar,
    create_agreement,
    default_exclusions,
    default_tiers,
    delete_agreement,
    delete_part,
    save_metric,
    save_part,
    save_tier,
    update_agreement,
)
from .workflow import (
    activate,
    approve,
    completeness_errors,
    expire,
    expire_due,
    new_version,
    send_back,
    submit,
    terminate,
    withdraw,
)

__all__ = [
    "COPIED_AGREEMENT_FIELDS",
    "EXCLUSION_FIELDS",
    "METRIC_FIELDS",
    "NESTED",
    "RECIPIENT_FIELDS",
    "TIER_FIELDS",
    "ConflictError",
    "FrozenError",
    "activate",
    "always_calendar",
    "approve",
    "approve_by_link",
    "atomic_service",
    "completeness_errors",
    "create_agreement",
    "decline_by_link",
    "default_exclusions",
    "default_tiers",
    "delete_agreement",
    "delete_part",
    "expire",
    "expire_due",
    "new_version",
    "request_customer_approval",
    "save_calendar",
    "save_metric",
    "save_part",
    "save_tier",
    "send_back",
    "submit",
    "terminate",
    "update_agreement",
    "withdraw",
]
