"""Public survey pages, outside /t/<slug>/: the tenant comes from the link."""

from django.urls import path

from . import views_public

urlpatterns = [
    path("s/thanks/", views_public.thanks, name="survey-thanks"),
    path("s/<str:token>/", views_public.answer, name="survey-answer"),
    path("s/<str:token>/unsubscribe/", views_public.unsubscribe, name="survey-unsubscribe"),
]
