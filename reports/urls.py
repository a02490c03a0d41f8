from django.urls import path, register_converter  # noqa: F401  (routes are added by the report pages)

from .periods import PeriodConverter
from .views import deliveries, files, portfolio, publishing, report

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
    path(
        "reports/agreements/<uuid:family>/",
        report.LatestReportView.as_view(),
        name="report-latest",
    ),
    path(
        "reports/agreements/<uuid:family>/<period:period>/",
        report.ReportView.as_view(),
        name="report",
    ),
    path(
        "reports/revisions/<int:pk>/files/",
        files.FileRequestView.as_view(),
        name="file-request",
    ),
    path("reports/files/<int:pk>/", files.FileView.as_view(), name="file"),
    path(
        "reports/files/<int:pk>/download/",
        files.FileDownloadView.as_view(),
        name="file-download",
    ),
    path(
        "reports/agreements/<uuid:family>/<period:period>/publish/",
        publishing.PublishView.as_view(),
        name="publish",
    ),
    path(
        "reports/agreements/<uuid:family>/<period:period>/republish/",
        publishing.RepublishView.as_view(),
        name="republish",
    ),
    path(
        "reports/agreements/<uuid:family>/<period:period>/revisions/",
        publishing.RevisionsView.as_view(),
        name="revisions",
    ),
    path(
        "reports/agreements/<uuid:family>/<period:period>/diff/",
        publishing.DiffView.as_view(),
        name="diff",
    ),
]
