"""API of the metrics domain: records (list, detail, bulk upsert), clocks, results, credits,
improvement actions, clock recomputes. Every view goes through the tenancy bases; writes call
the services."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from slaweb.tenancy.api.base import TenantScopedReadOnlyViewSet, TenantScopedViewSetMixin

from .. import filtersets
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
from ..services import hooks
from ..services.ingest import ingest_records
from ..services.parsing import MAX_BATCH
from . import serializers as s

PARTIAL = OpenApiParameter(
    "partial",
    bool,
    description="true: store the valid records and report the others; default: all or nothing.",
)


class RecordViewSet(TenantScopedReadOnlyViewSet):
    """List and read records; POST <kind>/bulk/ upserts up to 10,000 at once."""

    kind: str
    ordering_fields = ["id", "external_id", "created_at"]
    search_fields = ["external_id"]

    def run_bulk(self, request):
        records = request.data
        if isinstance(records, dict) and "records" in records:
            records = records["records"]
        if not isinstance(records, list):
            raise serializers.ValidationError(
                {"non_field_errors": ['Send a JSON list of records (or {"records": [...]}).']}
            )
        partial = str(request.query_params.get("partial", "")).lower() in ("1", "true", "yes")
        result = ingest_records(self.kind, records, partial=partial, source="api")
        if not result.committed:
            code = status.HTTP_400_BAD_REQUEST
        elif result.created:
            code = status.HTTP_201_CREATED
        else:
            code = status.HTTP_200_OK
        return Response(result.as_dict(), status=code)


def _bulk_action(kind: str):
    @extend_schema(
        request={
            "application/json": {
                "type": "array",
                "items": {"type": "object"},
                "maxItems": MAX_BATCH,
            }
        },
        parameters=[PARTIAL],
        responses={
            200: s.BulkResultSerializer,
            201: s.BulkResultSerializer,
            400: OpenApiResponse(s.BulkResultSerializer, description="Nothing was stored."),
        },
        description=f"Upsert up to {MAX_BATCH:,} {kind} by (agreement, external_id); see docs/data-import.md.",
    )
    @action(detail=False, methods=["post"], url_path="bulk")
    def bulk(self, request):
        return self.run_bulk(request)

    return bulk


class TicketViewSet(RecordViewSet):
    model = Ticket
    kind = "tickets"
    serializer_class = s.TicketSerializer
    filterset_class = filtersets.TicketFilterSet
    ordering_fields = [*RecordViewSet.ordering_fields, "opened_at", "resolved_at"]
    bulk = _bulk_action("tickets")

    def scope_queryset(self, queryset):
        return queryset.order_by("-opened_at", "id")


class DeliveryViewSet(RecordViewSet):
    model = Delivery
    kind = "deliveries"
    serializer_class = s.DeliverySerializer
    filterset_class = filtersets.DeliveryFilterSet
    bulk = _bulk_action("deliveries")

    def scope_queryset(self, queryset):
        return queryset.order_by("-due_at", "id")


class OutageViewSet(RecordViewSet):
    model = Outage
    kind = "outages"
    serializer_class = s.OutageSerializer
    filterset_class = filtersets.OutageFilterSet
    bulk = _bulk_action("outages")

    def scope_queryset(self, queryset):
        return queryset.order_by("-started_at", "id")


class SampleViewSet(RecordViewSet):
    model = Sample
    kind = "samples"
    serializer_class = s.SampleSerializer
    filterset_class = filtersets.SampleFilterSet
    bulk = _bulk_action("samples")

    def scope_queryset(self, queryset):
        return queryset.order_by("-period_start", "-measured_at", "id")


class TicketClockViewSet(TenantScopedReadOnlyViewSet):
    model = TicketClock
    serializer_class = s.TicketClockSerializer
    filterset_class = filtersets.TicketClockFilterSet
    ordering_fields = ["due_target_at", "due_minimum_at", "id"]

    def scope_queryset(self, queryset):
        return queryset.select_related("ticket", "metric").order_by("due_minimum_at", "id")


class ComplianceResultViewSet(TenantScopedReadOnlyViewSet):
    model = ComplianceResult
    serializer_class = s.ComplianceResultSerializer
    filterset_class = filtersets.ComplianceResultFilterSet
    ordering_fields = ["period_start", "metric_name", "id"]

    def scope_queryset(self, queryset):
        return queryset.select_related("agreement").order_by("metric_name", "period_start", "id")


class CreditResultViewSet(TenantScopedReadOnlyViewSet):
    model = CreditResult
    serializer_class = s.CreditResultSerializer
    filterset_class = filtersets.CreditResultFilterSet
    ordering_fields = ["period_start", "amount", "id"]

    def scope_queryset(self, queryset):
        return queryset.select_related("agreement").order_by("-period_start", "id")


class ImprovementActionViewSet(
    TenantScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Created by the escalation rule only; people update owner, due date, status, notes."""

    model = ImprovementAction
    serializer_class = s.ImprovementActionSerializer
    filterset_class = filtersets.ImprovementActionFilterSet
    ordering_fields = ["due_date", "created_at", "id"]

    def scope_queryset(self, queryset):
        return queryset.order_by("-created_at", "id")


class ClockRecomputeViewSet(TenantScopedReadOnlyViewSet):
    """Recomputes of clocks after a calendar change or a newly active version, with progress."""

    model = ClockRecompute
    serializer_class = s.ClockRecomputeSerializer
    filterset_class = filtersets.ClockRecomputeFilterSet
    ordering_fields = ["created_at", "id"]

    def scope_queryset(self, queryset):
        return queryset.order_by("-created_at", "-id")

    @extend_schema(
        request=None,
        responses={
            202: s.ClockRecomputeSerializer,
            409: OpenApiResponse(description="Still running, or finished without failing"),
        },
        summary="Queue a failed or stalled recompute once more (managers)",
    )
    @action(detail=True, methods=["post"], url_path="run-again")
    def run_again(self, request, pk=None):
        job = self.get_object()
        if not hooks.run_again(job):
            return Response(
                {"detail": "This recompute is still running or has finished."},
                status=status.HTTP_409_CONFLICT,
            )
        job.refresh_from_db()
        return Response(self.get_serializer(job).data, status=status.HTTP_202_ACCEPTED)
