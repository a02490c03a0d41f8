"""The editable fields of an agreement and its parts, in one place (reading order).

Read by the services (nested writes, the copy into a new version), the API serializers,
the forms and the version diff, so a new field is added here once.
"""

TIER_FIELDS = (
    "code",
    "name",
    "description",
    "response_minutes",
    "resolution_minutes",
    "calendar",
    "order",
)
METRIC_FIELDS = (
    "name",
    "kind",
    "direction",
    "unit",
    "target",
    "minimum_acceptable",
    "attainment_goal_percent",
    "data_source",
    "provider_responsible",
    "customer_responsible",
    "period",
    "ticket_kinds",
    "ticket_categories",
    "clock_stop",
    "order",
)
EXCLUSION_FIELDS = ("kind", "description")
RECIPIENT_FIELDS = ("side", "contact", "name", "email")
COPIED_AGREEMENT_FIELDS = (
    "title",
    "reference",
    "kind",
    "customer",
    "customer_contact",
    "provider_team",
    "provider_contact_name",
    "provider_contact_email",
    "scope_included",
    "scope_excluded",
    "provider_responsibilities",
    "customer_responsibilities",
    "default_calendar",
    "effective_to",
    "monthly_fee",
    "currency",
    "credit_percent",
    "credit_tiers",
    "credit_cap_percent",
    "escalation_consecutive_breaches",
    "escalation_plan_due_days",
    "escalation_counts_warnings",
    "maintenance_notice_hours",
    "report_day_of_month",
    "report_periods",
)

__all__ = [
    "COPIED_AGREEMENT_FIELDS",
    "EXCLUSION_FIELDS",
    "METRIC_FIELDS",
    "RECIPIENT_FIELDS",
    "TIER_FIELDS",
]
