"""Jinja extensions that cookiecutter loads for this template (cookiecutter.json's
_extensions); it puts the template's folder on sys.path to import them."""

import logging

from jinja2 import Environment
from jinja2.ext import Extension


class DropTraceback(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.exc_info = None
        record.exc_text = None
        return True


class QuietHookFailures(Extension):
    """When the pre-generation hook refuses an answer, it has printed which and
    why, and exits 1. cookiecutter would then log its own traceback below that,
    which tells the user nothing more: keep the log line, drop the traceback.
    (cruft prints its own traceback, which no template can prevent.)"""

    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        hooks_log = logging.getLogger("cookiecutter.hooks")
        if not any(isinstance(each, DropTraceback) for each in hooks_log.filters):
            hooks_log.addFilter(DropTraceback())


def toml_escape(text: str) -> str:
    """The inside of a TOML basic string ("..."): backslash, quote and control
    characters escaped, everything else kept as it is. (Jinja's tojson would
    write characters beyond U+FFFF as surrogate pairs, which TOML refuses.)"""
    escaped = []
    for character in str(text):
        if character in '"\\':
            escaped.append("\\" + character)
        elif ord(character) < 0x20 or ord(character) == 0x7F:
            escaped.append(f"\\u{ord(character):04X}")
        else:
            escaped.append(character)
    return "".join(escaped)


class TomlEscape(Extension):
    """`{{ answer | toml_escape }}` inside double quotes, in pyproject.toml: the
    file stays valid TOML before rendering too, so tools can read it as it is."""

    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        environment.filters["toml_escape"] = toml_escape
