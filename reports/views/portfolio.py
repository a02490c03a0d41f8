"""The executives' portfolio page: agreements x periods coloured by health, totals, worst
movers; each cell opens that agreement's report for the period."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.generic import TemplateView

from agreements.models import Agreement
from slaweb.tenancy.pages import TenantPageMixin

from ..filtersets import PortfolioFilterSet
from ..selectors.portfolio import portfolio

ROWS_PER_PAGE = 50
SYMBOLS = {"red": "✕", "amber": "!", "green": "✓", "none": "–"}


def health_words() -> dict[str, str]:
    return {"red": _("red"), "amber": _("amber"), "green": _("green"), "none": _("no data")}


def cell_words(reference: str, cell, names: dict[str, str]) -> str:
    """What a cell says without its colour (screen readers, the cell's title)."""
    parts = [f"{reference} {cell.period}: {names[cell.health]}"]
    if cell.with_data:
        parts.append(_("%(met)s of %(n)s metrics met") % {"met": cell.met, "n": cell.with_data})
    if cell.breached:
        parts.append(
            ngettext("%(n)s breached", "%(n)s breached", cell.breached) % {"n": cell.breached}
        )
    if cell.satisfaction is not None:
        parts.append(_("satisfaction %(s)s") % {"s": cell.satisfaction})
    if cell.published:
        parts.append(_("report published"))
    return ", ".join(parts)


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
        # Text and links of the cells shown, built here once: 600 template includes with
        # translations per page were most of the page's time.
        names = health_words()
        movers = [m.row for found in grid.movers.values() for m in found]
        for row in [*page.object_list, *movers]:
            for cell in row.cells:
                cell.url = report_url(tenant.slug, row.family, cell.period)
                cell.symbol = SYMBOLS[cell.health]
                cell.words = cell_words(row.reference, cell, names)
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
