"""Failed logins throttled per client address (groundwork/logins.py), and where the
admin lives (ADMIN_URL)."""

import pytest
from django.contrib.auth import authenticate
from django.core.exceptions import ImproperlyConfigured
from django.test import Client, RequestFactory

from users.models import User

pytestmark = pytest.mark.django_db

PASSWORD = "the right password, long enough"


@pytest.fixture
def admin_login(settings):
    settings.LOGIN_FAILURES_ALLOWED = 3
    User.objects.create_superuser("ann", "ann@example.com", PASSWORD)
    return f"/{settings.ADMIN_URL}login/"


def log_in(client: Client, url: str, password: str, address: str = "203.0.113.7") -> int:
    credentials = {"username": "ann", "password": password}
    return client.post(url, credentials, REMOTE_ADDR=address).status_code


def test_after_too_many_failures_even_the_right_password_is_refused(client, admin_login):
    failures = [log_in(client, admin_login, "guess") for _ in range(3)]

    refused = client.post(
        admin_login, {"username": "ann", "password": PASSWORD}, REMOTE_ADDR="203.0.113.7"
    )

    assert failures == [200, 200, 200]  # the form again, with its error
    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= 15 * 60 + 1
    assert b"Too many failed logins" in refused.content
    assert "_auth_user_id" not in client.session


def test_another_address_logs_in_while_one_is_locked_out(client, admin_login):
    for _ in range(3):
        log_in(client, admin_login, "guess")

    assert log_in(Client(), admin_login, PASSWORD, address="198.51.100.2") == 302


def test_failures_below_the_limit_leave_the_right_password_working(client, admin_login):
    log_in(client, admin_login, "guess")
    log_in(client, admin_login, "guess")

    assert log_in(client, admin_login, PASSWORD) == 302  # to the admin's index


def test_every_login_form_is_throttled_not_only_the_admins(admin_login):
    request = RequestFactory().post("/login/", REMOTE_ADDR="203.0.113.7")
    for _ in range(3):
        assert authenticate(request, username="ann", password="guess") is None

    assert authenticate(request, username="ann", password=PASSWORD) is None
    assert authenticate(None, username="ann", password=PASSWORD) is not None  # a script


@pytest.mark.parametrize(
    ("value", "path"),
    [("staff", "staff/"), ("staff/", "staff/"), ("back/office/", "back/office/")],
)
def test_admin_url_is_read_as_a_path(load_settings, value, path):
    read = load_settings("local", ADMIN_URL=value).ADMIN_URL

    assert read == path


@pytest.mark.parametrize("value", ["/staff/", "sta ff/", "staff?x=1", "/"])
def test_a_bad_admin_url_names_the_variable(load_settings, value):
    with pytest.raises(ImproperlyConfigured, match=r"ADMIN_URL=.* is not a path below the site"):
        load_settings("local", ADMIN_URL=value)
