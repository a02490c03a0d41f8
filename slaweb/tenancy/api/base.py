"""The one base for tenant-scoped API views; scoping cannot be overridden by accident."""

from __future__ import annotations

from rest_framework import mixins, serializers, viewsets
from rest_framework.relations import ManyRelatedField, RelatedField

from ..models import TenantOwned


class TenantScopedViewSetMixin:
    """Builds the queryset from `model`, filtered by the request's tenant.

    Subclasses customise with `scope_queryset(queryset)` (select_related, annotations,
    extra filters); overriding get_queryset is refused at class creation.
    """

    model: type[TenantOwned]

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "get_queryset" in cls.__dict__ or "queryset" in cls.__dict__:
            raise TypeError(
                f"{cls.__name__}: set `model` and override scope_queryset(), not get_queryset/queryset"
            )

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.model.objects.none()
        return self.scope_queryset(self.model.objects.filter(tenant=self.request.tenant))

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
                    relation.queryset = (
                        model.objects.none()
                        if tenant is None
                        else model.objects.filter(tenant=tenant)
                    )
        return fields

    def _tenant(self):
        request = self.context.get("request")
        return getattr(request, "tenant", None)

    def create(self, validated_data):
        validated_data["tenant"] = self._tenant()
        return super().create(validated_data)
