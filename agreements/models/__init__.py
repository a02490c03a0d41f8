"""The agreements domain: the catalog, business calendars, agreements and their parts,
and metric definitions (contract terms).

Rules about one row live on the models (`clean()`); writes that span rows live in
services. An agreement is only edited while it is a draft: from review on, its content
and its parts are frozen, and a change is a new version (services.new_version).
"""

from .agreement import (
    Agreement,
    AgreementApproval,
    AgreementPart,
    AgreementService,
    ExclusionRule,
    PriorityTier,
    ReportRecipient,
    validate_credit_tiers,
)
from .base import DAY_MINUTES, EARLIEST_DATE, LATEST_DATE, TimeStamped, check_same_tenant
from .calendars import (
    BusinessCalendar,
    CalendarDate,
    CalendarHoliday,
    CalendarSlot,
    CalendarWorkingDay,
    check_holiday_region,
    check_slots,
    engine_calendar,
    slot_minutes,
)
from .catalog import Contact, Customer, Service
from .metrics import MetricDefinition, MetricTier, validate_metric_tiers

__all__ = [
    "DAY_MINUTES",
    "EARLIEST_DATE",
    "LATEST_DATE",
    "Agreement",
    "AgreementApproval",
    "AgreementPart",
    "AgreementService",
    "BusinessCalendar",
    "CalendarDate",
    "CalendarHoliday",
    "CalendarSlot",
    "CalendarWorkingDay",
    "Contact",
    "Customer",
    "ExclusionRule",
    "MetricDefinition",
    "MetricTier",
    "PriorityTier",
    "ReportRecipient",
    "Service",
    "TimeStamped",
    "check_holiday_region",
    "check_same_tenant",
    "check_slots",
    "engine_calendar",
    "slot_minutes",
    "validate_credit_tiers",
    "validate_metric_tiers",
]
