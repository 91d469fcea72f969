"""The site's own user model, in place from the first migration.

Django's documentation advises one from the start: AUTH_USER_MODEL cannot be
changed once tables refer to users without rewriting migrations by hand. Add
fields here as the site needs them (`make migrations` is `python manage.py
makemigrations`), and refer to users through settings.AUTH_USER_MODEL or
get_user_model(), never django.contrib.auth.models.User.
"""

from django.contrib.auth.models import AbstractUser


class User(AbstractUser):
    """Django's standard user (username, email, names, password, permissions)."""
