"""A database that cannot serve now gives a 503 with Retry-After and one log line.

The template's tests make it happen for real: an exhausted pool, and PostgreSQL
restarted under load.
"""

import logging

import pytest
from django.db import InterfaceError, OperationalError, connection
from django.urls import path
from psycopg_pool import PoolTimeout


def exhausted_pool(request):
    # What Django raises when the pool gave no connection in DATABASE_POOL_TIMEOUT.
    raise OperationalError("couldn't get a connection after 5.00 sec") from PoolTimeout()


def closed_connection(request):
    raise InterfaceError("the connection is closed")


def broken_page(request):
    raise ValueError("a bug in the page")


def missing_table(request):
    # An OperationalError that is the page's own: the database answered.
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM no_such_table")


urlpatterns = [
    path("exhausted/", exhausted_pool),
    path("closed/", closed_connection),
    path("bug/", broken_page),
    path("missing-table/", missing_table),
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
@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url", "error"),
    [("/bug/", "ValueError: a bug in the page"), ("/missing-table/", "no_such_table")],
)
def test_other_errors_stay_500s_with_their_traceback(client, caplog, url, error):
    client.raise_request_exception = False

    response = client.get(url)

    assert response.status_code == 500
    assert error in caplog.text
    assert "Traceback" in caplog.text
