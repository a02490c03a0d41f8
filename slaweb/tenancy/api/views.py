from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from .. import services
from ..filtersets import AuditEventFilterSet, MembershipFilterSet
from ..models import AuditEvent, MemberInvitation, Membership, Role
from ..selectors import open_invitations
from .base import (
    TenantScopedCreateReadDeleteViewSet,
    TenantScopedReadOnlyViewSet,
    TenantScopedViewSet,
)
from .serializers import (
    AuditEventSerializer,
    MemberInvitationSerializer,
    MembershipSerializer,
    MeSerializer,
)


class MembershipViewSet(TenantScopedViewSet):
    """Members: admins only. People join through invitations, never by being added."""

    model = Membership
    serializer_class = MembershipSerializer
    filterset_class = MembershipFilterSet
    search_fields = ["user__email", "user__first_name", "user__last_name"]
    ordering_fields = ["user__email", "role", "created_at"]
    http_method_names = ["get", "put", "patch", "delete", "head", "options"]
    read_role = Role.ADMIN
    write_role = Role.ADMIN

    def scope_queryset(self, queryset):
        return queryset.select_related("user")

    def perform_destroy(self, instance):
        try:
            services.remove_member(instance)
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.message_dict) from error


class MemberInvitationViewSet(TenantScopedCreateReadDeleteViewSet):
    """Open invitations; POST emails one, DELETE revokes it."""

    model = MemberInvitation
    serializer_class = MemberInvitationSerializer
    search_fields = ["email"]
    ordering_fields = ["created_at", "email"]
    read_role = Role.ADMIN
    write_role = Role.ADMIN

    def scope_queryset(self, queryset):
        return open_invitations(queryset)

    def perform_destroy(self, instance):
        services.revoke_invitation(instance)


class AuditEventViewSet(TenantScopedReadOnlyViewSet):
    model = AuditEvent
    serializer_class = AuditEventSerializer
    filterset_class = AuditEventFilterSet
    search_fields = ["object_repr", "actor_label"]
    ordering_fields = ["at"]
    read_role = Role.ADMIN


class MeView(APIView):
    """The token's user, tenant and role."""

    @extend_schema(responses=MeSerializer)
    def get(self, request):
        data = {
            "email": request.user.email,
            "tenant": request.tenant.slug,
            "tenant_name": request.tenant.name,
            "role": request.membership.role,
        }
        return Response(MeSerializer(data).data)
