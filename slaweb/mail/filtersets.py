import django_filters
from django.utils.translation import gettext_lazy as _

from .choices import Status
from .models import OutboxMessage


class OutboxMessageFilterSet(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(
        label=_("Status"), choices=Status.choices, empty_label=_("Any")
    )
    to = django_filters.CharFilter(
        label=_("Recipient"), field_name="to_address", lookup_expr="icontains"
    )

    class Meta:
        model = OutboxMessage
        fields = ["status", "to"]
