"""Column headers of sortable lists: {% sort_th "name" label %} (see agreements.listing)."""

from django import template
from django.utils.html import format_html
from django.utils.translation import gettext as _

register = template.Library()


@register.simple_tag(takes_context=True)
def sort_th(context, key, label, css_class=""):
    current = context.get("sort", "")
    query = context["request"].GET.copy()
    query.pop("page", None)
    if current == key:
        query["sort"], state = f"-{key}", "ascending"
    elif current == f"-{key}":
        query["sort"], state = key, "descending"
    else:
        query["sort"], state = key, ""
    hint = _("sort by %(column)s") % {"column": label}
    return format_html(
        '<th scope="col"{}{}><a class="sort" href="?{}" title="{}">{}</a></th>',
        format_html(' class="{}"', css_class) if css_class else "",
        format_html(' aria-sort="{}"', state) if state else "",
        query.urlencode(),
        hint,
        label,
    )
