"""At most N requests per client and minute to a view, counted in the cache;
and the counting itself, which failed logins use too (logins.py).

Anyone can press "Ping the workers" (the home page hands out the CSRF token), and
each press adds a row and a task. Behind Heroku's router, the client is the last
address in X-Forwarded-For: the router appends the address it saw, after whatever
the client sent (prod settings name the header). Elsewhere it is REMOTE_ADDR.

The count lives in the cache (memcached in production, shared by every process);
if the cache cannot count, the request goes through: a cache outage must not
take the site's forms down.
"""

import time
from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse

WINDOW_SECONDS = 60
TOO_MANY_PAGE = (
    "<!doctype html><title>Too many requests</title>"
    "<h1>Too many requests</h1><p>You have done this often in the last minute. "
    "Please wait a little, then try again.</p>"
)


def client_address(request: HttpRequest) -> str:
    header = settings.CLIENT_ADDRESS_HEADER
    forwarded = request.META.get(header, "") if header else ""
    hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
    return hops[-1] if hops else request.META.get("REMOTE_ADDR", "")


def current_window(key: str, seconds: int) -> tuple[str, int]:
    """The counter for `key` in the current window of `seconds`, and the seconds
    until the next window starts."""
    now = time.time()
    window = int(now // seconds)
    return f"ratelimit:{key}:{seconds}:{window}", int((window + 1) * seconds - now) + 1


def count(key: str, seconds: int = WINDOW_SECONDS) -> tuple[int, int]:
    """Count one more in the current window: (the count, 0 if the cache cannot
    count; seconds until the window ends)."""
    counter, seconds_left = current_window(key, seconds)
    try:
        cache.add(counter, 0, seconds + 1)
        return cache.incr(counter), seconds_left
    except Exception:  # any backend's failure (memcached away, a key evicted): let it through
        return 0, seconds_left


def counted(key: str, seconds: int) -> tuple[int, int]:
    """(How many were counted in the current window, seconds until it ends)."""
    counter, seconds_left = current_window(key, seconds)
    try:
        return cache.get(counter, 0), seconds_left
    except Exception:  # as above: a cache outage must not lock anyone out
        return 0, seconds_left


def over_limit(key: str, limit: int) -> tuple[bool, int]:
    """Count one more request in the current minute; (over the limit, seconds left)."""
    counted_now, seconds_left = count(key)
    return counted_now > limit, seconds_left


def too_many(retry_after: int, page: str = TOO_MANY_PAGE) -> HttpResponse:
    response = HttpResponse(page, status=429)
    response["Retry-After"] = str(retry_after)
    return response


def rate_limited(name: str, per_minute: Callable[[], int]) -> Callable:
    """Answer 429 with Retry-After to a client past `per_minute()` requests to this view."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def limited(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
            over, retry_after = over_limit(f"{name}:{client_address(request)}", per_minute())
            if over:
                return too_many(retry_after)
            return view(request, *args, **kwargs)

        return limited

    return decorate
