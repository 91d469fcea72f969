"""A database that cannot serve now gives a 503 with Retry-After and one log line.

The template's tests make it happen for real: an exhausted pool, and PostgreSQL
restarted under load.
"""

import logging

import pytest
from django.db import InterfaceError, OperationalError
from django.urls import path


def exhausted_pool(request):
    # What Django raises when the pool gave no connection in DATABASE_POOL_TIMEOUT.
    raise OperationalError("couldn't get a connection after 5.00 sec")


def closed_connection(request):
    raise InterfaceError("the connection is closed")


def broken_page(request):
    raise ValueError("a bug in the page")


urlpatterns = [
    path("exhausted/", exhausted_pool),
    path("closed/", closed_connection),
    path("bug/", broken_page),
]


@pytest.mark.urls("test_database_unavailable")
@pytest.mark.parametrize("url", ["/exhausted/", "/closed/"])
def test_an_unavailable_database_is_a_503_to_retry_logged_once(client, caplog, url):
    with caplog.at_level(logging.INFO):
        response = client.get(url)

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert b"try again" in response.content
    logged = [record for record in caplog.records if record.levelno >= logging.WARNING]
    assert len(logged) == 1, [record.getMessage() for record in logged]
    assert f"503 for GET {url}: database unavailable" in logged[0].getMessage()
    assert logged[0].exc_info is None, "one line, no traceback"


@pytest.mark.urls("test_database_unavailable")
def test_other_errors_stay_500s_with_their_traceback(client, caplog):
    client.raise_request_exception = False

    response = client.get("/bug/")

    assert response.status_code == 500
    assert "ValueError: a bug in the page" in caplog.text
