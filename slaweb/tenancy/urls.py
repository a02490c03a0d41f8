from django.urls import path

from . import views

app_name = "tenancy"

urlpatterns = [
    path("", views.DashboardView.as_view(), name="dashboard"),
    path("settings/members/", views.MembersView.as_view(), name="members"),
    path("settings/members/<int:pk>/role/", views.MemberRoleView.as_view(), name="member-role"),
    path(
        "settings/members/<int:pk>/remove/", views.MemberRemoveView.as_view(), name="member-remove"
    ),
    path("settings/tokens/", views.TokensView.as_view(), name="tokens"),
    path("settings/tokens/<int:pk>/revoke/", views.TokenRevokeView.as_view(), name="token-revoke"),
    path(
        "settings/invitations/<int:pk>/revoke/",
        views.InvitationRevokeView.as_view(),
        name="invitation-revoke",
    ),
    path("settings/audit/", views.AuditView.as_view(), name="audit"),
]
