from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.i18n import set_language
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from slaweb.ratelimit import password_reset_rate, posted_email, rate_limit
from slaweb.tenancy import views as tenancy_views
from slaweb.tenancy.forms import OutboxPasswordResetForm
from slaweb.tenancy.invitation_views import InvitationAcceptView

tenant_patterns = [
    path("", include("slaweb.tenancy.urls")),
    path("", include("slaweb.mail.urls")),
    path("", include("agreements.urls")),
    path("", include("surveys.urls")),
    path("", include("metrics.urls")),
    path("", include("reports.urls")),
]

api_patterns = [
    path("", include("slaweb.tenancy.api.urls")),
    path("", include("agreements.api.urls")),
    path("", include("metrics.api.urls")),
    path("", include("surveys.api.urls")),
    path("", include("reports.api.urls")),
]

urlpatterns = [
    path("", tenancy_views.home, name="home"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path(
        "accounts/password_reset/",
        rate_limit(
            key=["ip", posted_email],
            rate=password_reset_rate,
            scope="password-reset",
            methods=["POST"],
        )(auth_views.PasswordResetView.as_view(form_class=OutboxPasswordResetForm)),
        name="password_reset",
    ),
    path("accounts/", include("django.contrib.auth.urls")),
    path("i18n/setlang/", set_language, name="set_language"),
    path(
        "invitations/<str:token>/",
        InvitationAcceptView.as_view(),
        name="invitation-accept",
    ),
    path("healthz", tenancy_views.healthz, name="healthz"),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/v1/", include((api_patterns, "api"))),
    path("t/<slug:tenant_slug>/", include(tenant_patterns)),
    path("", include("surveys.urls_public")),
    path("", include("agreements.urls_public")),
    path("", include("reports.urls_public")),
    path("", include("metrics.urls_hooks")),
]
