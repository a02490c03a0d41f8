"""Public endpoints of metrics (outside /t/): the ticket-system webhook."""

from django.urls import path

from .webhooks import ticket_webhook

urlpatterns = [
    path("hooks/<slug:tenant_ref>/tickets/", ticket_webhook, name="ticket-webhook"),
]
