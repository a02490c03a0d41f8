from django.urls import path

from . import views

app_name = "mail"

urlpatterns = [
    path("settings/mail/", views.OutboxView.as_view(), name="outbox"),
    path(
        "settings/mail/suppressions/<int:pk>/remove/",
        views.SuppressionRemoveView.as_view(),
        name="suppression-remove",
    ),
]
