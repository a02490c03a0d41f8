"""Signals of the metrics domain (for apps above it, e.g. surveys)."""

from django.dispatch import Signal

# Sent on commit for tickets that became resolved: sender, tenant_id, ticket_ids (list[int]).
ticket_resolved = Signal()
