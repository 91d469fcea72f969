"""What a visitor sees: the home page, its background job, the admin."""

import datetime

import pytest
from django.test import Client

from core.models import Ping

pytestmark = pytest.mark.django_db


def test_home_page_names_the_site_and_links_its_stylesheet_and_script(client, settings):
    settings.PROJECT_NAME = "Ann's <Shop>"

    response = client.get("/")

    assert response.status_code == 200
    assert b"<title>Ann&#x27;s &lt;Shop&gt;</title>" in response.content
    assert b"<h1>Ann&#x27;s &lt;Shop&gt;</h1>" in response.content
    assert b'href="/static/core/site.css"' in response.content
    assert b'src="/static/core/pings.js"' in response.content


def test_only_a_waiting_ping_is_watched_for_its_answer(client):
    waiting = Ping.objects.create()
    answered = Ping.objects.create(answered_by="worker.1")

    page = client.get("/").content.decode()

    assert f'data-status-url="/pings/{waiting.pk}/"' in page
    assert f'data-status-url="/pings/{answered.pk}/"' not in page


def test_before_the_first_heartbeat_the_page_says_how_often_it_comes(client, settings):
    settings.HEARTBEAT_PERIOD = datetime.timedelta(seconds=7)

    response = client.get("/")

    assert b"the scheduler sends one as it starts, then every 7 s." in response.content


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


def ping_from(client: Client, forwarded_for: str) -> int:
    """A press of "Ping the workers" as it reaches the site through Heroku's router."""
    return client.post("/pings/", HTTP_X_FORWARDED_FOR=forwarded_for).status_code


def test_a_client_pressing_too_often_gets_429_and_others_do_not(client, settings):
    settings.PINGS_PER_MINUTE = 3
    settings.CLIENT_ADDRESS_HEADER = "HTTP_X_FORWARDED_FOR"

    # The router appends the address it saw: what the client put first is not trusted.
    statuses = [ping_from(client, f"10.0.0.{n}, 203.0.113.7") for n in range(4)]
    limited = client.post("/pings/", HTTP_X_FORWARDED_FOR="203.0.113.7")

    assert statuses == [303, 303, 303, 429]
    assert limited.status_code == 429
    assert 0 < int(limited["Retry-After"]) <= 61
    assert b"Too many requests" in limited.content
    assert ping_from(client, "203.0.113.8") == 303  # another client
    assert Ping.objects.count() == 4


def test_the_home_page_does_not_give_the_admins_address_away(client, settings):
    assert settings.ADMIN_URL not in client.get("/").content.decode()


def test_unknown_ping_is_404(client):
    assert client.get("/pings/999/").status_code == 404
