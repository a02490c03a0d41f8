"""Stand-in for slaweb.ratelimit until that module is committed (same decorator signature).

A fixed-window counter per client address in Django's cache. Remove once
slaweb.ratelimit exists everywhere.
"""

from __future__ import annotations

import functools
import hashlib
import time

from django.core.cache import cache
from django.http import HttpResponse

_PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def rate_limit(*, key="ip", rate, scope: str, methods=None):
    def decorator(view):
        @functools.wraps(view)
        def wrapped(request, *args, **kwargs):
            count_limit, _sep, unit = (rate() if callable(rate) else rate).partition("/")
            period = _PERIODS[unit.strip()[0].lower()]
            ident = hashlib.sha256(request.META.get("REMOTE_ADDR", "").encode()).hexdigest()[:32]
            window = int(time.time()) // period
            cache_key = f"ratelimit:{scope}:{ident}:{window}"
            cache.add(cache_key, 0, timeout=period + 1)
            try:
                count = cache.incr(cache_key)
            except ValueError:
                cache.set(cache_key, 1, timeout=period + 1)
                count = 1
            if count > int(count_limit):
                response = HttpResponse("Too many requests", status=429)
                response["Retry-After"] = str(period)
                return response
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
