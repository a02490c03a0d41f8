from django.urls import path  # noqa: F401  (routes are added by the report pages)

app_name = "reports"

urlpatterns: list = []
