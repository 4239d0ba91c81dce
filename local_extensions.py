"""Jinja filters that quote answers for the file they land in, and quieter refusals.

Cookiecutter loads this module in its own process, before any hook runs.
"""

import json
import logging

from jinja2 import Environment
from jinja2.ext import Extension


def toml_string(value: object) -> str:
    """Quote a value as a TOML basic string (JSON's escapes are valid TOML)."""
    return json.dumps(str(value), ensure_ascii=False)


def python_string(value: object) -> str:
    """Quote a value as a Python string literal, in the quotes ruff would choose."""
    text = str(value)
    return json.dumps(text, ensure_ascii=False) if '"' not in text else repr(text)


class _DropHookTraceback(logging.Filter):
    """A refused answer has been explained in one line by the pre-gen hook;
    cookiecutter's traceback of the hook's exit status would only bury it."""

    def filter(self, record: logging.LogRecord) -> bool:
        failure = record.exc_info[1] if record.exc_info else None
        if type(failure).__name__ == "FailedHookException":
            if record.args == ("pre_gen_project",):
                # Its own "ERROR: Stopping generation" line would be a second one.
                return False
            record.exc_info = None
            record.exc_text = None
        return True


def _quiet_hook_failures() -> None:
    hooks_logger = logging.getLogger("cookiecutter.hooks")
    if not any(isinstance(f, _DropHookTraceback) for f in hooks_logger.filters):
        hooks_logger.addFilter(_DropHookTraceback())


class TemplateExtension(Extension):
    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        environment.filters["toml_string"] = toml_string
        environment.filters["python_string"] = python_string
        _quiet_hook_failures()
