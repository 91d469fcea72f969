"""Celery's broker: Heroku Key-Value Store (Redis)."""

import ssl

from .environment import env_str

# Read in this order; the first one set wins.
BROKER_VARIABLES = ("CELERY_BROKER_URL", "REDIS_URL")


def broker_from_env() -> tuple[str, dict | None]:
    """The broker URL and its TLS options ("" when no variable is set)."""
    url = next((env_str(name) for name in BROKER_VARIABLES if env_str(name)), "")
    if url.startswith("rediss://"):
        # Heroku Key-Value Store serves TLS with a self-signed certificate that no
        # CA can verify. The connection is still encrypted.
        return url, {"ssl_cert_reqs": ssl.CERT_NONE}
    return url, None
