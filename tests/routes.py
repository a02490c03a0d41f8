"""Every route of the site, read from the URLconf (so routes added later are included):
the tenant pages under /t/<slug>/ and the API under /api/v1/. Used by the completeness,
role and page-policy tests."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.urls import URLPattern, URLResolver, get_resolver

WRITE_METHODS = ("post", "put", "patch", "delete")


@dataclass(frozen=True)
class Route:
    name: str  # "namespace:url_name"
    path: str  # the pattern, e.g. "t/<slug:tenant_slug>/agreements/<int:pk>/"
    callback: object = field(compare=False)
    kwargs: tuple[str, ...] = ()

    @property
    def view_class(self):
        callback = self.callback
        return getattr(callback, "view_class", None) or getattr(callback, "cls", None)

    @property
    def actions(self) -> dict:
        """API viewset routes: {"get": "list", "post": "create"}; others {}."""
        return dict(getattr(self.callback, "actions", None) or {})

    @property
    def basename(self) -> str | None:
        initkwargs = getattr(self.callback, "initkwargs", None) or {}
        return initkwargs.get("basename")

    @property
    def methods(self) -> set[str]:
        if self.actions:
            return set(self.actions)
        view = self.view_class
        names = getattr(view, "http_method_names", [])
        return {m for m in names if m not in ("head", "options", "trace") and hasattr(view, m)}

    @property
    def has_get(self) -> bool:
        return "get" in self.methods

    @property
    def write_methods(self) -> list[str]:
        return [m for m in WRITE_METHODS if m in self.methods]

    def role(self, method: str) -> str:
        """The role the view asks for `method` (read_role for GET, write_role otherwise)."""
        from slaweb.tenancy.models import Role

        view = self.view_class
        if method == "get":
            return getattr(view, "read_role", Role.VIEWER)
        return getattr(view, "write_role", Role.MANAGER)


def _walk(patterns, prefix="", namespace="", kwargs=()):
    for entry in patterns:
        pattern = str(entry.pattern)
        names = tuple(entry.pattern.regex.groupindex)  # path converters and regex groups
        if isinstance(entry, URLResolver):
            ns = entry.namespace or ""
            full_ns = f"{namespace}:{ns}" if namespace and ns else (ns or namespace)
            yield from _walk(entry.url_patterns, prefix + pattern, full_ns, kwargs + names)
        elif isinstance(entry, URLPattern) and entry.name:
            name = f"{namespace}:{entry.name}" if namespace else entry.name
            path = prefix + pattern
            yield Route(name=name, path=path, callback=entry.callback, kwargs=kwargs + names)


def all_routes() -> list[Route]:
    routes, seen = [], set()
    for route in _walk(get_resolver().url_patterns):
        if (route.name, route.path) not in seen:  # DefaultRouter repeats format suffixes
            seen.add((route.name, route.path))
            routes.append(route)
    return routes


def tenant_page_routes() -> list[Route]:
    routes = [r for r in all_routes() if r.path.startswith("t/<slug:tenant_slug>/")]
    unique = {}
    for route in routes:
        unique.setdefault(route.name, route)
    return list(unique.values())


def api_routes() -> list[Route]:
    """API routes under /api/v1/ (no format-suffix duplicates, no router root view)."""
    unique = {}
    for route in all_routes():
        if not route.path.startswith("api/v1/") or "<drf_format_suffix" in route.path:
            continue
        if route.name == "api:api-root":
            continue
        unique.setdefault(route.name, route)
    return list(unique.values())


def api_basenames() -> set[str]:
    return {r.basename for r in api_routes() if r.basename}
