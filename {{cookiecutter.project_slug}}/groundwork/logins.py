"""Failed logins throttled per client, for the admin and any login form.

After LOGIN_FAILURES_ALLOWED failed logins from one client address in
LOGIN_FAILURE_WINDOW seconds, every login from that address is refused, the right
password included, until the window ends: guessing a password then takes years,
not minutes. The admin's login page says so with a 429 and Retry-After; another
login form sees a failed login. The count is per address, not per user name, so
that nobody can lock the real administrator out from elsewhere.

Failures are counted in the cache (ratelimit.py): memcached in production,
shared by every dyno. If the cache is away, logins are not throttled.
"""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import PermissionDenied
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse

from .ratelimit import client_address, count, counted, too_many

LOCKED_OUT_PAGE = (
    "<!doctype html><title>Too many failed logins</title>"
    "<h1>Too many failed logins</h1><p>Logins from your address are refused for a "
    "while after too many failures. Please wait, then try again.</p>"
)


def failures_key(request: HttpRequest) -> str:
    return f"login-failures:{client_address(request)}"


def locked_out(request: HttpRequest) -> tuple[bool, int]:
    """(Is this client refused now, seconds until it may try again)."""
    failures, seconds_left = counted(failures_key(request), settings.LOGIN_FAILURE_WINDOW)
    return failures >= settings.LOGIN_FAILURES_ALLOWED, seconds_left


@receiver(user_login_failed)
def count_failure(request: HttpRequest | None = None, **_: object) -> None:
    if request is not None:  # a login outside a request (a script) has no client
        count(failures_key(request), settings.LOGIN_FAILURE_WINDOW)


class ThrottledModelBackend(ModelBackend):
    """Django's own check of user name and password, refused while locked out."""

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> Any:
        if request is not None and locked_out(request)[0]:
            # Stops every backend; Django counts it as one more failure.
            raise PermissionDenied
        return super().authenticate(request, username, password, **kwargs)


def refuse_locked_out(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A login view that answers 429, saying why, to a client that is locked out."""

    @wraps(view)
    def login(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        refused, retry_after = locked_out(request)
        if refused:
            return too_many(retry_after, LOCKED_OUT_PAGE)
        return view(request, *args, **kwargs)

    return login
