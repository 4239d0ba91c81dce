"""Jinja filters that quote template answers for the file they land in."""

import json

from jinja2.ext import Extension


def toml_string(value: object) -> str:
    """Quote a value as a TOML basic string (JSON's escapes are valid TOML)."""
    return json.dumps(str(value), ensure_ascii=False)


def python_string(value: object) -> str:
    """Quote a value as a Python string literal."""
    text = str(value)
    quoted = json.dumps(text, ensure_ascii=False)
    return quoted if '"' not in text else repr(text)


class QuotingExtension(Extension):
    def __init__(self, environment):  # type: ignore[no-untyped-def]
        super().__init__(environment)
        environment.filters["toml_string"] = toml_string
        environment.filters["python_string"] = python_string
