"""Public report pages, outside /t/<slug>/: the tenant comes from the signed link."""

from django.urls import path

from .views import public

urlpatterns = [
    path("r/<str:token>/", public.report_link, name="report-link"),
    path("r/<str:token>/pdf/", public.report_link_pdf, name="report-link-pdf"),
]
