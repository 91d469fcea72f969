"""What a visitor sees: the home page, its background job, the admin."""

import pytest
from django.test import Client

from core.models import Ping

pytestmark = pytest.mark.django_db


def test_home_page_greets_and_links_its_stylesheet(client):
    response = client.get("/")

    assert response.status_code == 200
    assert b"<h1>Hello, world</h1>" in response.content
    assert b'href="/static/core/site.css"' in response.content


def test_pinging_the_workers_runs_a_task_and_shows_who_answered(
    client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as enqueued:
        response = client.post("/pings/")

    ping = Ping.objects.get()
    assert len(enqueued) == 1, "the task must be enqueued once the ping is committed"
    assert response.status_code == 303
    assert response["Location"] == f"/?ping={ping.pk}"
    assert ping.answered_by, "the task did not run"
    home = client.get(response["Location"])
    assert f'<tr id="ping-{ping.pk}" class="highlighted">'.encode() in home.content
    assert ping.answered_by.encode() in home.content


def test_ping_status_is_json(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/pings/")
    ping = Ping.objects.get()

    status = client.get(f"/pings/{ping.pk}/").json()

    assert status["id"] == ping.pk
    assert status["answered_by"] == ping.answered_by


def test_a_ping_without_a_csrf_token_is_refused():
    response = Client(enforce_csrf_checks=True).post("/pings/")

    assert response.status_code == 403
    assert not Ping.objects.exists()


def test_admin_login_page_renders(client):
    response = client.get("/admin/login/")

    assert response.status_code == 200
    assert b'name="password"' in response.content


def test_unknown_ping_is_404(client):
    assert client.get("/pings/999/").status_code == 404
