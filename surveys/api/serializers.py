"""API serializers; editable field lists come from forms.py (one home)."""

from __future__ import annotations

from rest_framework import serializers

from agreements.choices import TicketKind, TierCode
from agreements.models import Contact
from slaweb.tenancy.api.base import TenantScopedSerializer

from ..forms import CAMPAIGN_FIELDS
from ..models import Campaign, Dimension, FollowUp, Invitation, Question, Questionnaire, Round


class DimensionSerializer(TenantScopedSerializer):
    class Meta:
        model = Dimension
        fields = ["id", "code", "name_en", "name_zh", "order"]


class QuestionSerializer(TenantScopedSerializer):
    dimension = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = Question
        fields = [
            "id",
            "code",
            "kind",
            "dimension",
            "text_en",
            "text_zh",
            "is_overall",
            "required",
            "order",
        ]


class QuestionnaireSerializer(TenantScopedSerializer):
    dimensions = DimensionSerializer(many=True, read_only=True)
    questions = QuestionSerializer(many=True, read_only=True)
    is_used = serializers.BooleanField(read_only=True)

    class Meta:
        model = Questionnaire
        fields = [
            "id",
            "family",
            "version",
            "name",
            "intro_en",
            "intro_zh",
            "archived",
            "is_used",
            "dimensions",
            "questions",
        ]
        read_only_fields = ["archived"]


class CampaignSerializer(TenantScopedSerializer):
    ticket_kinds = serializers.ListField(
        child=serializers.ChoiceField(choices=TicketKind.choices), required=False
    )
    ticket_tiers = serializers.ListField(
        child=serializers.ChoiceField(choices=TierCode.choices), required=False
    )
    recipients = serializers.PrimaryKeyRelatedField(
        many=True, queryset=Contact.objects.none(), required=False
    )

    class Meta:
        model = Campaign
        fields = ["id", *CAMPAIGN_FIELDS, "recipients", "next_run_at", "created_at"]
        read_only_fields = ["next_run_at", "created_at"]

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["recipients"] = [link.contact_id for link in instance.recipient_links.all()]
        return data


class RoundSerializer(TenantScopedSerializer):
    invited = serializers.IntegerField(read_only=True)
    answered = serializers.IntegerField(read_only=True)
    skipped = serializers.IntegerField(read_only=True)
    bounced = serializers.IntegerField(read_only=True)

    class Meta:
        model = Round
        fields = [
            "id",
            "campaign",
            "questionnaire",
            "period_start",
            "period_end",
            "opens_at",
            "closes_at",
            "invited",
            "answered",
            "skipped",
            "bounced",
        ]
        read_only_fields = fields


class InvitationSerializer(TenantScopedSerializer):
    class Meta:
        model = Invitation
        fields = ["id", "round", "contact", "language", "status", "skip_reason", "reminders_sent"]
        read_only_fields = fields


class FollowUpSerializer(TenantScopedSerializer):
    class Meta:
        model = FollowUp
        fields = [
            "id",
            "campaign",
            "agreement",
            "contact",
            "lowest_score",
            "due_at",
            "assignee_name",
            "assignee_email",
            "status",
            "contacted_at",
            "cause",
            "action",
            "closed_at",
            "escalated_at",
            "created_at",
        ]
        read_only_fields = fields


class CloseFollowUpSerializer(serializers.Serializer):
    contacted_at = serializers.DateTimeField(required=False, allow_null=True)
    cause = serializers.CharField()
    action = serializers.CharField()
