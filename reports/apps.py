from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = _("Reports")

    def ready(self):
        # metrics asks whether a period is published (clocks of published periods stay
        # frozen) without importing reports: reports registers the answer.
        from metrics.services.compliance import register_published_source

        from .selectors.reports import published_ranges

        register_published_source(published_ranges)

        # The Overview page's panels: the platform cannot import reports, so reports registers.
        from slaweb.tenancy import dashboard

        from .panels import operations_panel, portfolio_panel

        dashboard.register(operations_panel, order=10, stylesheets=["css/portfolio.css"])
        dashboard.register(portfolio_panel, order=20, stylesheets=["css/portfolio.css"])
