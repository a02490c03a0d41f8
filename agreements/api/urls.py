from rest_framework.routers import DefaultRouter

from . import views

router = DefaultRouter(trailing_slash=True)
router.register("services", views.ServiceViewSet, basename="service")
router.register("customers", views.CustomerViewSet, basename="customer")
router.register("contacts", views.ContactViewSet, basename="contact")
router.register("calendars", views.BusinessCalendarViewSet, basename="calendar")
router.register("agreements", views.AgreementViewSet, basename="agreement")
router.register("priority-tiers", views.PriorityTierViewSet, basename="prioritytier")
router.register("metric-definitions", views.MetricDefinitionViewSet, basename="metricdefinition")

urlpatterns = router.urls
