"""API of published reports: read-only list and detail (snapshot in the detail), the
revisions of a report's period, the diff between two revisions, and publish (managers)."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from agreements.api.serializers import api_errors
from agreements.models import Agreement
from slaweb.tenancy.api.base import TenantScopedReadOnlyViewSet
from slaweb.tenancy.models import tenant_rows

from ..filtersets import ReportFilterSet
from ..models import Report
from ..services.delivery import publish_and_send
from ..services.publishing import diff
from . import serializers as s


class ReportViewSet(TenantScopedReadOnlyViewSet):
    """Published report revisions. Nothing here changes a published row; `publish` adds one."""

    model = Report
    serializer_class = s.ReportSerializer
    filterset_class = ReportFilterSet
    ordering_fields = ["period_start", "published_at", "revision", "id"]

    def scope_queryset(self, queryset):
        return queryset.select_related("agreement", "published_by").order_by(
            "-period_start", "family", "-revision", "id"
        )

    def get_serializer_class(self):
        if self.action == "retrieve":
            return s.ReportDetailSerializer
        if self.action == "publish":
            return s.PublishSerializer
        return super().get_serializer_class()

    @extend_schema(responses=s.ReportSerializer(many=True))
    @action(detail=True, methods=["get"])
    def revisions(self, request, pk=None):
        """Every revision of this report's agreement and period, newest first."""
        report = self.get_object()
        rows = self.get_queryset().filter(
            family=report.family, period_kind=report.period_kind, period_start=report.period_start
        )
        return Response(s.ReportSerializer(rows, many=True, context={"request": request}).data)

    @extend_schema(
        parameters=[
            OpenApiParameter("against", int, description="The other revision (default: previous).")
        ],
        responses={200: s.DiffEntrySerializer(many=True)},
    )
    @action(detail=True, methods=["get"])
    def diff(self, request, pk=None):
        """What changed from revision `against` (default: the one before) to this one."""
        report = self.get_object()
        try:
            against = int(request.query_params.get("against", report.revision - 1))
        except ValueError:
            against = 0
        if not 1 <= against <= 32767:
            raise serializers.ValidationError({"against": ["A revision number."]})
        other = (
            self.get_queryset()
            .filter(
                family=report.family,
                period_kind=report.period_kind,
                period_start=report.period_start,
                revision=against,
            )
            .first()
        )
        if other is None:
            raise serializers.ValidationError({"against": ["No such revision of this period."]})
        return Response(diff(other, report))

    @extend_schema(
        request=s.PublishSerializer,
        responses={
            201: s.ReportDetailSerializer,
            200: OpenApiResponse(s.ReportDetailSerializer, description="Already published."),
        },
    )
    @action(detail=False, methods=["post"])
    def publish(self, request):
        """Publish an agreement's report for a period: revision 1, or the next revision with
        a reason when the period is already published."""
        form = s.PublishSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        agreement = (
            tenant_rows(Agreement, request.tenant)
            .filter(pk=form.validated_data["agreement"])
            .first()
        )
        if agreement is None:
            raise serializers.ValidationError({"agreement": ["No such agreement."]})
        kind, start = form.validated_data["period"]
        try:
            report = publish_and_send(
                agreement,
                kind,
                start,
                user=request.user,
                reason=form.validated_data["reason"],
                send=form.validated_data["send"],
            )
        except DjangoValidationError as error:
            raise serializers.ValidationError(api_errors(error)) from None
        data = s.ReportDetailSerializer(report, context={"request": request}).data
        return Response(data, status=status.HTTP_201_CREATED)
