from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers

from .. import services
from ..models import AuditEvent, MemberInvitation, Membership, Role
from .base import TenantScopedSerializer


class MembershipSerializer(TenantScopedSerializer):
    email = serializers.EmailField(source="user.email")
    name = serializers.CharField(source="user.get_full_name", read_only=True)

    class Meta:
        model = Membership
        fields = ["id", "email", "name", "role", "created_at"]
        read_only_fields = ["id", "created_at"]

    def validate_role(self, value):
        if value not in Role.values:
            raise serializers.ValidationError("Unknown role.")
        return value

    def update(self, instance, validated_data):
        if (
            "user" in validated_data
            and validated_data["user"]["email"].lower() != instance.user.email.lower()
        ):
            raise serializers.ValidationError(
                {"email": "The member's email cannot be changed here."}
            )
        try:
            return services.change_role(instance, validated_data.get("role", instance.role))
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.message_dict) from error


class MemberInvitationSerializer(TenantScopedSerializer):
    invited_by = serializers.EmailField(source="invited_by.email", read_only=True, default=None)

    class Meta:
        model = MemberInvitation
        fields = ["id", "email", "role", "invited_by", "created_at", "expires_at"]
        read_only_fields = ["id", "invited_by", "created_at", "expires_at"]

    def create(self, validated_data):
        request = self.context["request"]
        try:
            return services.invite_member(
                self._tenant(),
                validated_data["email"],
                validated_data.get("role", Role.VIEWER),
                invited_by=request.user,
            )
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.message_dict) from error


class AuditEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = AuditEvent
        fields = [
            "id",
            "at",
            "actor_label",
            "via",
            "action",
            "model",
            "object_id",
            "object_repr",
            "changes",
        ]
        read_only_fields = fields


class MeSerializer(serializers.Serializer):
    email = serializers.EmailField()
    tenant = serializers.CharField()
    tenant_name = serializers.CharField()
    role = serializers.CharField()
