"""Rate limits: login lockout (django-axes), password reset per address and per email,
API throttling per token (against the real Redis cache), and the rate_limit helper."""

from __future__ import annotations

import uuid

import pytest
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import reverse
from django.utils import translation

from slaweb.ratelimit import client_ip, parse_rate, rate_limit
from tests.conftest import api_client_for

pytestmark = pytest.mark.django_db


def _fail_login(client, username, address="10.0.0.1"):
    return client.post(
        reverse("login"), {"username": username, "password": "wrong"}, REMOTE_ADDR=address
    )


@pytest.fixture
def limit_3(settings):
    settings.AXES_FAILURE_LIMIT = 3


def test_an_account_is_locked_after_repeated_failures_and_the_form_says_so(
    client, manager_a, limit_3
):
    manager_a.user.set_password("right-pass-123")
    manager_a.user.save()
    username = manager_a.user.username
    # Per account, across addresses: the third failure locks.
    assert _fail_login(client, username, "10.0.0.1").status_code == 200
    assert _fail_login(client, username, "10.0.0.2").status_code == 200
    assert _fail_login(client, username, "10.0.0.3").status_code == 429
    # The right password from a fresh address is refused now, on the login page itself.
    locked = client.post(
        reverse("login"),
        {"username": username, "password": "right-pass-123"},
        REMOTE_ADDR="10.0.0.9",
    )
    assert locked.status_code == 429
    page = locked.content.decode()
    assert "Too many failed logins" in page
    assert 'name="username"' in page and f'value="{username}"' in page
    assert "_auth_user_id" not in client.session


def test_an_address_is_locked_after_failures_on_several_accounts(client, manager_a, limit_3):
    for name in ("a@x.example", "b@x.example", "c@x.example"):  # per address: across accounts
        _fail_login(client, name, "10.0.0.7")
    response = _fail_login(client, manager_a.user.username, "10.0.0.7")
    assert response.status_code == 429
    # Another address is not affected.
    assert _fail_login(client, manager_a.user.username, "10.0.0.8").status_code == 200


def test_the_lockout_message_is_translated(client, limit_3):
    for _ in range(3):
        _fail_login(client, "someone@x.example")
    with translation.override("zh-hans"):
        response = client.post(
            reverse("login"),
            {"username": "someone@x.example", "password": "x"},
            HTTP_ACCEPT_LANGUAGE="zh-hans",
        )
    assert response.status_code == 429
    assert "登录失败次数过多" in response.content.decode()


def test_password_reset_is_limited_per_address_and_per_email(client, settings, manager_a):
    settings.PASSWORD_RESET_RATE = "2/h"
    url = reverse("password_reset")
    for i in range(2):
        ok = client.post(url, {"email": f"p{i}@x.example"}, REMOTE_ADDR="10.1.0.1")
        assert ok.status_code == 302
    refused = client.post(url, {"email": "p9@x.example"}, REMOTE_ADDR="10.1.0.1")
    assert refused.status_code == 429
    assert "Too many requests" in refused.content.decode()
    assert int(refused["Retry-After"]) > 0
    # The same email from other addresses: limited per email too.
    email = manager_a.user.email
    assert client.post(url, {"email": email}, REMOTE_ADDR="10.1.0.2").status_code == 302
    assert client.post(url, {"email": email}, REMOTE_ADDR="10.1.0.3").status_code == 302
    assert client.post(url, {"email": email}, REMOTE_ADDR="10.1.0.4").status_code == 429
    # Showing the form is not counted.
    assert client.get(url, REMOTE_ADDR="10.1.0.1").status_code == 200


@pytest.fixture
def redis_cache(settings):
    """The real Redis cache, under a key prefix of this test alone."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": settings.REDIS_URL,
            "KEY_PREFIX": f"test-{uuid.uuid4().hex}",
        }
    }


def test_api_requests_are_throttled_per_token_in_redis(settings, redis_cache, manager_a, admin_a):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"token": "3/min"},
    }
    from rest_framework.settings import api_settings
    from rest_framework.throttling import SimpleRateThrottle

    api_settings.reload()
    SimpleRateThrottle.THROTTLE_RATES = api_settings.DEFAULT_THROTTLE_RATES
    try:
        first, second = api_client_for(manager_a), api_client_for(admin_a)
        statuses = [first.get(reverse("api:me")).status_code for _ in range(4)]
        assert statuses == [200, 200, 200, 429]
        assert "Retry-After" in first.get(reverse("api:me"))
        # Another token has its own budget.
        assert second.get(reverse("api:me")).status_code == 200
    finally:
        settings.REST_FRAMEWORK = {
            **settings.REST_FRAMEWORK,
            "DEFAULT_THROTTLE_RATES": {"token": "100000/min"},
        }
        api_settings.reload()
        SimpleRateThrottle.THROTTLE_RATES = api_settings.DEFAULT_THROTTLE_RATES


def _ok(request):
    return HttpResponse("ok")


def test_rate_limit_decorator_answers_429_with_the_sites_page(redis_cache):
    view = rate_limit(key="ip", rate="2/m", scope="test-public")(_ok)
    factory = RequestFactory()
    answers = [view(factory.get("/p", REMOTE_ADDR="10.2.0.1")).status_code for _ in range(3)]
    assert answers == [200, 200, 429]
    refused = view(factory.get("/p", REMOTE_ADDR="10.2.0.1"))
    assert "Too many requests" in refused.content.decode()
    assert 0 < int(refused["Retry-After"]) <= 60
    assert view(factory.get("/p", REMOTE_ADDR="10.2.0.2")).status_code == 200


def test_rate_limit_counts_only_the_given_methods_and_keys():
    def by_token(request):
        return request.GET.get("t")

    view = rate_limit(key=by_token, rate="1/h", scope="test-hook", methods=["POST"])(_ok)
    factory = RequestFactory()
    assert view(factory.get("/h?t=a")).status_code == 200
    assert view(factory.get("/h?t=a")).status_code == 200  # GET not counted
    assert view(factory.post("/h?t=a")).status_code == 200
    assert view(factory.post("/h?t=a")).status_code == 429
    assert view(factory.post("/h?t=b")).status_code == 200
    assert view(factory.post("/h")).status_code == 200  # no key: not counted
    assert view(factory.post("/h")).status_code == 200


def test_client_address_trusts_forwarded_for_only_behind_our_proxy(settings):
    request = RequestFactory().get(
        "/", REMOTE_ADDR="10.9.9.9", HTTP_X_FORWARDED_FOR="1.1.1.1, 203.0.113.5"
    )
    settings.BEHIND_PROXY = False
    assert client_ip(request) == "10.9.9.9"
    settings.BEHIND_PROXY = True
    assert client_ip(request) == "203.0.113.5"


def test_parse_rate():
    assert parse_rate("30/m") == (30, 60)
    assert parse_rate("5/hour") == (5, 3600)
    with pytest.raises(KeyError):
        parse_rate("5/x")
