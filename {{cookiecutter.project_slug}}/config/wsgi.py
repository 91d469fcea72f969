"""The WSGI application gunicorn serves (see gunicorn.conf.py and the Procfile)."""

import os
import re

import static
from dj_static import Cling
from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from django.core.wsgi import get_wsgi_application

from groundwork.startup import refuse_to_start_if_misconfigured

# ManifestStaticFilesStorage (prod settings) puts a hash of the content in each name.
HASHED_NAME = re.compile(r"\.[0-9a-f]{12}\.\w+$")


class CachedStaticFiles(static.Cling):
    """static3's file server, plus Cache-Control: a hashed name never changes
    content, so browsers keep it a year; any other file is revalidated each time
    (cheaply: a 304 when its ETag still matches). static3 sends a file's .gz copy
    (groundwork/static.py) to a browser that accepts gzip, with Vary; the plain
    file says Vary too, so that no cache hands either to the wrong browser."""

    def _add_headers(self, headers: list, path: str, content_type: str) -> None:
        if HASHED_NAME.search(path):
            headers.append(("Cache-Control", "public, max-age=31536000, immutable"))
        else:
            headers.append(("Cache-Control", "no-cache"))
        has_gzipped_copy = os.path.exists(self._full_path(path) + ".gz")
        if has_gzipped_copy and ("Vary", "Accept-Encoding") not in headers:
            headers.append(("Vary", "Accept-Encoding"))


def serve_static_files(django_app: WSGIHandler) -> Cling:
    """Answer requests under STATIC_URL from STATIC_ROOT; hand the rest to Django."""
    with_static = Cling(django_app)
    with_static.cling = CachedStaticFiles(settings.STATIC_ROOT)
    return with_static


application = serve_static_files(get_wsgi_application())

# Raises in an unsafe production environment: gunicorn then stops, and says why.
refuse_to_start_if_misconfigured()
