"""The one base for tenant-scoped API views; scoping cannot be overridden by accident."""

from __future__ import annotations

from rest_framework import mixins, serializers, viewsets
from rest_framework.relations import ManyRelatedField, RelatedField

from ..models import TenantOwned, tenant_rows
from .authentication import TenantTokenAuthentication
from .permissions import TenantRolePermission


class TenantScopedViewSetMixin:
    """Builds the queryset from `model`, filtered by the request's tenant.

    What a subclass may do:
    - set `model` (required) and override `scope_queryset(queryset)` for select_related,
      annotations and extra filters; the tenant filter is applied before it;
    - set `read_role` / `write_role` (see TenantRolePermission);
    - add permission classes with `extra_permission_classes = (MyPermission,)`: they are
      checked after the base's TenantRolePermission, which can never be removed.

    What it may not do (refused with TypeError when the class is created, as PostHog's
    TeamAndOrgViewSetMixin does): define get_queryset, queryset, get_object,
    get_permissions, permission_classes, get_authenticators or authentication_classes.
    Authentication is always the tenant token resolved by TenantMiddleware.
    """

    model: type[TenantOwned]
    extra_permission_classes: tuple = ()

    PROTECTED = (
        "get_queryset",
        "queryset",
        "get_object",
        "get_permissions",
        "permission_classes",
        "get_authenticators",
        "authentication_classes",
    )

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        overridden = [name for name in cls.PROTECTED if name in cls.__dict__]
        if overridden:
            raise TypeError(
                f"{cls.__name__} overrides {', '.join(overridden)}: set `model`, override "
                "scope_queryset() and add permissions with extra_permission_classes instead"
            )

    def get_authenticators(self):
        return [TenantTokenAuthentication()]

    def get_permissions(self):
        return [TenantRolePermission()] + [
            permission() for permission in self.extra_permission_classes
        ]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.model.objects.none()
        return self.scope_queryset(tenant_rows(self.model, self.request.tenant))

    def get_object(self):
        # DRF's lookup on get_queryset() (so 404 for other tenants' rows) with object
        # permissions; defined here only so that subclasses cannot replace it.
        return super().get_object()

    def scope_queryset(self, queryset):
        return queryset


class TenantScopedViewSet(TenantScopedViewSetMixin, viewsets.ModelViewSet):
    pass


class TenantScopedReadOnlyViewSet(TenantScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    pass


class TenantScopedCreateReadDeleteViewSet(
    TenantScopedViewSetMixin,
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    mixins.ListModelMixin,
    viewsets.GenericViewSet,
):
    pass


class TenantScopedSerializer(serializers.ModelSerializer):
    """Takes the tenant from the request, never from input; related rows must be the tenant's.

    Every related field's queryset is narrowed to the request's tenant, so a key of
    another tenant's row fails validation like a key that does not exist (400).
    """

    def get_fields(self):
        fields = super().get_fields()
        tenant = self._tenant()
        for field in fields.values():
            relation = field.child_relation if isinstance(field, ManyRelatedField) else field
            if isinstance(relation, RelatedField) and not relation.read_only:
                model = relation.queryset.model
                if issubclass(model, TenantOwned):
                    relation.queryset = tenant_rows(model, tenant)
        return fields

    def _tenant(self):
        request = self.context.get("request")
        return getattr(request, "tenant", None)

    def create(self, validated_data):
        validated_data["tenant"] = self._tenant()
        return super().create(validated_data)
