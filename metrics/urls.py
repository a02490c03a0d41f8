from django.urls import path

from . import views

app_name = "metrics"

urlpatterns = [
    path("metrics/board/", views.BoardView.as_view(), name="board"),
    path("metrics/recompute/", views.RecomputeStatusView.as_view(), name="recompute"),
    path(
        "metrics/recompute/<int:pk>/run-again/",
        views.RecomputeRunAgainView.as_view(),
        name="recompute-run-again",
    ),
    path("metrics/agreements/<int:pk>/", views.GridView.as_view(), name="grid"),
    path("metrics/results/<int:pk>/", views.ResultDetailView.as_view(), name="result"),
    path("metrics/actions/", views.ActionListView.as_view(), name="action-list"),
    path("metrics/actions/<int:pk>/", views.ActionEditView.as_view(), name="action-edit"),
    path("data/tickets/", views.DataListView.as_view(kind="tickets"), name="tickets"),
    path("data/deliveries/", views.DataListView.as_view(kind="deliveries"), name="deliveries"),
    path("data/outages/", views.DataListView.as_view(kind="outages"), name="outages"),
    path("data/samples/", views.DataListView.as_view(kind="samples"), name="samples"),
    path("data/import/", views.ImportStartView.as_view(), name="import"),
    path("data/import/<int:pk>/", views.ImportJobView.as_view(), name="import-job"),
    path("data/import/<int:pk>/errors.csv", views.ImportErrorsView.as_view(), name="import-errors"),
    path("settings/webhook/", views.WebhookSettingsView.as_view(), name="webhook"),
]
