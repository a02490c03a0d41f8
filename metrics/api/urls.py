from rest_framework.routers import DefaultRouter

from . import views

router = DefaultRouter(trailing_slash=True)
router.register("tickets", views.TicketViewSet, basename="ticket")
router.register("deliveries", views.DeliveryViewSet, basename="delivery")
router.register("outages", views.OutageViewSet, basename="outage")
router.register("samples", views.SampleViewSet, basename="sample")
router.register("clocks", views.TicketClockViewSet, basename="ticketclock")
router.register("compliance-results", views.ComplianceResultViewSet, basename="complianceresult")
router.register("credits", views.CreditResultViewSet, basename="creditresult")
router.register("clock-recomputes", views.ClockRecomputeViewSet, basename="clockrecompute")
router.register("improvement-actions", views.ImprovementActionViewSet, basename="improvementaction")

urlpatterns = router.urls
