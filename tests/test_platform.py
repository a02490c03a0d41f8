"""Set-up, configuration and operations: deploy checks, compose file, health, commands."""

import os
import re
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
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "slaweb.settings.production",
        "SECRET_KEY": "",
        "SECRET_KEY_FILE": "/nonexistent/secret_key",
    }
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


def _compose():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_docker_compose_describes_every_service_with_healthchecks():
    services = _compose()["services"]
    assert set(services) == {
        "postgres",
        "redis",
        "migrate",
        "web",
        "worker",
        "beat",
        "mailcatcher",
    }
    for name, service in services.items():
        if name != "migrate":  # one-shot
            assert "healthcheck" in service, name
    for name in ("web", "worker", "beat"):
        environment = services[name]["environment"]
        assert {"DATABASE_URL", "REDIS_URL", "SECRET_KEY", "EMAIL_HOST"} <= set(environment), name
        assert environment["DJANGO_SETTINGS_MODULE"] == "slaweb.settings.production"
        assert services[name]["depends_on"]["migrate"] == {
            "condition": "service_completed_successfully"
        }
    assert "gunicorn" in services["web"]["command"]


def test_only_the_migrate_service_gets_the_owner_role():
    services = _compose()["services"]
    migrate = services["migrate"]
    assert "migrate" in migrate["command"] and "owner" in migrate["command"]
    assert migrate["restart"] == "no"
    assert "slaweb_owner" in migrate["environment"]["DATABASE_OWNER_URL"]
    for name, service in services.items():
        text = yaml.safe_dump(service)
        if name not in ("migrate", "postgres"):  # postgres creates the role
            assert "slaweb_owner" not in text and "OWNER_DB_PASSWORD" not in text, name
            assert "migrate" not in str(service.get("command", "")), name
    for name in ("web", "worker", "beat"):
        assert services[name]["environment"]["DATABASE_URL"].startswith("postgres://slaweb_app:")


def test_compose_has_no_default_passwords_and_publishes_no_mail_ui():
    text = (ROOT / "docker-compose.yml").read_text()
    secrets = re.findall(r"\$\{([A-Z_]*(?:PASSWORD|SECRET_KEY)[A-Z_]*)([^}]*)\}", text)
    assert secrets, "no secret variables found"
    for name, rest in secrets:
        assert rest.startswith(":?"), f"{name} has a default or may be empty: {rest!r}"
    assert "slaweb_app:slaweb_app" not in text and "slaweb_owner:slaweb_owner" not in text
    assert "ports" not in _compose()["services"]["mailcatcher"]


@pytest.mark.django_db(transaction=True)
def test_the_web_healthcheck_passes_with_the_configured_allowed_hosts(live_server, settings):
    settings.ALLOWED_HOSTS = ["slaweb.example.com"]

    def check(allowed_hosts):
        env = {
            **os.environ,
            "ALLOWED_HOSTS": allowed_hosts,
            "HEALTHCHECK_URL": f"{live_server.url}/healthz",
        }
        script = ROOT / "docker" / "healthcheck.py"
        return subprocess.run([sys.executable, script], env=env, capture_output=True, check=False)

    assert check("slaweb.example.com,other.example").returncode == 0
    assert check("elsewhere.example").returncode == 1  # Django refuses the host: 400


def _production_setting(expression, **env):
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE",)},
        "SECRET_KEY": "a-long-random-production-key-for-the-check-0123456789abcdefXYZ",
        **env,
    }
    code = f"import django; django.setup(); from django.conf import settings; print(({expression}))"
    env["DJANGO_SETTINGS_MODULE"] = "slaweb.settings.production"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_forwarded_proto_is_trusted_only_behind_a_configured_proxy():
    expression = "getattr(settings, 'SECURE_PROXY_SSL_HEADER', None)"
    assert _production_setting(expression) == "None"
    assert _production_setting(expression, BEHIND_PROXY="true") == str(
        ("HTTP_X_FORWARDED_PROTO", "https")
    )


def test_plain_http_on_loopback_drops_the_https_only_settings():
    expression = "settings.SECURE_SSL_REDIRECT, settings.SESSION_COOKIE_SECURE, settings.DEBUG"
    assert _production_setting(expression) == "(True, True, False)"
    assert _production_setting(expression, HTTPS="false") == "(False, False, False)"


def _without_settings_env(tmp_path):
    drop = ("DJANGO_SETTINGS_MODULE", "SECRET_KEY", "DJANGO_ALLOW_ASYNC_UNSAFE")
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env["SECRET_KEY_FILE"] = str(tmp_path / "missing")
    return env


def test_manage_py_without_settings_uses_production_and_refuses_no_key(tmp_path):
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=_without_settings_env(tmp_path),
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_a_celery_worker_without_settings_refuses_no_key(tmp_path):
    code = "from slaweb.celery import app; app.loader.import_default_modules()"
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=_without_settings_env(tmp_path),
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_the_secret_key_file_is_read_when_no_key_is_set(tmp_path):
    key_file = tmp_path / "secret_key"
    key_file.write_text("k" * 64 + "\n")
    env = {"SECRET_KEY": "", "SECRET_KEY_FILE": str(key_file)}
    assert _production_setting("settings.SECRET_KEY", **env) == "k" * 64


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


@pytest.mark.django_db
@pytest.mark.parametrize(
    "value,status",
    [
        ("2026-01-01T00:00:00+08:00", 200),
        ("3282-02-04T20:17:45-20:44", 200),  # an offset PostgreSQL refuses: sent in UTC
        ("0001-01-01T00:00:00+05:00", 400),  # before year 1 in UTC
        ("not a date", 400),
    ],
)
def test_date_time_filters_take_any_iso_offset(admin_a, value, status):
    from tests.conftest import api_client_for

    response = api_client_for(admin_a).get(reverse("api:auditevent-list"), {"until": value})
    assert response.status_code == status, response.content
