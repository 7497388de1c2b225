"""Rate limits for the public pages (registration, document verification).

A fixed window per client address and scope, counted in the Django cache (Redis when
REDIS_URL is set, so every web process shares the count; process memory in the demo).
The limits are settings: RATE_LIMITS maps a scope to "<count>/<s|m|h>". A cache that
cannot be reached lets the request through: the limit protects the portal, and an outage
of Redis must not shut the public pages.
"""

import functools
import logging

from django.conf import settings
from django.core.cache import cache
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from .client_address import source_address

logger = logging.getLogger(__name__)

WINDOWS = {"s": 1, "m": 60, "h": 3600}


def parse_rate(rate: str) -> tuple[int, int]:
    """'30/m' -> (30, 60). Raises ValueError for anything else (checked at start-up)."""
    count, _slash, unit = rate.partition("/")
    if not count.isdigit() or int(count) < 1 or unit not in WINDOWS:
        raise ValueError(f"rate {rate!r} is not <count>/<s|m|h>")
    return int(count), WINDOWS[unit]


def hit(scope: str, key: str) -> bool:
    """Count one request; False when the scope's limit for this key is already used up."""
    limit, window = parse_rate(settings.RATE_LIMITS[scope])
    cache_key = f"ratelimit:{scope}:{key}"
    try:
        # add() starts the window only when the key is new; incr() counts atomically.
        if cache.add(cache_key, 1, timeout=window):
            return True
        return cache.incr(cache_key) <= limit
    except ValueError:  # expired between add() and incr(): a new window
        cache.add(cache_key, 1, timeout=window)
        return True
    except Exception:  # the cache is down: let the request through
        logger.warning("rate limit cache unavailable; %s not limited", scope, exc_info=True)
        return True


def refused(request, scope: str):
    message = _("请求过于频繁，请稍后再试。")
    if request.path.startswith("/api/") or (
        request.accepts("application/json") and not (request.accepts("text/html"))
    ):
        return JsonResponse({"detail": message, "errors": []}, status=429)
    return render(request, "portal/rate_limited.html", {"message": message}, status=429)


def rate_limit(scope: str, methods: tuple[str, ...] = ("GET", "POST")):
    """Decorate a view: at most RATE_LIMITS[scope] requests per window per client address."""
    parse_rate(settings.RATE_LIMITS[scope])  # a bad setting fails at import, not per request

    def decorator(view):
        @functools.wraps(view)
        def wrapped(request, *args, **kwargs):
            if request.method in methods and not hit(scope, source_address(request)):
                return refused(request, scope)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
