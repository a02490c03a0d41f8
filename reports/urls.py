from django.urls import path, register_converter  # noqa: F401  (routes are added by the report pages)

from .periods import PeriodConverter
from .views import deliveries, portfolio

# <period:period> matches "2026-10", "2026-Q3", "2026"; the view gets the string, parse() it.
register_converter(PeriodConverter, "period")

app_name = "reports"

urlpatterns: list = [
    path("reports/", portfolio.PortfolioView.as_view(), name="portfolio"),
    path(
        "reports/revisions/<int:pk>/deliveries/",
        deliveries.DeliveriesView.as_view(),
        name="deliveries",
    ),
]
