from django import template
from django.urls import reverse

register = template.Library()


@register.simple_tag(takes_context=True)
def turl(context, name, *args):
    """{% turl 'app:name' obj.pk %} -> the URL inside the current tenant."""
    return reverse(name, args=[context["request"].tenant.slug, *args])


@register.simple_tag(takes_context=True)
def query_with(context, **changes):
    """The current query string with some parameters replaced (pagination links keep filters)."""
    query = context["request"].GET.copy()
    for key, value in changes.items():
        if value in (None, ""):
            query.pop(key, None)
        else:
            query[key] = value
    return query.urlencode()
