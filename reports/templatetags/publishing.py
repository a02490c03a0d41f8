"""The publishing panel's forms, wherever the panel is included (the report page passes none)."""

from django import template

register = template.Library()


@register.simple_tag(takes_context=True)
def republish_form(context):
    from ..forms import RepublishForm

    return context.get("republish_form") or RepublishForm()


@register.simple_tag(takes_context=True)
def publish_form(context):
    from ..forms import PublishForm

    return context.get("publish_form") or PublishForm()
