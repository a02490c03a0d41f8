from django import template
from django.utils.html import format_html
from django.utils.translation import gettext as _

register = template.Library()


@register.simple_tag
def figure(value, suffix=""):
    """A Figure with its n beside it; withheld figures say so."""
    if value is None:
        return "–"
    if value.withheld:
        return format_html(
            '<span class="withheld" title="{}">{}</span> <small class="n">n={}</small>',
            _("Withheld: fewer answers than the minimum in an anonymous campaign."),
            _("withheld"),
            value.n,
        )
    if value.value is None:
        return format_html('– <small class="n">n={}</small>', value.n)
    return format_html('{}{} <small class="n">n={}</small>', value.value, suffix, value.n)


@register.simple_tag
def pick(obj, field, language):
    """`field_zh` in Chinese, `field_en` otherwise (dicts and objects)."""
    get = obj.get if isinstance(obj, dict) else lambda name: getattr(obj, name, "")
    zh, en = get(f"{field}_zh"), get(f"{field}_en")
    return (zh or en) if language.startswith("zh") else (en or zh)
