from rest_framework.routers import SimpleRouter

from . import portfolio, views

router = SimpleRouter()
# Before "reports": its detail route would take "portfolio" for an id.
router.register("reports/portfolio", portfolio.PortfolioViewSet, basename="portfolio")
router.register("reports", views.ReportViewSet, basename="report")

urlpatterns = router.urls
