"""Settings: base.py holds what every environment shares; local, prod and test add
what differs. DJANGO_SETTINGS_MODULE picks one (see manage.py)."""
