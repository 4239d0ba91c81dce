"""Fixtures for the whole suite: settings kept apart from the developer's own."""

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from {{ cookiecutter.package_name }} import config
from {{ cookiecutter.package_name }}.api.server import create_app

# The fake LLM server and the fixtures around it.
pytest_plugins = ["tests.fakes.fixtures"]

# Variables the service reads; a developer's values must not leak into a test.
SETTING_PREFIXES = (config.ENV_PREFIX, "OPENROUTER_")


def _settings_classes(base: type[config.Settings]) -> Iterator[type[config.Settings]]:
    for subclass in base.__subclasses__():
        yield subclass
        yield from _settings_classes(subclass)


def clear_settings_caches() -> None:
    for value in vars(config).values():
        if callable(getattr(value, "cache_clear", None)):
            value.cache_clear()


@pytest.fixture(autouse=True)
def isolated_settings(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[None]:
    """Ignore .env and the outer environment; log to a temporary folder."""
    for settings_class in _settings_classes(config.Settings):
        monkeypatch.setitem(settings_class.model_config, "env_file", None)
    for name in list(os.environ):
        if name.startswith(SETTING_PREFIXES):
            monkeypatch.delenv(name)
    monkeypatch.setenv(f"{config.ENV_PREFIX}LOG_DIR", str(tmp_path / "logs"))
    clear_settings_caches()
    yield
    clear_settings_caches()


@pytest.fixture
def app() -> FastAPI:
    return create_app()


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    """A client that runs the app's lifespan, as a real server would."""
    with TestClient(app) as test_client:
        yield test_client
