"""Panels of the Overview page (tenancy:dashboard), contributed by the apps.

The platform cannot import the domain apps (dependencies run one way), so each app
registers its panel providers in its AppConfig.ready():

    from slaweb.tenancy import dashboard
    dashboard.register(my_panels, order=20, stylesheets=["css/my_app.css"])

A provider is `callable(request) -> list[(template name, context dict)] | None`; it sees
request.tenant and request.membership and returns nothing for roles it has nothing for.
Each panel template gets its context as `panel`. Providers run in `order`, then in the
order they registered.
"""

from __future__ import annotations

from collections.abc import Callable

Panel = tuple[str, dict]
Provider = Callable[[object], "list[Panel] | None"]

_providers: list[tuple[int, int, Provider]] = []
_stylesheets: list[str] = []  # static paths the panels need, linked in the page's head


def register(provider: Provider, *, order: int = 100, stylesheets=()) -> Provider:
    """Add a provider (once; registering it again changes nothing)."""
    if all(p is not provider for _o, _n, p in _providers):
        _providers.append((order, len(_providers), provider))
        _providers.sort(key=lambda item: item[:2])
    _stylesheets.extend(s for s in stylesheets if s not in _stylesheets)
    return provider


def unregister(provider: Provider) -> None:
    _providers[:] = [item for item in _providers if item[2] is not provider]


def stylesheets() -> list[str]:
    return list(_stylesheets)


def panels(request) -> list[Panel]:
    """Every panel the registered providers give for this request, in order."""
    found: list[Panel] = []
    for _order, _n, provider in list(_providers):
        found.extend(provider(request) or [])
    return found
