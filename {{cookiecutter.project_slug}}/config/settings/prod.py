"""Production on Heroku: every deploy-specific value comes from a config var.

Nothing here raises when a value is missing, because a build may run
`collectstatic` with these settings before the app's config vars are set. The web,
scheduler, worker and release processes instead refuse to start until the
environment is safe, naming the variable to fix (groundwork/startup.py).
"""

from groundwork.addons import database_from_env
from groundwork.environment import env_bool, env_int, env_list

from .base import *  # noqa: F403
from .base import STORAGES

# Makes the start-up check in groundwork/startup.py strict.
PRODUCTION = True

DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS")

# Heroku Postgres only accepts TLS connections.
DATABASES = {"default": database_from_env(require_ssl=True)}

# SECURITY: `manage.py check --deploy` reports nothing with these.
# https://docs.djangoproject.com/en/5.2/howto/deployment/checklist/
# ------------------------------------------------------------------------------
# Heroku's router terminates TLS and says so in X-Forwarded-Proto; it also
# overwrites any X-Forwarded-Proto a client sends, so the header can be trusted.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# The router appends the address it saw to X-Forwarded-For: the last one is the
# client's, whatever the client sent before it (groundwork/ratelimit.py).
CLIENT_ADDRESS_HEADER = "HTTP_X_FORWARDED_FOR"
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
# Browsers remember HSTS for this long: start with an hour, raise it to a year
# (31536000) once you know HTTPS works on every subdomain.
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 3600)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
# Preloading is a commitment you opt into (SECURE_HSTS_PRELOAD=true and a
# submission to hstspreload.org), so its absence is not reported.
SILENCED_SYSTEM_CHECKS = ["security.W021"]

# STATIC FILES: hashed names, so browsers may cache them for a year
# ------------------------------------------------------------------------------
STORAGES = {
    **STORAGES,
    # Hashed names, and a gzipped copy of each text file (groundwork/static.py).
    "staticfiles": {"BACKEND": "groundwork.static.CompressedManifestStaticFilesStorage"},
}
