"""Errors go to the Sentry server SENTRY_DSN names, and nowhere without it. The
server here is a local stand-in that records what the SDK sends."""

import gzip
import http.server
import json
import threading
from collections.abc import Iterator

import pytest
import sentry_sdk
from django.urls import path

from groundwork.error_reporting import start_error_reporting


def fail(request):
    raise RuntimeError("the view failed on purpose")


def fail_holding_a_secret(request):
    # Built at run time: the source lines the SDK sends around a frame hold no secret.
    database_password = "-".join(["local", "variable", "secret"])  # noqa: F841
    raise RuntimeError("the form view erred on purpose")


urlpatterns = [path("fail/", fail), path("form/", fail_holding_a_secret)]


class FakeSentry(http.server.ThreadingHTTPServer):
    """Accepts Sentry envelopes (POST /api/<project>/envelope/) and keeps them."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), EnvelopeHandler)
        self.envelopes: list[str] = []

    @property
    def dsn(self) -> str:
        return f"http://public-key@127.0.0.1:{self.server_address[1]}/42"


class EnvelopeHandler(http.server.BaseHTTPRequestHandler):
    server: FakeSentry

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if self.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        if self.path == "/api/42/envelope/":
            self.server.envelopes.append(body.decode())
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def sentry(monkeypatch) -> Iterator[FakeSentry]:
    server = FakeSentry()
    # It looks for shutdown() between requests every 0.05 s (the default, 0.5 s,
    # was the longest part of each test).
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield server
    monkeypatch.delenv("SENTRY_DSN", raising=False)
    sentry_sdk.init()  # no DSN: the SDK goes back to sending nothing
    server.shutdown()


def events(envelopes: list[str]) -> list[dict]:
    """The error events in the envelopes (one JSON header line, then item pairs)."""
    found = []
    for envelope in envelopes:
        lines = envelope.splitlines()[1:]
        for item_header, payload in zip(lines[::2], lines[1::2], strict=False):
            if json.loads(item_header).get("type") == "event":
                found.append(json.loads(payload))
    return found


@pytest.mark.urls(__name__)
def test_an_error_in_a_request_is_reported_without_personal_data(client, sentry, monkeypatch):
    monkeypatch.setenv("SENTRY_DSN", sentry.dsn)
    assert start_error_reporting()
    client.raise_request_exception = False

    # A cookie name the SDK does not scrub by itself (it always hides "sessionid").
    response = client.get("/fail/", HTTP_COOKIE="theme=dark-and-private")
    sentry_sdk.flush(timeout=5)

    assert response.status_code == 500
    [event] = events(sentry.envelopes)
    [exception] = event["exception"]["values"]
    assert (exception["type"], exception["value"]) == ("RuntimeError", "the view failed on purpose")
    assert "dark-and-private" not in json.dumps(event)
    assert "cookies" not in event.get("request", {})
    assert not event.get("user")


@pytest.mark.urls(__name__)
def test_an_error_in_a_form_post_sends_no_body_query_string_or_local_variable(
    client, sentry, monkeypatch
):
    monkeypatch.setenv("SENTRY_DSN", sentry.dsn)
    assert start_error_reporting()
    client.raise_request_exception = False

    response = client.post(
        "/form/?email=query-string%40example.com",
        {"email": "form-body@example.com", "full_name": "Ada Private"},
    )
    sentry_sdk.flush(timeout=5)

    assert response.status_code == 500
    [event] = events(sentry.envelopes)
    sent = json.dumps(event)
    assert "the form view erred on purpose" in sent
    for personal in ("query-string", "form-body", "Ada Private", "local-variable-secret"):
        assert personal not in sent, f"{personal!r} was sent"


@pytest.mark.urls(__name__)
def test_without_a_dsn_nothing_starts_and_nothing_is_sent(client, sentry, monkeypatch):
    monkeypatch.delenv("SENTRY_DSN", raising=False)

    assert not start_error_reporting()
    client.raise_request_exception = False
    assert client.get("/fail/").status_code == 500
    sentry_sdk.flush(timeout=1)

    assert sentry_sdk.get_client().dsn is None
    assert sentry.envelopes == []


def test_without_a_dsn_no_process_loads_the_sdk(run_in_project):
    """Every process loads the config package as it starts: without SENTRY_DSN, that
    start must not pay for importing sentry-sdk and its integrations."""
    loaded = run_in_project(
        "python", "-c", "import sys, config; print('sentry_sdk' in sys.modules)",
        DJANGO_SETTINGS_MODULE="config.settings.local",
    )  # fmt: skip

    assert loaded.stdout.strip() == "False", loaded.stderr
