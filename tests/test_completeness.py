"""Every tenant route has an isolation class (tests/isolation.py says how to register):
each API route under /api/v1/ and each page under /t/<slug>/ is named by some class."""

from __future__ import annotations

import importlib
from pathlib import Path

from tests.isolation import IsolationCoverage
from tests.routes import api_routes, tenant_page_routes

TESTS = Path(__file__).resolve().parent


def isolation_classes() -> list[type]:
    for path in sorted(TESTS.rglob("test_*.py")):
        text = path.read_text()
        if "IsolationTests" in text or "IsolationCoverage" in text:
            module = ".".join(path.relative_to(TESTS.parent).with_suffix("").parts)
            importlib.import_module(module)
    found, todo = [], list(IsolationCoverage.__subclasses__())
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if cls.__module__ != "tests.isolation":  # the suites themselves
            found.append(cls)
    return found


def covered() -> dict[str, list[str]]:
    names: dict[str, list[str]] = {}
    for cls in isolation_classes():
        for name in cls.covered_names():
            names.setdefault(name, []).append(f"{cls.__module__}.{cls.__name__}")
    return names


def test_every_api_route_has_an_isolation_class():
    missing = sorted({r.name for r in api_routes()} - set(covered()))
    assert missing == [], f"API routes without an isolation class: {missing}"


def test_every_tenant_page_has_an_isolation_class():
    missing = sorted({r.name for r in tenant_page_routes()} - set(covered()))
    assert missing == [], f"tenant pages without an isolation class: {missing}"


def test_isolation_classes_name_only_routes_that_exist():
    routes = {r.name for r in api_routes()} | {r.name for r in tenant_page_routes()}
    unknown = {name: owners for name, owners in covered().items() if name not in routes}
    assert unknown == {}, "isolation classes naming routes that do not exist (renamed?)"
