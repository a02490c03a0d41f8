"""The agreement list's "latest period" cell, filled from metrics without agreements importing
metrics (dependencies point one way): {% load metrics_health %}
{% latest_health object_list as health %} ... {% include "metrics/_health_cell.html" with h=health|health_of:a %}"""

from __future__ import annotations

from django import template

from metrics.selectors import latest_period_health

register = template.Library()


@register.simple_tag
def latest_health(agreements) -> dict:
    """One query for the page: {family: counts of the latest month with results}."""
    families = {a.family for a in agreements}
    return latest_period_health(families) if families else {}


@register.filter
def health_of(health: dict, agreement):
    return health.get(agreement.family)
