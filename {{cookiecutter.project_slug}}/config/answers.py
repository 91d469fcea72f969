"""The answers given when this project was generated that its code reads: the
one Python file the template renders. Every other .py file is plain Python."""

# Your time zone unless TIME_ZONE says otherwise (settings/base.py).
TIME_ZONE = "{{ cookiecutter.timezone }}"
