"""Static files reach the browser through the WSGI app (dj-static), with cache headers.
The stylesheet is the admin's: every project keeps it, with or without the demo."""

import gzip
from wsgiref.util import setup_testing_defaults

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.wsgi import get_wsgi_application
from django.test import override_settings

from config.wsgi import serve_static_files

# Production's (prod.py): hashed names, and a gzipped copy of each text file.
MANIFEST_STORAGE = "groundwork.static.CompressedManifestStaticFilesStorage"


@pytest.fixture(scope="module")
def collected(tmp_path_factory):
    """collectstatic into a temporary STATIC_ROOT, as the Heroku build does: once
    for the module, whose tests only read what it wrote."""
    root = tmp_path_factory.mktemp("static")
    storages = {**settings.STORAGES, "staticfiles": {"BACKEND": MANIFEST_STORAGE}}
    with override_settings(STATIC_ROOT=str(root), STORAGES=storages):
        call_command("collectstatic", interactive=False, verbosity=0)
        yield root


def request(
    path: str, method: str = "GET", accept_encoding: str = ""
) -> tuple[str, dict[str, str], bytes]:
    environ = {"PATH_INFO": path, "REQUEST_METHOD": method, "HTTP_HOST": "testserver"}
    if accept_encoding:
        environ["HTTP_ACCEPT_ENCODING"] = accept_encoding
    setup_testing_defaults(environ)
    started: dict = {}

    def start_response(status: str, headers: list) -> None:
        started.update(status=status, headers=dict(headers))

    body = b"".join(serve_static_files(get_wsgi_application())(environ, start_response))
    return started["status"], started["headers"], body


def test_hashed_stylesheet_is_served_and_cached_for_a_year(collected):
    hashed = next(collected.glob("admin/css/base.*.css")).name

    status, headers, body = request(f"/static/admin/css/{hashed}")

    assert status == "200 OK"
    assert headers["Content-Type"] == "text/css"
    assert headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert body == (collected / "admin" / "css" / hashed).read_bytes()


def test_a_browser_that_accepts_gzip_gets_the_stylesheet_gzipped(collected):
    hashed = next(collected.glob("admin/css/base.*.css")).name
    original = (collected / "admin" / "css" / hashed).read_bytes()

    status, headers, body = request(f"/static/admin/css/{hashed}", accept_encoding="gzip, br")
    _, plain_headers, plain = request(f"/static/admin/css/{hashed}")

    assert status == "200 OK"
    assert headers["Content-Encoding"] == "gzip"
    assert headers["Content-Type"] == "text/css"
    assert gzip.decompress(body) == original
    assert len(body) < len(original) / 3, f"{len(body)} of {len(original)} bytes"
    assert "Content-Encoding" not in plain_headers
    assert plain == original
    assert headers["Vary"] == plain_headers["Vary"] == "Accept-Encoding"


def test_only_text_worth_compressing_gets_a_gzipped_copy(collected):
    assert list(collected.glob("admin/js/*.js.gz")), "no script was gzipped"
    assert not list(collected.glob("**/*.png.gz")), "an image was gzipped"
    assert not list(collected.glob("**/*.gz.gz"))


def test_unhashed_name_is_revalidated(collected):
    status, headers, _ = request("/static/admin/css/base.css")

    assert status == "200 OK"
    assert headers["Cache-Control"] == "no-cache"
    assert headers["ETag"]


def test_head_sends_headers_only(collected):
    status, headers, body = request("/static/admin/css/base.css", method="HEAD")

    assert status == "200 OK"
    assert headers["Content-Type"] == "text/css"
    assert body == b""


def test_missing_file_is_404(collected):
    status, _, _ = request("/static/admin/css/missing.css")

    assert status.startswith("404")


# A whole WSGI request closes its database connection at the end, so this test
# cannot run inside the usual rolled-back transaction.
@pytest.mark.django_db(transaction=True)
def test_other_paths_reach_django(collected):
    status, headers, body = request("/health/")

    assert status.split()[0] in {"200", "503"}  # the health report, green or not
    assert headers["Content-Type"] == "application/json"
    assert b'"ok":' in body
