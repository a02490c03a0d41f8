"""Set-up, configuration and operations: deploy checks, compose file, health, commands."""

import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
import yaml
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from slaweb.tenancy.context import tenant_context
from slaweb.tenancy.models import ApiToken, Membership, Tenant

ROOT = Path(__file__).resolve().parent.parent


def test_check_deploy_is_clean_with_production_settings():
    # A production environment: without the browser tests' DJANGO_ALLOW_ASYNC_UNSAFE.
    env = {
        **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},
        "DJANGO_SETTINGS_MODULE": "slaweb.settings.production",
        "SECRET_KEY": "a-long-random-production-key-for-the-check-0123456789abcdefXYZ",
        "ALLOWED_HOSTS": "slaweb.example.com",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_settings_refuse_a_missing_secret_key():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "slaweb.settings.production", "SECRET_KEY": ""}
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_docker_compose_describes_every_service_with_healthchecks():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert set(services) == {"postgres", "redis", "web", "worker", "beat", "mailcatcher"}
    for name, service in services.items():
        assert "healthcheck" in service, name
    for name in ("web", "worker", "beat"):
        environment = services[name]["environment"]
        assert {"DATABASE_URL", "REDIS_URL", "SECRET_KEY", "EMAIL_HOST"} <= set(environment), name
    assert "gunicorn" in services["web"]["command"]
    assert "migrate --database owner" in services["web"]["command"]


@pytest.mark.django_db
def test_healthz_reports_database_and_redis(client):
    response = client.get(reverse("healthz"))
    assert response.status_code == 200, response.content
    assert response.json()["checks"] == {"database": "ok", "redis": "ok"}


@pytest.mark.django_db
def test_healthz_fails_when_redis_is_down(client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    response = client.get(reverse("healthz"))
    assert response.status_code == 503
    assert response.json()["checks"]["redis"].startswith("error")


@pytest.mark.django_db
def test_the_api_docs_are_served_without_a_cdn(client):
    schema = client.get(reverse("api-schema"), HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    assert schema.json()["openapi"].startswith("3.")
    assert "/api/v1/memberships/" in schema.json()["paths"]
    docs = client.get(reverse("api-docs")).content.decode()
    assert "swagger-ui" in docs
    assert "cdn." not in docs and "unpkg" not in docs
    assert "/static/drf_spectacular_sidecar/" in docs


@pytest.mark.django_db
class TestCommands:
    def test_create_tenant_and_token(self):
        out = StringIO()
        call_command(
            "create_tenant",
            "acme",
            name="Acme",
            admin_email="boss@acme.example",
            password="pw-123456-x",
            stdout=out,
        )
        tenant = Tenant.objects.get(slug="acme")
        with tenant_context(tenant):
            assert Membership.objects.get().role == "admin"
        out = StringIO()
        call_command(
            "create_api_token", tenant="acme", email="boss@acme.example", name="sync", stdout=out
        )
        key = out.getvalue().strip()
        assert key.startswith("slw_")
        with tenant_context(tenant):
            assert ApiToken.objects.get().name == "sync"

    def test_create_tenant_refuses_a_duplicate_or_bad_slug(self):
        call_command(
            "create_tenant", "acme", name="Acme", admin_email="a@acme.example", stdout=StringIO()
        )
        with pytest.raises(CommandError, match="exists already"):
            call_command("create_tenant", "acme", name="Acme", admin_email="a@acme.example")
        with pytest.raises(CommandError, match="slug"):
            call_command("create_tenant", "Bad Slug!", name="X", admin_email="a@acme.example")

    def test_create_api_token_needs_a_member(self):
        call_command(
            "create_tenant", "acme", name="Acme", admin_email="a@acme.example", stdout=StringIO()
        )
        with pytest.raises(CommandError, match="not a member"):
            call_command("create_api_token", tenant="acme", email="stranger@x.example")

    def test_seed_demo_is_idempotent(self):
        call_command("seed_demo", stdout=StringIO())
        call_command("seed_demo", stdout=StringIO())
        tenant = Tenant.objects.get(slug="demo")
        with tenant_context(tenant):
            roles = sorted(Membership.objects.values_list("role", flat=True))
        assert roles == ["admin", "manager", "viewer"]
