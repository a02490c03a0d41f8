"""Rate limits: one client address rule, a fixed-window counter in the cache (Redis), a
decorator for public pages and webhooks, the API throttle per token, and the login lockout
page (django-axes).

Public endpoints use the decorator::

    from slaweb.ratelimit import rate_limit

    @rate_limit(key="ip", rate="30/m", scope="survey")
    def answer(request, token): ...

    # class-based views: wrap as_view() in urls.py, or method_decorator(rate_limit(...))
    path("hooks/<slug:source>/", rate_limit(key="ip", rate="120/m", scope="webhook")(
        WebhookView.as_view()), name="webhook")

`key` is "ip" (the client address), "user" (the logged-in user, else the address), a
callable `key(request) -> str | None` (None: not counted), or a list of those: each key is
counted separately and any one over the limit refuses. `rate` is "N/s", "N/m", "N/h" or
"N/d", or a callable returning one (read at each request, e.g. from settings). `methods` limits counting to those methods (default: all). Over the limit the
view is not called: the answer is 429 with the site's page (templates/429.html) and a
Retry-After header.
"""

from __future__ import annotations

import functools
import hashlib
import time
from collections.abc import Callable, Iterable

from axes.backends import AxesStandaloneBackend
from django.conf import settings
from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache
from django.shortcuts import render
from django.utils.translation import gettext as _
from rest_framework.throttling import SimpleRateThrottle

_PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def client_ip(request) -> str | None:
    """The client's address: REMOTE_ADDR, or behind a proxy we run (settings.BEHIND_PROXY)
    the last X-Forwarded-For entry, the one our proxy added (earlier ones are the client's
    word). Used by django-axes (AXES_CLIENT_IP_CALLABLE) and by rate_limit."""
    if getattr(settings, "BEHIND_PROXY", False):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if hops:
            return hops[-1]
    return request.META.get("REMOTE_ADDR") or None


def parse_rate(rate: str) -> tuple[int, int]:
    """ "30/m" -> (30, 60). The unit's first letter counts, as in DRF ("30/min" works)."""
    count, _sep, unit = rate.partition("/")
    return int(count), _PERIODS[unit.strip()[0].lower()]


def hit(scope: str, ident: str, rate: str) -> int:
    """Count one request of `ident` in `scope`; return 0 if allowed, else the seconds until
    the window ends. Fixed windows: cheap (one INCR) and good enough for abuse control."""
    limit, period = parse_rate(rate)
    now = int(time.time())
    window = now // period
    digest = hashlib.sha256(ident.encode()).hexdigest()[:32]  # no addresses or emails in keys
    key = f"ratelimit:{scope}:{digest}:{window}"
    count = _count(key, timeout=period + 1)
    return 0 if count <= limit else (window + 1) * period - now


def _count(key: str, timeout: int) -> int:
    """Add one to the window's counter. On Redis one round trip (SET NX EX and INCR in a
    pipeline, the same value cache.incr would store); other caches: add, then incr."""
    backend = caches["default"]
    if isinstance(backend, RedisCache):
        full_key = backend.make_and_validate_key(key)
        pipe = backend._cache.get_client(full_key, write=True).pipeline(transaction=False)
        pipe.set(full_key, 0, ex=timeout, nx=True)
        pipe.incr(full_key)
        return pipe.execute()[1]
    cache.add(key, 0, timeout=timeout)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=timeout)
        return 1


def _identities(request, key) -> Iterable[tuple[str, str]]:
    keys = key if isinstance(key, list | tuple) else [key]
    for item in keys:
        if item == "ip":
            yield "ip", client_ip(request) or "unknown"
        elif item == "user":
            user = getattr(request, "user", None)
            if user is not None and user.is_authenticated:
                yield "user", f"user:{user.pk}"
            else:
                yield "ip", client_ip(request) or "unknown"
        elif callable(item):
            value = item(request)
            if value:
                yield getattr(item, "__name__", "key"), str(value)
        else:
            raise ValueError(f"rate_limit: unknown key {item!r}")


def too_many_requests(request, retry_after: int):
    response = render(
        request,
        "429.html",
        {"retry_minutes": max(1, (retry_after + 59) // 60)},
        status=429,
    )
    response["Retry-After"] = str(max(1, retry_after))
    return response


def rate_limit(
    *,
    key: str | Callable | list = "ip",
    rate: str | Callable[[], str],
    scope: str,
    methods: Iterable[str] | None = None,
):
    """Refuse a view with 429 once a client passes `rate` in `scope` (see module doc)."""
    if not callable(rate):
        parse_rate(rate)  # a bad rate fails at import, not at the first request
    counted = {m.upper() for m in methods} if methods else None

    def decorator(view):
        @functools.wraps(view)
        def wrapped(request, *args, **kwargs):
            if counted is None or request.method in counted:
                current = rate() if callable(rate) else rate
                for kind, ident in _identities(request, key):
                    retry_after = hit(f"{scope}:{kind}", ident, current)
                    if retry_after:
                        return too_many_requests(request, retry_after)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def password_reset_rate() -> str:
    return settings.PASSWORD_RESET_RATE


def posted_email(request) -> str | None:
    """Key for rate_limit: the email address a form posts (password reset), lower-cased."""
    email = (request.POST.get("email") or "").strip().lower()
    return email or None


class TokenRateThrottle(SimpleRateThrottle):
    """DRF throttle per API token (rate: REST_FRAMEWORK DEFAULT_THROTTLE_RATES["token"]);
    requests without a token are counted per address. Counters in the default cache."""

    scope = "token"

    def get_cache_key(self, request, view):
        token = request.auth
        if getattr(token, "pk", None):
            ident = f"token:{token.pk}"
        else:
            ident = client_ip(request) or "unknown"
        return self.cache_format % {"scope": self.scope, "ident": ident}


def login_locked_out(request, response=None, credentials=None):
    """django-axes lockout answer: the login page again, with the reason beside the form."""
    from django.contrib.auth.forms import AuthenticationForm
    from django.forms.utils import ErrorDict

    username = (credentials or {}).get("username") or request.POST.get("username", "")
    form = AuthenticationForm(request, initial={"username": username})
    form._errors = ErrorDict()
    form.cleaned_data = {}
    minutes = int(settings.AXES_COOLOFF_TIME * 60)
    form.add_error(
        None,
        _(
            "Too many failed logins for this account or from this address. Logging in is "
            "locked for %(minutes)d minutes; try again later or reset your password."
        )
        % {"minutes": minutes},
    )
    return render(
        request,
        "registration/login.html",
        {"form": form, "next": request.POST.get("next", "")},
        status=429,
    )


class LoginLockoutBackend(AxesStandaloneBackend):
    """django-axes' check before the password backends. A login without a request (the test
    client's login(), a shell) is no web login attempt: nothing to count or refuse."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)
