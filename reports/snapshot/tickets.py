"""Tickets of the report period by tier and kind, resolved, and those unresolved at its end."""

from __future__ import annotations

from collections import defaultdict

from django.db.models import Count, Q

from metrics.models import Ticket

from .common import iso

UNRESOLVED_SHOWN = 50


def tickets(version, start_at, end_at) -> dict:
    tickets = Ticket.objects.filter(family=version.family)
    groups = (
        tickets.filter(opened_at__gte=start_at, opened_at__lt=end_at)
        .values("tier_code", "kind")
        .annotate(n=Count("pk"))
        .order_by()
    )
    by_tier, by_kind = defaultdict(int), defaultdict(int)
    for g in groups:
        by_tier[g["tier_code"]] += g["n"]
        by_kind[g["kind"]] += g["n"]
    unresolved = tickets.filter(opened_at__lt=end_at).filter(
        Q(resolved_at__isnull=True) | Q(resolved_at__gte=end_at)
    )
    figures = tickets.aggregate(
        resolved=Count("pk", filter=Q(resolved_at__gte=start_at, resolved_at__lt=end_at)),
        unresolved=Count(
            "pk",
            filter=Q(opened_at__lt=end_at)
            & (Q(resolved_at__isnull=True) | Q(resolved_at__gte=end_at)),
        ),
    )
    return {
        "total": sum(by_tier.values()),
        "resolved": figures["resolved"],
        "by_tier": [{"tier": k, "count": by_tier[k]} for k in sorted(by_tier)],
        "by_kind": [{"kind": k, "count": by_kind[k]} for k in sorted(by_kind)],
        "unresolved": [
            {
                "external_id": t.external_id,
                "tier": t.tier_code,
                "kind": t.kind,
                "category": t.category,
                "opened_at": iso(t.opened_at),
            }
            for t in unresolved.order_by("opened_at", "external_id")[:UNRESOLVED_SHOWN]
        ],
        "unresolved_total": figures["unresolved"],
    }
