"""The site's own user model, and the admin where its users are managed."""

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse

from users.models import User

pytestmark = pytest.mark.django_db


def test_the_user_model_is_the_sites_own():
    assert get_user_model() is User
    assert User._meta.db_table == "users_user"


def test_createsuperuser_without_prompts_makes_an_admin(client, monkeypatch, settings):
    # As `heroku run python manage.py createsuperuser --noinput` does with these set.
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "a long, unguessable password")
    call_command(
        "createsuperuser", interactive=False, username="ann", email="ann@example.com", verbosity=0
    )

    assert client.login(username="ann", password="a long, unguessable password")
    admin = client.get(f"/{settings.ADMIN_URL}")
    assert admin.status_code == 200
    assert reverse("admin:users_user_changelist").encode() in admin.content
    users = client.get(reverse("admin:users_user_changelist"))
    assert users.status_code == 200
    assert b"ann@example.com" in users.content


def test_the_admin_is_at_admin_url_and_not_at_admin(client, settings):
    login = client.get(f"/{settings.ADMIN_URL}login/")

    assert settings.ADMIN_URL != "admin/"
    assert login.status_code == 200
    assert b'name="password"' in login.content
    assert settings.PROJECT_NAME.encode() in login.content
    assert client.get("/admin/login/").status_code == 404
