"""Celery's broker: RabbitMQ, as CloudAMQP (or another RabbitMQ add-on) provides it."""

import ssl

from .environment import env_str

# Read in this order; the first one set wins.
BROKER_VARIABLES = ("CELERY_BROKER_URL", "CLOUDAMQP_URL", "RABBITMQ_URL")
# Seconds between AMQP heartbeats: the worker notices a broker that stopped
# answering after two missed ones (60 s), then reconnects.
BROKER_HEARTBEAT = 30


def broker_from_env() -> tuple[str, dict | None]:
    """The broker URL and its TLS options ("" when no variable is set)."""
    url = next((env_str(name) for name in BROKER_VARIABLES if env_str(name)), "")
    if url.startswith("amqps://"):
        # An amqps:// URL alone verifies the certificate's CA but not the name on
        # it. server_hostname=None has kombu fill in the URL's host, which turns
        # the name check (and SNI) on.
        return url, {"cert_reqs": ssl.CERT_REQUIRED, "server_hostname": None}
    return url, None


def broker_transport_options() -> dict:
    """The connect timeout is a Celery setting (base.py): with AMQP it bounds the
    connection to the broker. RabbitMQ gives an unacknowledged task back at once
    when its worker's connection ends."""
    # Queueing a task tries to connect once: the caller has a way on (the web
    # keeps the ping for the sweep, a task retries later) and should not wait
    # through kombu's retries.
    return {"max_retries": 0}
