"""Sortable list pages: `?sort=name` or `?sort=-name`, limited to the columns a view names."""

from __future__ import annotations


class SortableListMixin:
    """`sorts` maps a column key to the fields it orders by; `default_sort` is one of them."""

    sorts: dict[str, tuple[str, ...]] = {}
    default_sort = ""

    def sort_key(self) -> str:
        key = self.request.GET.get("sort", "")
        return key if key.lstrip("-") in self.sorts else self.default_sort

    def sort(self, queryset):
        key = self.sort_key()
        fields = list(self.sorts[key.lstrip("-")])
        if key.startswith("-"):
            fields = [name[1:] if name.startswith("-") else f"-{name}" for name in fields]
        return queryset.order_by(*fields, "pk")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["sort"] = self.sort_key()
        return context
