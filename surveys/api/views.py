"""Survey API: campaigns (written through the service), questionnaires, rounds,
invitations (read), follow-ups (read, close)."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, status
from rest_framework.decorators import action
from rest_framework.response import Response

from slaweb.tenancy.api.base import TenantScopedReadOnlyViewSet, TenantScopedViewSet

from .. import selectors, services
from ..filtersets import (
    CampaignFilterSet,
    FollowUpFilterSet,
    InvitationFilterSet,
    QuestionnaireFilterSet,
    RoundFilterSet,
)
from ..models import Campaign, FollowUp, Invitation, Questionnaire, Round
from .serializers import (
    CampaignSerializer,
    CloseFollowUpSerializer,
    FollowUpSerializer,
    InvitationSerializer,
    QuestionnaireSerializer,
    RoundSerializer,
)


def _validation(error: DjangoValidationError):
    return exceptions.ValidationError(
        error.message_dict if hasattr(error, "error_dict") else {"detail": error.messages}
    )


class QuestionnaireViewSet(TenantScopedReadOnlyViewSet):
    model = Questionnaire
    serializer_class = QuestionnaireSerializer
    filterset_class = QuestionnaireFilterSet

    def scope_queryset(self, queryset):
        return queryset.prefetch_related("dimensions", "questions__dimension").order_by(
            "name", "-version"
        )

    @extend_schema(request=None, responses={201: QuestionnaireSerializer})
    @action(detail=False, methods=["post"])
    def default(self, request):
        """Create the default questionnaire (seed 000's template)."""
        questionnaire = services.create_default_questionnaire(request.tenant)
        data = QuestionnaireSerializer(questionnaire, context={"request": request}).data
        return Response(data, status=status.HTTP_201_CREATED)


class CampaignViewSet(TenantScopedViewSet):
    model = Campaign
    serializer_class = CampaignSerializer
    filterset_class = CampaignFilterSet

    def scope_queryset(self, queryset):
        return queryset.prefetch_related("recipient_links").order_by("name")

    def perform_create(self, serializer):
        self._save(serializer, Campaign(tenant=self.request.tenant))

    def perform_update(self, serializer):
        self._save(serializer, serializer.instance)

    def _save(self, serializer, campaign):
        data = dict(serializer.validated_data)
        recipients = data.pop("recipients", None)
        for name, value in data.items():
            setattr(campaign, name, value)
        try:
            serializer.instance = services.save_campaign(campaign, recipients=recipients)
        except DjangoValidationError as error:
            raise _validation(error) from error


class RoundViewSet(TenantScopedReadOnlyViewSet):
    model = Round
    serializer_class = RoundSerializer
    filterset_class = RoundFilterSet

    def scope_queryset(self, queryset):
        return selectors.rounds(queryset).order_by("-period_start", "-id")


class InvitationViewSet(TenantScopedReadOnlyViewSet):
    model = Invitation
    serializer_class = InvitationSerializer
    filterset_class = InvitationFilterSet

    def scope_queryset(self, queryset):
        return queryset.order_by("id")


class FollowUpViewSet(TenantScopedReadOnlyViewSet):
    model = FollowUp
    serializer_class = FollowUpSerializer
    filterset_class = FollowUpFilterSet

    def scope_queryset(self, queryset):
        return queryset.order_by("status", "due_at")

    @extend_schema(request=CloseFollowUpSerializer, responses={200: FollowUpSerializer})
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        follow_up = self.get_object()
        body = CloseFollowUpSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            services.close_follow_up(follow_up, user=request.user, **body.validated_data)
        except DjangoValidationError as error:
            raise _validation(error) from error
        return Response(FollowUpSerializer(follow_up, context={"request": request}).data)
