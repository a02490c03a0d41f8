"""API serializers: input is validated by the models' own rules (full_clean), writes go
through agreements.services, so the API and the pages enforce the same rules."""

from __future__ import annotations

import copy

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from rest_framework import serializers

from slaweb.tenancy.api.base import TenantScopedSerializer

from .. import services
from ..choices import (
    TICKET_KINDS,
    AgreementKind,
    AgreementStatus,
    CustomerKind,
    ExclusionKind,
    MetricKind,
    Side,
    TierCode,
)
from ..editable import COPIED_AGREEMENT_FIELDS, METRIC_FIELDS, TIER_FIELDS
from ..models import (
    Agreement,
    AgreementApproval,
    BusinessCalendar,
    CalendarHoliday,
    CalendarSlot,
    CalendarWorkingDay,
    Contact,
    Customer,
    ExclusionRule,
    MetricDefinition,
    PriorityTier,
    ReportRecipient,
    Service,
)


class InlineChoiceField(serializers.ChoiceField):
    """A choice field documented inline in the schema: several choice sets share the
    field name "kind", and named enum components of them would collide."""


class InlineChoiceFieldExtension(OpenApiSerializerFieldExtension):
    target_class = InlineChoiceField

    def map_serializer_field(self, auto_schema, direction):
        # Wrapped in oneOf so the enum post-processing leaves it inline (no shared component).
        return {"oneOf": [{"type": "string", "enum": [str(key) for key in self.target.choices]}]}


def api_errors(error: DjangoValidationError):
    """A model ValidationError as DRF error detail (field -> messages)."""
    if hasattr(error, "error_dict"):
        return {
            ("non_field_errors" if field == "__all__" else field): messages
            for field, messages in error.message_dict.items()
        }
    return {"non_field_errors": error.messages}


class ModelCleanSerializer(TenantScopedSerializer):
    """Runs the model's full_clean() on the would-be row, so the model's rules (and its
    tenant-scoped unique constraints) give 400s with the model's messages, not 500s."""

    clean_exclude: tuple[str, ...] = ()

    def validate(self, attrs):
        attrs = super().validate(attrs)
        model = self.Meta.model
        instance = copy.copy(self.instance) if self.instance is not None else model()
        # The primary key is never taken from input (nested items send it only to match rows).
        concrete = {field.name for field in model._meta.concrete_fields} - {model._meta.pk.name}
        for name, value in attrs.items():
            if name in concrete:
                setattr(instance, name, value)
        tenant = self._tenant()
        instance.tenant_id = tenant.pk if tenant is not None else None
        exclude = [name for name in self.clean_exclude]
        try:
            instance.full_clean(exclude=exclude)
        except DjangoValidationError as error:
            raise serializers.ValidationError(api_errors(error)) from error
        return attrs

    def save(self, **kwargs):
        try:
            with transaction.atomic():
                return super().save(**kwargs)
        except services.FrozenError:
            raise  # the view answers 409
        except DjangoValidationError as error:
            raise serializers.ValidationError(api_errors(error)) from error
        except IntegrityError as error:  # a concurrent write won a unique constraint
            raise serializers.ValidationError(
                {
                    "non_field_errors": [
                        _("This conflicts with a row saved meanwhile; reload and try again.")
                    ]
                }
            ) from error


# --------------------------------------------------------------------------
# Services, customers, contacts


class ServiceSerializer(ModelCleanSerializer):
    class Meta:
        model = Service
        fields = ["id", "name", "description", "archived", "created_at", "updated_at"]
        read_only_fields = ["id", "created_at", "updated_at"]


class CustomerSerializer(ModelCleanSerializer):
    kind = InlineChoiceField(choices=CustomerKind.choices, default=CustomerKind.EXTERNAL)

    class Meta:
        model = Customer
        fields = ["id", "name", "kind", "notes", "archived", "created_at", "updated_at"]
        read_only_fields = ["id", "created_at", "updated_at"]


class ContactSerializer(ModelCleanSerializer):
    customer = serializers.PrimaryKeyRelatedField(queryset=Customer.objects.none())

    class Meta:
        model = Contact
        fields = [
            "id",
            "customer",
            "name",
            "email",
            "language",
            "title",
            "phone",
            "email_status",
            "archived",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]


# --------------------------------------------------------------------------
# Calendars


class CalendarSlotSerializer(serializers.ModelSerializer):
    class Meta:
        model = CalendarSlot
        fields = ["id", "weekday", "start_time", "end_time"]
        read_only_fields = ["id"]


class CalendarHolidaySerializer(serializers.ModelSerializer):
    class Meta:
        model = CalendarHoliday
        fields = ["id", "date", "name"]
        read_only_fields = ["id"]
        validators: list = []


class CalendarWorkingDaySerializer(serializers.ModelSerializer):
    class Meta:
        model = CalendarWorkingDay
        fields = ["id", "date", "name"]
        read_only_fields = ["id"]
        validators: list = []


class BusinessCalendarSerializer(ModelCleanSerializer):
    """A calendar with its slots, extra holidays and extra working days; given lists replace the stored ones."""

    slots = CalendarSlotSerializer(many=True, required=False)
    holidays = CalendarHolidaySerializer(many=True, required=False)
    working_days = CalendarWorkingDaySerializer(many=True, required=False)

    class Meta:
        model = BusinessCalendar
        fields = [
            "id",
            "name",
            "time_zone",
            "is_24x7",
            "country",
            "subdivision",
            "archived",
            "slots",
            "holidays",
            "working_days",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]

    def create(self, validated_data):
        children = {
            name: validated_data.pop(name, None) for name in ("slots", "holidays", "working_days")
        }
        calendar = BusinessCalendar(tenant=self._tenant(), **validated_data)
        return services.save_calendar(calendar, **children)

    def update(self, instance, validated_data):
        children = {
            name: validated_data.pop(name, None) for name in ("slots", "holidays", "working_days")
        }
        for name, value in validated_data.items():
            setattr(instance, name, value)
        return services.save_calendar(instance, **children)


# --------------------------------------------------------------------------
# Agreement parts


class PriorityTierNestedSerializer(ModelCleanSerializer):
    """A tier inside an agreement body; tiers are matched by code."""

    code = InlineChoiceField(choices=TierCode.choices)
    calendar = serializers.PrimaryKeyRelatedField(
        queryset=BusinessCalendar.objects.none(), allow_null=True, required=False
    )
    clean_exclude = ("agreement",)

    class Meta:
        model = PriorityTier
        fields = [
            "id",
            "code",
            "name",
            "description",
            "response_minutes",
            "resolution_minutes",
            "calendar",
            "order",
        ]
        read_only_fields = ["id"]
        validators: list = []


class MetricNestedSerializer(ModelCleanSerializer):
    """A metric inside an agreement body: matched by id, else by name; tiers by code."""

    id = serializers.IntegerField(required=False)
    kind = InlineChoiceField(choices=MetricKind.choices)
    tier_codes = serializers.ListField(
        child=InlineChoiceField(choices=TierCode.choices),
        required=False,
        max_length=len(TierCode.values),
    )
    clean_exclude = ("agreement",)

    class Meta:
        model = MetricDefinition
        fields = [
            "id",
            "name",
            "kind",
            "direction",
            "unit",
            "target",
            "minimum_acceptable",
            "attainment_goal_percent",
            "tier_codes",
            "data_source",
            "provider_responsible",
            "customer_responsible",
            "period",
            "ticket_kinds",
            "ticket_categories",
            "clock_stop",
            "order",
        ]
        validators: list = []

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["tier_codes"] = sorted(tier.code for tier in instance.tiers.all())
        return data

    def validate(self, attrs):
        attrs = super().validate(attrs)
        if attrs.get("kind") in TICKET_KINDS and not attrs.get("tier_codes"):
            raise serializers.ValidationError(
                {
                    "tier_codes": _(
                        "A metric measured from tickets must apply to at least one priority tier."
                    )
                }
            )
        return attrs


class ExclusionRuleNestedSerializer(serializers.ModelSerializer):
    id = serializers.IntegerField(required=False)
    kind = InlineChoiceField(choices=ExclusionKind.choices)

    class Meta:
        model = ExclusionRule
        fields = ["id", "kind", "description"]


class ReportRecipientNestedSerializer(TenantScopedSerializer):
    id = serializers.IntegerField(required=False)
    contact = serializers.PrimaryKeyRelatedField(
        queryset=Contact.objects.none(), allow_null=True, required=False
    )

    class Meta:
        model = ReportRecipient
        fields = ["id", "side", "contact", "name", "email"]

    def validate(self, attrs):
        if not attrs.get("contact") and not attrs.get("email"):
            raise serializers.ValidationError(
                {"email": _("Choose a contact or enter an email address.")}
            )
        return attrs


class AgreementApprovalSerializer(serializers.ModelSerializer):
    class Meta:
        model = AgreementApproval
        fields = ["id", "side", "name", "approved_by", "at", "comment"]
        read_only_fields = fields


# --------------------------------------------------------------------------
# Agreements


class AgreementSerializer(ModelCleanSerializer):
    """An agreement with its parts. Only drafts can be changed, and an update must carry the
    lock_version that was read (a stale one is 409). Given part lists replace the stored ones."""

    kind = InlineChoiceField(choices=AgreementKind.choices, default=AgreementKind.SLA)
    customer = serializers.PrimaryKeyRelatedField(queryset=Customer.objects.none())
    customer_contact = serializers.PrimaryKeyRelatedField(
        queryset=Contact.objects.none(), allow_null=True, required=False
    )
    default_calendar = serializers.PrimaryKeyRelatedField(
        queryset=BusinessCalendar.objects.none(), allow_null=True, required=False
    )
    services = serializers.PrimaryKeyRelatedField(
        queryset=Service.objects.none(), many=True, required=False
    )
    tiers = PriorityTierNestedSerializer(many=True, required=False)
    metrics = MetricNestedSerializer(many=True, required=False)
    exclusions = ExclusionRuleNestedSerializer(many=True, required=False)
    recipients = ReportRecipientNestedSerializer(many=True, required=False)
    approvals = AgreementApprovalSerializer(many=True, read_only=True)
    lock_version = serializers.IntegerField(
        required=False,
        min_value=0,
        max_value=2**31 - 1,
        help_text="Required on update: the lock_version you read.",
    )
    customer_name = serializers.CharField(source="customer.name", read_only=True)
    counts = serializers.SerializerMethodField()
    clean_exclude = ("services",)

    class Meta:
        model = Agreement
        # The editable fields come from the one list (agreements/editable.py).
        fields = [
            "id",
            "status",
            "version",
            "family",
            "supersedes",
            "lock_version",
            *COPIED_AGREEMENT_FIELDS,
            "customer_name",
            "services",
            "effective_from",
            "tiers",
            "metrics",
            "exclusions",
            "recipients",
            "approvals",
            "counts",
            "submitted_at",
            "activated_at",
            "ended_at",
            "end_reason",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "id",
            "status",
            "version",
            "family",
            "supersedes",
            "submitted_at",
            "activated_at",
            "ended_at",
            "end_reason",
            "created_at",
            "updated_at",
        ]
        validators: list = []

    def get_counts(self, obj) -> dict[str, int]:
        def count(name, manager):
            value = getattr(obj, name, None)
            return value if value is not None else manager.count()

        return {
            "tiers": count("tier_count", obj.tiers),
            "metrics": count("metric_count", obj.metrics),
        }

    def validate(self, attrs):
        if self.instance is not None:
            if self.instance.status != AgreementStatus.DRAFT:
                raise serializers.ValidationError(
                    {
                        "status": _(
                            "This agreement is %(status)s and cannot be edited; only a draft can. "
                            "Create a new version to change it."
                        )
                        % {"status": self.instance.get_status_display()}
                    }
                )
            if "lock_version" not in attrs:
                raise serializers.ValidationError(
                    {
                        "lock_version": _(
                            "Send the lock_version you read, so that no one else's change is overwritten."
                        )
                    }
                )
        return super().validate(attrs)

    def create(self, validated_data):
        validated_data.pop("lock_version", None)
        return services.create_agreement(tenant=self._tenant(), **validated_data)

    def update(self, instance, validated_data):
        lock_version = validated_data.pop("lock_version")
        return services.update_agreement(instance, lock_version, **validated_data)


class AgreementListSerializer(AgreementSerializer):
    """The list shows the agreement without its parts (constant queries per page)."""

    class Meta(AgreementSerializer.Meta):
        fields = [
            name
            for name in AgreementSerializer.Meta.fields
            if name not in ("tiers", "metrics", "exclusions", "recipients", "approvals")
        ] + ["version_count"]

    version_count = serializers.IntegerField(read_only=True, default=1)

    def get_counts(self, obj) -> dict[str, int]:
        return {"tiers": getattr(obj, "tier_count", 0), "metrics": getattr(obj, "metric_count", 0)}


class AgreementVersionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Agreement
        fields = [
            "id",
            "version",
            "status",
            "title",
            "effective_from",
            "effective_to",
            "supersedes",
            "submitted_at",
            "activated_at",
            "ended_at",
        ]
        read_only_fields = fields


class LockSerializer(serializers.Serializer):
    lock_version = serializers.IntegerField(
        required=False,
        min_value=0,
        help_text="Optional: refuse with 409 if the agreement changed since.",
    )


class ApproveSerializer(LockSerializer):
    side = serializers.ChoiceField(choices=Side.choices)
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)
    name = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=200,
        help_text="Defaults to the user's name.",
    )
    on_behalf_of = serializers.IntegerField(
        required=False,
        min_value=1,
        help_text="Customer side: the id of the customer's contact who approved "
        "(default: the agreement's customer contact). You record it on their behalf.",
    )
    evidence = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=2000,
        help_text="Customer side: the evidence of the contact's approval (required).",
    )


class TerminateSerializer(LockSerializer):
    reason = serializers.CharField(max_length=2000)


class SendBackSerializer(LockSerializer):
    reason = serializers.CharField(max_length=2000)


class ChangeSerializer(serializers.Serializer):
    section = serializers.CharField()
    action = serializers.CharField()
    item = serializers.CharField()
    field = serializers.CharField()
    old = serializers.JSONField(allow_null=True)
    new = serializers.JSONField(allow_null=True)
    text = serializers.CharField()


class DiffSerializer(serializers.Serializer):
    from_id = serializers.IntegerField()
    from_version = serializers.IntegerField()
    to_id = serializers.IntegerField()
    to_version = serializers.IntegerField()
    changes = ChangeSerializer(many=True)


# --------------------------------------------------------------------------
# Parts on their own endpoints


class PriorityTierSerializer(ModelCleanSerializer):
    agreement = serializers.PrimaryKeyRelatedField(queryset=Agreement.objects.none())
    code = InlineChoiceField(choices=TierCode.choices)
    calendar = serializers.PrimaryKeyRelatedField(
        queryset=BusinessCalendar.objects.none(), allow_null=True, required=False
    )
    lock_version = serializers.IntegerField(
        required=False,
        min_value=0,
        write_only=True,
        help_text="Optional: the agreement's lock_version you read (409 if it changed). "
        "A change here bumps the agreement's lock_version either way.",
    )

    class Meta:
        model = PriorityTier
        fields = ["id", "lock_version", "agreement", *TIER_FIELDS]
        read_only_fields = ["id"]
        validators: list = []

    def validate_agreement(self, value):
        if self.instance is not None and value.pk != self.instance.agreement_id:
            raise serializers.ValidationError(_("A tier cannot move to another agreement."))
        return value

    def create(self, validated_data):
        lock_version = validated_data.pop("lock_version", None)
        part = PriorityTier(tenant=self._tenant(), **validated_data)
        return services.save_part(part, claim=True, lock_version=lock_version)

    def update(self, instance, validated_data):
        lock_version = validated_data.pop("lock_version", None)
        for name, value in validated_data.items():
            setattr(instance, name, value)
        return services.save_part(instance, claim=True, lock_version=lock_version)


class MetricDefinitionSerializer(ModelCleanSerializer):
    agreement = serializers.PrimaryKeyRelatedField(queryset=Agreement.objects.none())
    kind = InlineChoiceField(choices=MetricKind.choices)
    tiers = serializers.PrimaryKeyRelatedField(
        queryset=PriorityTier.objects.none(), many=True, required=False
    )
    clean_exclude = ("tiers",)
    lock_version = serializers.IntegerField(
        required=False,
        min_value=0,
        write_only=True,
        help_text="Optional: the agreement's lock_version you read (409 if it changed). "
        "A change here bumps the agreement's lock_version either way.",
    )

    class Meta:
        model = MetricDefinition
        fields = ["id", "lock_version", "agreement", *METRIC_FIELDS, "tiers"]
        read_only_fields = ["id"]
        validators: list = []

    def validate_agreement(self, value):
        if self.instance is not None and value.pk != self.instance.agreement_id:
            raise serializers.ValidationError(_("A metric cannot move to another agreement."))
        return value

    def create(self, validated_data):
        tiers = validated_data.pop("tiers", [])
        lock_version = validated_data.pop("lock_version", None)
        metric = MetricDefinition(tenant=self._tenant(), **validated_data)
        return services.save_metric(metric, tiers, claim=True, lock_version=lock_version)

    def update(self, instance, validated_data):
        tiers = validated_data.pop("tiers", None)
        lock_version = validated_data.pop("lock_version", None)
        for name, value in validated_data.items():
            setattr(instance, name, value)
        return services.save_metric(instance, tiers, claim=True, lock_version=lock_version)
