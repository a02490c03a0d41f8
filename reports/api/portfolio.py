"""API of the executives' portfolio: the page's selector and FilterSet, as JSON
(GET /api/v1/reports/portfolio/; agreements paginated like every list, 50 a page)."""

from __future__ import annotations

from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import mixins, serializers, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from agreements.models import Agreement
from slaweb.tenancy.api.base import TenantScopedViewSetMixin

from ..filtersets import PortfolioFilterSet
from ..selectors.portfolio import portfolio


class CountsSerializer(serializers.Serializer):
    met = serializers.IntegerField()
    warning = serializers.IntegerField()
    breached = serializers.IntegerField()
    no_data = serializers.IntegerField()
    share_met = serializers.DecimalField(max_digits=5, decimal_places=1, allow_null=True)
    satisfaction = serializers.DecimalField(max_digits=4, decimal_places=2, allow_null=True)
    satisfaction_n = serializers.IntegerField(source="score_n")
    invited = serializers.IntegerField()
    answered = serializers.IntegerField()
    response_rate = serializers.DecimalField(max_digits=5, decimal_places=1, allow_null=True)
    credits = serializers.DictField(child=serializers.DecimalField(max_digits=16, decimal_places=2))


class CellSerializer(CountsSerializer):
    period = serializers.CharField()
    health = serializers.CharField()
    satisfaction_withheld = serializers.BooleanField(source="withheld")
    published = serializers.BooleanField()


class ColumnSerializer(CountsSerializer):
    period = serializers.CharField()
    red = serializers.IntegerField()
    amber = serializers.IntegerField()
    green = serializers.IntegerField()
    none = serializers.IntegerField()


class TotalsSerializer(CountsSerializer):
    red = serializers.IntegerField()
    amber = serializers.IntegerField()
    green = serializers.IntegerField()
    none = serializers.IntegerField()


class RowSerializer(serializers.Serializer):
    family = serializers.UUIDField()
    agreement = serializers.IntegerField(source="agreement_id")
    reference = serializers.CharField()
    title = serializers.CharField()
    customer = serializers.CharField()
    kind = serializers.CharField()
    status = serializers.CharField()
    credits = serializers.DictField(child=serializers.DecimalField(max_digits=16, decimal_places=2))
    cells = CellSerializer(many=True)


class MoverSerializer(serializers.Serializer):
    family = serializers.UUIDField(source="row.family")
    reference = serializers.CharField(source="row.reference")
    measure = serializers.CharField()
    before = serializers.DecimalField(max_digits=6, decimal_places=2)
    after = serializers.DecimalField(max_digits=6, decimal_places=2)
    change = serializers.DecimalField(max_digits=6, decimal_places=2)


class PortfolioSerializer(serializers.Serializer):
    """One page of agreements with the figures of the whole selection."""

    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    period_kind = serializers.CharField()
    periods = serializers.ListField(child=serializers.CharField())
    totals = TotalsSerializer()
    columns = ColumnSerializer(many=True)
    movers = serializers.DictField(child=MoverSerializer(many=True))
    results = RowSerializer(many=True)


class PortfolioViewSet(TenantScopedViewSetMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """Agreements x periods coloured by health (red: a metric breached; amber: a target
    missed; green: every measured metric met; none: no data), totals, worst movers."""

    model = Agreement
    serializer_class = PortfolioSerializer
    filterset_class = PortfolioFilterSet  # documents the parameters; applied in list()
    filter_backends = [DjangoFilterBackend]

    def list(self, request, *args, **kwargs):
        filterset = PortfolioFilterSet(
            request.query_params, queryset=self.get_queryset(), request=request
        )
        if not filterset.is_valid():
            raise ValidationError(filterset.errors)
        grid = portfolio(request.tenant, **filterset.options())
        rows = self.paginate_queryset(grid.rows)
        paginator = self.paginator
        data = {
            "count": paginator.page.paginator.count,
            "next": paginator.get_next_link(),
            "previous": paginator.get_previous_link(),
            "period_kind": grid.kind,
            "periods": grid.labels,
            "totals": grid.totals,
            "columns": grid.columns,
            "movers": grid.movers,
            "results": rows,
        }
        return Response(PortfolioSerializer(data).data)
