"""Typed reads of the process environment.

Every deploy-specific value enters the settings through these functions, so a bad
value fails with a message that names the variable and what it may be.
"""

import math
import os
import string

from django.core.exceptions import ImproperlyConfigured

TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS = frozenset({"0", "false", "no", "off"})


def env_str(name: str, default: str = "") -> str:
    """The variable's value, or `default` when it is unset or blank."""
    return os.environ.get(name, "").strip() or default


def env_bool(name: str, default: bool) -> bool:
    raw = env_str(name)
    if not raw:
        return default
    word = raw.lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    allowed = "/".join(sorted(TRUE_WORDS | FALSE_WORDS))
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean; use one of {allowed}.")


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    raw = env_str(name)
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a whole number.") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name}={raw!r} must be at least {minimum}.")
    return value


def env_seconds(name: str, default: float) -> float:
    """A duration in seconds, fractions allowed (0.5); never negative."""
    raw = env_str(name)
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not (math.isfinite(value) and value >= 0):
        raise ImproperlyConfigured(f"{name}={raw!r} is not a number of seconds (e.g. 5 or 0.5).")
    return value


def env_list(name: str, default: tuple[str, ...] = ()) -> list[str]:
    """A comma-separated list; spaces around items and empty items are dropped."""
    raw = env_str(name)
    if not raw:
        return list(default)
    return [item.strip() for item in raw.split(",") if item.strip()]


URL_PATH_CHARACTERS = frozenset(string.ascii_letters + string.digits + "-_./")


def env_path(name: str, default: str) -> str:
    """A URL path below the site's root, such as "staff/": no leading slash, one at
    the end (added if missing), letters, digits, "-", "_", "." and "/" only."""
    raw = env_str(name)
    if not raw:
        return default
    path = raw.rstrip("/") + "/"
    if path.startswith("/") or path == "/" or not set(path) <= URL_PATH_CHARACTERS:
        raise ImproperlyConfigured(
            f"{name}={raw!r} is not a path below the site's root; use letters, digits,"
            ' "-", "_", "." and "/", with no leading slash (e.g. staff/).'
        )
    return path
