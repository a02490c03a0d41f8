"""Public agreement pages, outside /t/<slug>/: the tenant comes from the signed link."""

from django.urls import path

from . import views_workflow

urlpatterns = [
    path("a/<str:token>/", views_workflow.approval_link, name="agreement-approval-link"),
]
