from django.urls import path
from rest_framework.routers import DefaultRouter

from . import views

router = DefaultRouter(trailing_slash=True)
router.register("memberships", views.MembershipViewSet, basename="membership")
router.register("invitations", views.MemberInvitationViewSet, basename="invitation")
router.register("audit-events", views.AuditEventViewSet, basename="auditevent")

urlpatterns = [path("me/", views.MeView.as_view(), name="me"), *router.urls]
