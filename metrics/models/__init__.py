"""Measurement data (tickets, deliveries, outages, samples), clocks and compliance results.

Metric definitions are contract terms and live in agreements (agreements.models.metrics).
"""

from .clocks import ClockWarning, TicketClock
from .records import Delivery, Outage, Sample, Ticket
from .results import ComplianceResult, CreditResult, ImprovementAction
from .surfaces import ClockRecompute, ImportJob, ImportMapping, WebhookEvent, WebhookSecret  # noqa: F401 (h5b)

__all__ = [
    "ClockRecompute",
    "ClockWarning",
    "ComplianceResult",
    "CreditResult",
    "Delivery",
    "ImprovementAction",
    "Outage",
    "Sample",
    "Ticket",
    "TicketClock",
]
