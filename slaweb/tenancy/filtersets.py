import datetime as dt

import django_filters
from django.core.exceptions import ValidationError
from django_filters.fields import IsoDateTimeField

from .audit_display import record_type_choices
from .models import AuditEvent, Membership, Role


class UTCIsoDateTimeField(IsoDateTimeField):
    def to_python(self, value):
        # In UTC: ISO 8601 allows offsets PostgreSQL refuses (beyond ±15:59), a 500 otherwise.
        parsed = super().to_python(value)
        if parsed is None or parsed.tzinfo is None:
            return parsed
        try:
            return parsed.astimezone(dt.UTC)
        except OverflowError as error:  # year 1 or 9999 moved past the calendar's end
            raise ValidationError(self.error_messages["invalid"], code="invalid") from error


class IsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    """ISO 8601 date-time filter that hands the database a UTC value. Use for every
    date-time query parameter."""

    field_class = UTCIsoDateTimeField


class MembershipFilterSet(django_filters.FilterSet):
    role = django_filters.ChoiceFilter(choices=Role.choices)
    email = django_filters.CharFilter(field_name="user__email", lookup_expr="icontains")

    class Meta:
        model = Membership
        fields = ["role", "email"]


class AuditEventFilterSet(django_filters.FilterSet):
    action = django_filters.ChoiceFilter(choices=AuditEvent.Action.choices)
    model = django_filters.ChoiceFilter(choices=record_type_choices)
    object_id = django_filters.CharFilter()
    actor = django_filters.CharFilter(field_name="actor_label", lookup_expr="icontains")
    since = IsoDateTimeFilter(field_name="at", lookup_expr="gte")
    until = IsoDateTimeFilter(field_name="at", lookup_expr="lt")

    class Meta:
        model = AuditEvent
        fields = ["action", "model", "object_id", "actor", "since", "until"]
