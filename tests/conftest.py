"""Test set-up: the test database is created and migrated by the owner role; tests run as
the app role (no superuser, no BYPASSRLS, not owner), so row-level security is real here."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.db import connections
from rest_framework.test import APIClient

from slaweb.tenancy.context import tenant_context
from slaweb.tenancy.models import ApiToken, Role
from tests.factories import MembershipFactory, TenantFactory


@pytest.fixture(scope="session")
def django_db_setup(request, django_test_environment, django_db_blocker):
    keepdb = request.config.getvalue("reuse_db") and not request.config.getvalue("create_db")
    with django_db_blocker.unblock():
        owner = connections["owner"]
        old_name = owner.settings_dict["NAME"]
        test_name = owner.creation.create_test_db(
            verbosity=0, autoclobber=True, keepdb=keepdb, serialize=False
        )
        with owner.cursor() as cursor:
            # Only for the test database: transactional tests flush tables between tests.
            cursor.execute(
                f'GRANT TRUNCATE ON ALL TABLES IN SCHEMA public TO "{settings.DATABASES["default"]["USER"]}"'
            )
        default = connections["default"]
        default.close()
        default.settings_dict["NAME"] = test_name
        settings.DATABASES["default"]["NAME"] = test_name
    yield
    with django_db_blocker.unblock():
        for alias in ("default", "owner"):
            connections[alias].close()
        if not keepdb:
            owner.creation.destroy_test_db(old_name, verbosity=0, keepdb=False)


@pytest.fixture(autouse=True)
def default_language():
    """A request in Chinese leaves the thread's language active; each test starts in English."""
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def empty_rate_limit_counters():
    """Rate-limit counters (a per-process cache in tests) start empty in each test."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def tenant_a(db):
    return TenantFactory(slug="alpha", name="Alpha Ltd")


@pytest.fixture
def tenant_b(db):
    return TenantFactory(slug="bravo", name="Bravo GmbH")


def _member(tenant, role, email):
    return MembershipFactory(tenant=tenant, role=role, user__email=email, user__username=email)


@pytest.fixture
def admin_a(tenant_a):
    return _member(tenant_a, Role.ADMIN, "admin@alpha.example")


@pytest.fixture
def manager_a(tenant_a):
    return _member(tenant_a, Role.MANAGER, "manager@alpha.example")


@pytest.fixture
def viewer_a(tenant_a):
    return _member(tenant_a, Role.VIEWER, "viewer@alpha.example")


@pytest.fixture
def admin_b(tenant_b):
    return _member(tenant_b, Role.ADMIN, "admin@bravo.example")


@pytest.fixture
def manager_b(tenant_b):
    return _member(tenant_b, Role.MANAGER, "manager@bravo.example")


def api_client_for(membership) -> APIClient:
    with tenant_context(membership.tenant_id):
        _token, key = ApiToken.issue(membership, "tests")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


@pytest.fixture
def api_admin(admin_a):
    return api_client_for(admin_a)


@pytest.fixture
def api_manager(manager_a):
    return api_client_for(manager_a)


@pytest.fixture
def api_viewer(viewer_a):
    return api_client_for(viewer_a)


@pytest.fixture
def web_client_for(client):
    def login(membership):
        client.force_login(membership.user)
        return client

    return login


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class _Inbox:
    """Messages received by the real SMTP server, as email.message.EmailMessage objects."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        import email
        from email import policy

        message = email.message_from_bytes(envelope.original_content, policy=policy.default)
        message["X-Rcpt-To"] = ", ".join(envelope.rcpt_tos)
        self.messages.append(message)
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_inbox(settings):
    """A real SMTP server (aiosmtpd) on loopback; Django sends to it over SMTP."""
    from aiosmtpd.controller import Controller

    inbox = _Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_USE_TLS = False
    yield inbox
    controller.stop()
