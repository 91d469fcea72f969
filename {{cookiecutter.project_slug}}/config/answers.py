"""The answers given when this project was generated that its code reads: the
one Python file the template renders. Every other .py file is plain Python."""

# Your time zone unless TIME_ZONE says otherwise (settings/base.py).
TIME_ZONE = "{{ cookiecutter.timezone }}"

# The site's name, on its pages and the admin's (settings/base.py).
PROJECT_NAME = "{{ cookiecutter.project_name | toml_escape }}"

# Where the site's mail comes from unless DEFAULT_FROM_EMAIL says (settings/base.py).
DOMAIN_NAME = "{{ cookiecutter.domain_name }}"

# The admin's default address, drawn at random for this project (settings/base.py).
ADMIN_URL = "{{ cookiecutter.admin_url }}"
