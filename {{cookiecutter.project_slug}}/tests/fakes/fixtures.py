"""Fixtures around the fake LLM server, loaded by tests/conftest.py."""

import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator

import pytest
import uvicorn
from fastapi import FastAPI

from {{ cookiecutter.package_name }}.clients.openrouter import OpenRouterApiClient
from {{ cookiecutter.package_name }}.config import (
    OpenRouterSettings,
    get_openrouter_settings,
)
from {{ cookiecutter.package_name }}.utils.client import close_clients

from tests.fakes.llm_server import FakeLlmServer

# Long enough to look like a real key, unique enough to search logs for.
FAKE_TOKEN = "sk-or-v1-fake-0123456789abcdef-do-not-log"
# Short, so a test of a silent server ends quickly.
TEST_TIMEOUT = 1.0


@pytest.fixture
def llm_server() -> Iterator[FakeLlmServer]:
    server = FakeLlmServer().start()
    yield server
    server.stop()


@pytest.fixture
def llm_settings(
    llm_server: FakeLlmServer, monkeypatch: pytest.MonkeyPatch
) -> OpenRouterSettings:
    """OPENROUTER_* pointing at the fake server, as a developer would set them."""
    monkeypatch.setenv("OPENROUTER_BASE_URL", llm_server.base_url)
    monkeypatch.setenv("OPENROUTER_TOKEN", FAKE_TOKEN)
    monkeypatch.setenv("OPENROUTER_MODEL", "fake/default-model")
    monkeypatch.setenv("OPENROUTER_TIMEOUT", str(TEST_TIMEOUT))
    monkeypatch.setenv("OPENROUTER_MAX_RETRIES", "1")
    monkeypatch.setenv("OPENROUTER_APP_URL", "https://example.test/app")
    monkeypatch.setenv("OPENROUTER_APP_TITLE", "Fake Test App")
    get_openrouter_settings.cache_clear()
    return get_openrouter_settings()


@pytest.fixture
async def llm_client(
    llm_settings: OpenRouterSettings,
) -> AsyncIterator[OpenRouterApiClient]:
    yield OpenRouterApiClient()
    # Pools belong to the test's event loop; the next test opens its own.
    await close_clients()


@pytest.fixture
def live_server(app: FastAPI) -> Iterator[str]:
    """The app served by uvicorn on a free 127.0.0.1 port; yields its base URL."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None)
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)
