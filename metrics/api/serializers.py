"""API shapes of the metrics domain. Record fields use the ingest names (agreement =
reference, priority = tier code, start/end for outages) so what you read is what you send."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from agreements.api.serializers import InlineChoiceField
from agreements.choices import MeasurementPeriod, TicketKind
from slaweb.tenancy.api.base import TenantScopedSerializer

from ..choices import ActionStatus, ClockKind, ClockState, OutageExclusion, Status
from ..models import (
    ClockRecompute,
    ComplianceResult,
    CreditResult,
    Delivery,
    ImprovementAction,
    Outage,
    Sample,
    Ticket,
    TicketClock,
)

RECORD_FIELDS = ["id", "agreement", "external_id", "source", "created_at", "updated_at"]


class RecordSerializer(TenantScopedSerializer):
    agreement = serializers.CharField(source="agreement_reference", read_only=True)


class PauseSerializer(serializers.Serializer):
    start = serializers.DateTimeField()
    end = serializers.DateTimeField(allow_null=True)


class TicketSerializer(RecordSerializer):
    priority = serializers.CharField(source="tier_code", read_only=True)
    kind = InlineChoiceField(choices=TicketKind.choices, read_only=True)
    pauses = serializers.SerializerMethodField()

    class Meta:
        model = Ticket
        fields = [
            *RECORD_FIELDS,
            "priority",
            "kind",
            "category",
            "opened_at",
            "first_response_at",
            "workaround_at",
            "resolved_at",
            "first_contact_resolved",
            "escalated",
            "recurrence_of",
            "pauses",
        ]
        read_only_fields = fields

    @extend_schema_field(PauseSerializer(many=True))
    def get_pauses(self, obj) -> list[dict]:
        return [{"start": s, "end": e} for s, e in obj.pauses]


class DeliverySerializer(RecordSerializer):
    class Meta:
        model = Delivery
        fields = [*RECORD_FIELDS, "name", "due_at", "delivered_at", "error_free"]
        read_only_fields = fields


class OutageSerializer(RecordSerializer):
    start = serializers.DateTimeField(source="started_at", read_only=True)
    end = serializers.DateTimeField(source="ended_at", read_only=True)
    exclusion = InlineChoiceField(choices=OutageExclusion.choices, read_only=True)

    class Meta:
        model = Outage
        fields = [
            *RECORD_FIELDS,
            "service",
            "start",
            "end",
            "planned",
            "announced_at",
            "exclusion",
            "exclusion_reason",
        ]
        read_only_fields = fields


class SampleSerializer(RecordSerializer):
    metric = serializers.CharField(source="metric_name", read_only=True)
    n = serializers.IntegerField(source="weight", read_only=True)

    class Meta:
        model = Sample
        fields = [*RECORD_FIELDS, "metric", "period_start", "measured_at", "value", "n"]
        read_only_fields = fields


class BulkErrorSerializer(serializers.Serializer):
    index = serializers.IntegerField()
    field = serializers.CharField()
    message = serializers.CharField()


class BulkResultSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    errors = BulkErrorSerializer(many=True)


class TicketClockSerializer(TenantScopedSerializer):
    ticket_external_id = serializers.CharField(source="ticket.external_id", read_only=True)
    metric_name = serializers.CharField(source="metric.name", read_only=True)
    elapsed_minutes = serializers.SerializerMethodField()
    kind = InlineChoiceField(choices=ClockKind.choices, read_only=True)
    state = InlineChoiceField(choices=ClockState.choices, read_only=True)

    class Meta:
        model = TicketClock
        fields = [
            "id",
            "ticket",
            "ticket_external_id",
            "metric",
            "metric_name",
            "agreement",
            "kind",
            "calendar",
            "calendar_hash",
            "started_at",
            "due_target_at",
            "due_minimum_at",
            "stopped_at",
            "elapsed_minutes",
            "state",
            "period_start",
        ]
        read_only_fields = fields

    def get_elapsed_minutes(self, obj) -> float | None:
        return None if obj.elapsed is None else obj.elapsed.total_seconds() / 60


class ComplianceResultSerializer(TenantScopedSerializer):
    agreement_reference = serializers.CharField(source="agreement.reference", read_only=True)
    agreement_version = serializers.IntegerField(source="agreement.version", read_only=True)
    period_kind = InlineChoiceField(choices=MeasurementPeriod.choices, read_only=True)
    status = InlineChoiceField(choices=Status.choices, read_only=True)

    class Meta:
        model = ComplianceResult
        fields = [
            "id",
            "agreement",
            "agreement_reference",
            "agreement_version",
            "metric",
            "metric_name",
            "period_kind",
            "period_start",
            "period_end",
            "count_all",
            "count_within_target",
            "count_within_minimum",
            "value",
            "compliance_rate",
            "status",
            "exclusions",
            "is_open",
            "stale",
            "computed_at",
        ]
        read_only_fields = fields


class CreditResultSerializer(TenantScopedSerializer):
    agreement_reference = serializers.CharField(source="agreement.reference", read_only=True)

    class Meta:
        model = CreditResult
        fields = [
            "id",
            "agreement",
            "agreement_reference",
            "period_start",
            "breached_metrics",
            "percent",
            "amount",
            "currency",
            "cap_applied",
            "how",
            "computed_at",
        ]
        read_only_fields = fields


class ImprovementActionSerializer(TenantScopedSerializer):
    """Read everything; update owner, due date, status, notes and verification only."""

    status = InlineChoiceField(choices=ActionStatus.choices, required=False)

    class Meta:
        model = ImprovementAction
        fields = [
            "id",
            "agreement",
            "metric",
            "metric_name",
            "streak_start",
            "triggered_by",
            "owner",
            "due_date",
            "status",
            "notes",
            "verification",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "id",
            "agreement",
            "metric",
            "metric_name",
            "streak_start",
            "triggered_by",
            "created_at",
            "updated_at",
        ]


class ClockRecomputeSerializer(TenantScopedSerializer):
    status = InlineChoiceField(choices=ClockRecompute.Status.choices, read_only=True)
    percent = serializers.IntegerField(read_only=True)
    stalled = serializers.BooleanField(source="is_stalled", read_only=True)
    can_run_again = serializers.BooleanField(read_only=True)

    class Meta:
        model = ClockRecompute
        fields = [
            "id",
            "subject",
            "calendar",
            "families",
            "status",
            "total",
            "done",
            "percent",
            "stalled",
            "can_run_again",
            "created_at",
            "updated_at",
            "finished_at",
        ]
        read_only_fields = fields
