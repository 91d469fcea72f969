"""Errors reported to Sentry, once SENTRY_DSN is set; until then nothing starts.

sentry-sdk speaks Sentry's protocol, which sentry.io, a self-hosted Sentry and
GlitchTip (open source, deployable on Heroku) all accept: the DSN alone chooses
where reports go. Every process calls start_error_reporting() as it loads the
config package (config/__init__.py). The SDK reads SENTRY_ENVIRONMENT, and takes
the release from Heroku's dyno metadata (HEROKU_SLUG_COMMIT) when that is enabled.
"""

from config.settings.environment import env_str


def start_error_reporting() -> bool:
    """Send unhandled errors of requests and tasks to SENTRY_DSN; say whether it
    is set. The SDK's defaults collect no personal data (users, IP addresses,
    cookies) and no traces: turn those on here, deliberately (its data_collection
    and traces_sample_rate options), if your privacy policy allows them."""
    dsn = env_str("SENTRY_DSN")
    if not dsn:
        return False
    # Imported only now: without a DSN, no process pays for loading the SDK and
    # its integrations (about 0.5 s at every start, measured with -X importtime).
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(dsn=dsn, integrations=[DjangoIntegration(), CeleryIntegration()])
    return True
