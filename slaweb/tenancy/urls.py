from django.urls import path
from django.views.decorators.cache import never_cache

from . import views

app_name = "tenancy"

urlpatterns = [
    path("", views.DashboardView.as_view(), name="dashboard"),
    path("settings/members/", views.MembersView.as_view(), name="members"),
    path("settings/members/<int:pk>/role/", views.MemberRoleView.as_view(), name="member-role"),
    path(
        "settings/members/<int:pk>/remove/", views.MemberRemoveView.as_view(), name="member-remove"
    ),
    # The page shows a new token's key once: never stored by a browser or proxy cache.
    path("settings/tokens/", never_cache(views.TokensView.as_view()), name="tokens"),
    path("settings/tokens/<int:pk>/revoke/", views.TokenRevokeView.as_view(), name="token-revoke"),
    path(
        "settings/invitations/<int:pk>/revoke/",
        views.InvitationRevokeView.as_view(),
        name="invitation-revoke",
    ),
    path("settings/audit/", views.AuditView.as_view(), name="audit"),
]
