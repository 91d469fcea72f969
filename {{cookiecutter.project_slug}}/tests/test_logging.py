"""Request errors reach the log on stdout with their traceback, with DEBUG off."""

import io
import logging

import pytest
from django.urls import path


def broken_view(request):
    raise RuntimeError("boom in a view")


urlpatterns = [path("broken/", broken_view)]


@pytest.fixture
def log_output():
    """Capture what the root logger's stdout handler (settings LOGGING) writes."""
    handler = next(h for h in logging.getLogger().handlers if h.get_name() == "stdout")
    captured = io.StringIO()
    original = handler.setStream(captured)
    yield captured
    handler.setStream(original)


@pytest.mark.urls("test_logging")
def test_a_failing_request_is_logged_with_its_traceback(client, settings, log_output):
    assert settings.DEBUG is False
    client.raise_request_exception = False

    response = client.get("/broken/")

    assert response.status_code == 500
    logged = log_output.getvalue()
    assert "ERROR django.request: Internal Server Error: /broken/" in logged
    assert "Traceback (most recent call last):" in logged
    assert "RuntimeError: boom in a view" in logged
