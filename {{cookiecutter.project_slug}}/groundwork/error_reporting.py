"""Errors reported to Sentry, once SENTRY_DSN is set; until then nothing starts.

sentry-sdk speaks Sentry's protocol, which sentry.io, a self-hosted Sentry and
GlitchTip (open source, deployable on Heroku) all accept: the DSN alone chooses
where reports go. Every process calls start_error_reporting() as it loads the
config package (config/__init__.py). The SDK reads SENTRY_ENVIRONMENT, and takes
the release from Heroku's dyno metadata (HEROKU_SLUG_COMMIT) when that is enabled.
"""

from .environment import env_str


def start_error_reporting() -> bool:
    """Send unhandled errors of requests and tasks to SENTRY_DSN; say whether it
    is set. Nothing a visitor typed or a frame held goes with them: the SDK's
    defaults already leave out users, IP addresses and cookies; here request
    bodies (a form's email and name), query strings and local variables (a
    password parsed from DATABASE_URL) are left out too. Turn any of them on here,
    deliberately, if your privacy policy allows it."""
    dsn = env_str("SENTRY_DSN")
    if not dsn:
        return False
    # Imported only now: without a DSN, no process pays for loading the SDK and
    # its integrations (about 0.5 s at every start, measured with -X importtime).
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=dsn,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        include_local_variables=False,
        max_request_body_size="never",
        before_send=without_query_string,
    )
    return True


def without_query_string(event: dict, hint: dict) -> dict:
    """A URL's query string can carry what a visitor typed (?email=...)."""
    request = event.get("request") or {}
    request.pop("query_string", None)
    if "url" in request:
        request["url"] = request["url"].split("?", 1)[0]
    return event
