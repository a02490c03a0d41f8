"""The executives' portfolio page: agreements x periods coloured by health, totals, worst
movers; each cell opens that agreement's report for the period."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.urls import NoReverseMatch, reverse
from django.views.generic import TemplateView

from agreements.models import Agreement
from slaweb.tenancy.pages import TenantPageMixin

from ..filtersets import PortfolioFilterSet
from ..selectors.portfolio import portfolio

ROWS_PER_PAGE = 50


def report_url(tenant_slug: str, family, period: str) -> str:
    try:
        return reverse(
            "reports:report",
            kwargs={"tenant_slug": tenant_slug, "family": family, "period": period},
        )
    except NoReverseMatch:  # the report page is not mounted (an install without it)
        return ""


class PortfolioView(TenantPageMixin, TemplateView):
    model = Agreement
    template_name = "reports/portfolio.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        tenant = self.request.tenant
        filterset = PortfolioFilterSet(
            self.request.GET or None, queryset=self.tenant_rows(Agreement), request=self.request
        )
        grid = portfolio(tenant, **filterset.options())
        page = Paginator(grid.rows, ROWS_PER_PAGE).get_page(self.request.GET.get("page"))
        movers = [m.row for found in grid.movers.values() for m in found]
        for row in [*page.object_list, *movers]:
            for cell in row.cells:
                cell.url = report_url(tenant.slug, row.family, cell.period)
        query = self.request.GET.copy()
        query.pop("page", None)
        context.update(
            filter=filterset,
            form=filterset.form,
            grid=grid,
            page_obj=page,
            rows=page.object_list,
            filtered=bool(query),
        )
        return context
