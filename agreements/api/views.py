from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import ProtectedError
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from slaweb.tenancy.api.base import TenantScopedViewSet

from .. import selectors, services
from ..diff import diff_versions
from ..filtersets import (
    AgreementFilterSet,
    BusinessCalendarFilterSet,
    ContactFilterSet,
    CustomerFilterSet,
    MetricDefinitionFilterSet,
    PriorityTierFilterSet,
    ServiceFilterSet,
)
from ..models import (
    Agreement,
    BusinessCalendar,
    Contact,
    Customer,
    MetricDefinition,
    PriorityTier,
    Service,
)
from .serializers import (
    AgreementListSerializer,
    AgreementSerializer,
    AgreementVersionSerializer,
    ApproveSerializer,
    BusinessCalendarSerializer,
    ContactSerializer,
    CustomerSerializer,
    DiffSerializer,
    LockSerializer,
    MetricDefinitionSerializer,
    PriorityTierSerializer,
    SendBackSerializer,
    ServiceSerializer,
    TerminateSerializer,
    api_errors,
)


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = _("The object was changed by someone else meanwhile.")
    default_code = "conflict"


class DomainViewSet(TenantScopedViewSet):
    """Maps the domain's errors to HTTP: model rules -> 400, stale lock or a frozen agreement
    -> 409, in use -> 400."""

    def handle_exception(self, exc):
        if isinstance(exc, services.ConflictError):
            exc = Conflict(exc.message)
        elif isinstance(exc, services.FrozenError):
            exc = Conflict(exc.messages[0])
        elif isinstance(exc, DjangoValidationError):
            exc = serializers.ValidationError(api_errors(exc))
        elif isinstance(exc, ProtectedError):
            exc = serializers.ValidationError({"non_field_errors": [self.in_use_message(exc)]})
        return super().handle_exception(exc)

    @staticmethod
    def in_use_message(error: ProtectedError) -> str:
        used_by = sorted({str(obj._meta.verbose_name) for obj in error.protected_objects})
        return str(
            _(
                "It is still used (by %(count)s %(kinds)s), so it cannot be deleted; archive it instead."
            )
            % {"count": len(error.protected_objects), "kinds": ", ".join(used_by)}
        )

    def perform_destroy(self, instance):
        with transaction.atomic():
            instance.delete()


class ServiceViewSet(DomainViewSet):
    model = Service
    serializer_class = ServiceSerializer
    filterset_class = ServiceFilterSet
    search_fields = ["name", "description"]
    ordering_fields = ["name", "created_at"]


class CustomerViewSet(DomainViewSet):
    model = Customer
    serializer_class = CustomerSerializer
    filterset_class = CustomerFilterSet
    search_fields = ["name"]
    ordering_fields = ["name", "created_at"]


class ContactViewSet(DomainViewSet):
    model = Contact
    serializer_class = ContactSerializer
    filterset_class = ContactFilterSet
    search_fields = ["name", "email", "customer__name"]
    ordering_fields = ["name", "email"]

    def scope_queryset(self, queryset):
        return queryset.select_related("customer")


class BusinessCalendarViewSet(DomainViewSet):
    model = BusinessCalendar
    serializer_class = BusinessCalendarSerializer
    filterset_class = BusinessCalendarFilterSet
    search_fields = ["name"]
    ordering_fields = ["name"]

    def scope_queryset(self, queryset):
        return queryset.prefetch_related("slots", "holidays", "working_days")


class PriorityTierViewSet(DomainViewSet):
    """Tiers of draft agreements can be changed here too (or inside the agreement body)."""

    model = PriorityTier
    serializer_class = PriorityTierSerializer
    filterset_class = PriorityTierFilterSet
    ordering_fields = ["order", "code"]

    def scope_queryset(self, queryset):
        return queryset.select_related("calendar")

    def perform_destroy(self, instance):
        services.delete_part(instance, claim=True, lock_version=_lock_param(self.request))


class MetricDefinitionViewSet(DomainViewSet):
    """Metrics of agreements; those of drafts can be changed."""

    model = MetricDefinition
    serializer_class = MetricDefinitionSerializer
    filterset_class = MetricDefinitionFilterSet
    search_fields = ["name", "data_source"]
    ordering_fields = ["order", "name"]

    def scope_queryset(self, queryset):
        return queryset.prefetch_related("tiers")

    def perform_destroy(self, instance):
        services.delete_part(instance, claim=True, lock_version=_lock_param(self.request))


def _lock_param(request) -> int | None:
    """DELETE of a tier or metric: an optional ?lock_version= (409 if the agreement changed)."""
    value = request.query_params.get("lock_version", "")
    return int(value) if value.isdigit() and len(value) < 10 else None


lock_response = {
    200: AgreementSerializer,
    400: OpenApiResponse(description="Not allowed in the agreement's status, or incomplete"),
    409: OpenApiResponse(description="lock_version is stale"),
}


class AgreementViewSet(DomainViewSet):
    """Agreements (each row is one version). Only drafts are edited; the workflow actions
    move them: submit -> approve (both sides) -> activate; new-version, terminate, expire."""

    model = Agreement
    serializer_class = AgreementSerializer
    filterset_class = AgreementFilterSet  # its `search` is the list page's search too
    ordering_fields = [
        "reference",
        "title",
        "effective_from",
        "effective_to",
        "status",
        "updated_at",
    ]

    def get_serializer_class(self):
        return AgreementListSerializer if self.action == "list" else AgreementSerializer

    def scope_queryset(self, queryset):
        if self.action == "list":
            return selectors.agreements(self.request.tenant, queryset)
        return selectors.agreement_detail(self.request.tenant, queryset)

    def perform_destroy(self, instance):
        services.delete_agreement(instance)

    def _run(self, request, function, body_serializer=LockSerializer, **extra):
        agreement = self.get_object()
        body = body_serializer(data=request.data)
        body.is_valid(raise_exception=True)
        function(agreement, **body.validated_data, **extra)
        return self._detail(request, agreement)

    def _detail(self, request, agreement):
        fresh = selectors.agreement_detail(request.tenant).get(pk=agreement.pk)
        return Response(AgreementSerializer(fresh, context=self.get_serializer_context()).data)

    @extend_schema(
        request=LockSerializer, responses=lock_response, summary="Submit a draft for review"
    )
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        return self._run(request, services.submit)

    @extend_schema(
        request=LockSerializer,
        responses=lock_response,
        summary="Withdraw from review back to draft",
    )
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        return self._run(request, services.withdraw)

    @extend_schema(
        request=ApproveSerializer, responses=lock_response, summary="Record one side's approval"
    )
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        agreement = self.get_object()
        body = ApproveSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        contact_id = data.pop("on_behalf_of", None)
        if contact_id is not None:
            data["on_behalf_of"] = Contact.objects.filter(
                tenant=request.tenant, customer_id=agreement.customer_id, pk=contact_id
            ).first()
            if data["on_behalf_of"] is None:
                raise serializers.ValidationError(
                    {"on_behalf_of": [_("Choose a contact of the agreement's customer.")]}
                )
        services.approve(agreement, user=request.user, **data)
        return self._detail(request, agreement)

    @extend_schema(
        request=SendBackSerializer,
        responses=lock_response,
        summary="Send an agreement in review back to draft, with the reason",
    )
    @action(detail=True, methods=["post"], url_path="send-back")
    def send_back(self, request, pk=None):
        return self._run(request, services.send_back, SendBackSerializer)

    @extend_schema(
        request=None,
        responses={
            202: OpenApiResponse(description="The approval link email is queued"),
            400: OpenApiResponse(description="Not in review, no customer contact, or approved"),
        },
        summary="Email the customer's contact the link to approve (once per review round)",
    )
    @action(detail=True, methods=["post"], url_path="request-approval")
    def request_approval(self, request, pk=None):
        agreement = self.get_object()
        message = services.request_customer_approval(
            agreement, base_url=request.build_absolute_uri("/")
        )
        return Response(
            {"to": message.to_address, "status": message.status}, status=status.HTTP_202_ACCEPTED
        )

    @extend_schema(
        request=LockSerializer, responses=lock_response, summary="Activate (needs both approvals)"
    )
    @action(detail=True, methods=["post"])
    def activate(self, request, pk=None):
        return self._run(request, services.activate)

    @extend_schema(
        request=TerminateSerializer,
        responses=lock_response,
        summary="Terminate an active agreement",
    )
    @action(detail=True, methods=["post"])
    def terminate(self, request, pk=None):
        return self._run(request, services.terminate, TerminateSerializer)

    @extend_schema(
        request=LockSerializer, responses=lock_response, summary="Mark an active agreement expired"
    )
    @action(detail=True, methods=["post"])
    def expire(self, request, pk=None):
        return self._run(request, services.expire)

    @extend_schema(
        request=LockSerializer,
        responses={
            201: AgreementSerializer,
            400: OpenApiResponse(description="Not active, or a version is pending"),
        },
        summary="Start a new version (a draft copy that supersedes this one once activated)",
    )
    @action(detail=True, methods=["post"], url_path="new-version")
    def new_version(self, request, pk=None):
        agreement = self.get_object()
        body = LockSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        copy = services.new_version(agreement, **body.validated_data)
        fresh = selectors.agreement_detail(request.tenant).get(pk=copy.pk)
        data = AgreementSerializer(fresh, context=self.get_serializer_context()).data
        return Response(data, status=status.HTTP_201_CREATED)

    @extend_schema(
        responses=AgreementVersionSerializer(many=True), summary="All versions of this agreement"
    )
    @action(detail=True, methods=["get"], pagination_class=None, filterset_class=None)
    def versions(self, request, pk=None):
        agreement = self.get_object()
        rows = selectors.versions(agreement)
        return Response(AgreementVersionSerializer(rows, many=True).data)

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "other_pk", OpenApiTypes.INT, OpenApiParameter.PATH, description="Another version"
            )
        ],
        responses={
            200: DiffSerializer,
            400: OpenApiResponse(description="Not versions of the same agreement"),
        },
        summary="Changes from this version to another one",
    )
    @action(
        detail=True,
        methods=["get"],
        url_path=r"diff/(?P<other_pk>[0-9]{1,18})",
        filterset_class=None,
    )
    def diff(self, request, pk=None, other_pk=None):
        agreement = self.get_object()
        other = get_object_or_404(Agreement.objects.filter(tenant=request.tenant), pk=int(other_pk))
        if other.family != agreement.family:
            raise serializers.ValidationError(
                {"other_pk": _("That is not a version of this agreement.")}
            )
        changes = diff_versions(agreement, other)
        data = {
            "from_id": agreement.pk,
            "from_version": agreement.version,
            "to_id": other.pk,
            "to_version": other.version,
            "changes": [change.as_dict() for change in changes],
        }
        return Response(DiffSerializer(data).data)
