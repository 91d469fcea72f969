"""Celery's broker: RabbitMQ, as CloudAMQP (or another RabbitMQ add-on) provides it."""

from .environment import env_str

# Read in this order; the first one set wins.
BROKER_VARIABLES = ("CELERY_BROKER_URL", "CLOUDAMQP_URL", "RABBITMQ_URL")


def broker_from_env() -> tuple[str, dict | None]:
    """The broker URL and its TLS options ("" when no variable is set).

    An amqps:// URL turns TLS on by itself, verified against the system's CAs,
    which CloudAMQP's certificates pass.
    """
    url = next((env_str(name) for name in BROKER_VARIABLES if env_str(name)), "")
    return url, None
