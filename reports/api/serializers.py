"""API shapes of published reports (read-only) and the publish request."""

from __future__ import annotations

from rest_framework import serializers

from agreements.api.serializers import InlineChoiceField
from agreements.choices import MeasurementPeriod
from slaweb.tenancy.api.base import TenantScopedSerializer

from .. import periods
from ..choices import Health
from ..models import Report

FIELDS = [
    "id",
    "family",
    "agreement",
    "reference",
    "period_kind",
    "period",
    "period_start",
    "period_end",
    "revision",
    "health",
    "reason",
    "published_at",
    "published_by",
]


class ReportSerializer(TenantScopedSerializer):
    """A published revision; `snapshot` (decision 010, schema 1) in the detail only."""

    reference = serializers.CharField(source="agreement.reference", read_only=True)
    period = serializers.SerializerMethodField()
    period_kind = InlineChoiceField(choices=MeasurementPeriod.choices, read_only=True)
    health = InlineChoiceField(choices=Health.choices, read_only=True)
    published_by = serializers.SerializerMethodField()

    class Meta:
        model = Report
        fields = FIELDS
        read_only_fields = fields

    def get_period(self, report) -> str:
        return periods.label(report.period_kind, report.period_start)

    def get_published_by(self, report) -> str | None:
        user = report.published_by
        return None if user is None else (user.get_full_name() or user.email)


class ReportDetailSerializer(ReportSerializer):
    snapshot = serializers.JSONField(read_only=True)

    class Meta(ReportSerializer.Meta):
        fields = [*FIELDS, "snapshot"]
        read_only_fields = fields


class PublishSerializer(serializers.Serializer):
    """Publish an agreement's report for a period (revision 1), or again with a reason."""

    agreement = serializers.IntegerField(
        min_value=1, max_value=2**63 - 1, help_text="Any version's id of the agreement."
    )
    period = serializers.CharField(help_text='"2026-10", "2026-Q3" or "2026".')
    reason = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=2000,
        help_text="Required when the period is already published.",
    )
    send = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Also email the revision (PDF attached) to the report's recipients.",
    )

    def validate_period(self, value):
        try:
            return periods.parse(value)
        except ValueError:
            raise serializers.ValidationError(
                'Write a period like "2026-10", "2026-Q3" or "2026".'
            ) from None


class DiffEntrySerializer(serializers.Serializer):
    path = serializers.CharField()
    section = serializers.CharField()
    old = serializers.JSONField(allow_null=True)
    new = serializers.JSONField(allow_null=True)
