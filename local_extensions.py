"""Jinja extensions that cookiecutter loads for this template (cookiecutter.json's
_extensions); it puts the template's folder on sys.path to import them.

Treat the set of extensions, and what each does, as fixed. `cruft update` renders a
project's old release and then the new one in a single process, and Python imports
this module only once: the new release's render runs the old release's classes, and
one added since then is not found (AttributeError: module 'local_extensions' has no
attribute ...), so the update fails.
"""

import json
import logging
from pathlib import Path

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


class TemplateOptions(Extension):
    """`{{ template_options }}`: cookiecutter.json as it stands, choices as lists.
    The pre-generation hook checks the answers against it. Cookiecutter's own
    `_cookiecutter` is no substitute: cruft never defines it, and a replay file
    fills it with the answers instead of the choices. Read from this file's
    folder, which during `cruft update` holds whichever release is rendering."""

    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        options = Path(__file__).with_name("cookiecutter.json").read_text(encoding="utf-8")
        environment.globals["template_options"] = json.loads(options)
