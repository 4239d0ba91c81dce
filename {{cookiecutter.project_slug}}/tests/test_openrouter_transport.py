"""The connection to the provider: headers that any project name can send."""

import pytest

from {{ cookiecutter.package_name }}.clients.openrouter import OpenRouterApiClient

from tests.fakes.llm_server import Completion, FakeLlmServer


async def test_a_non_ascii_app_title_is_sent_as_ascii(
    llm_client: OpenRouterApiClient,
    llm_server: FakeLlmServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(llm_client.settings, "app_title", "Ünïcode Shop's API")
    llm_server.script(Completion(content="hi"))

    response = await llm_client.create(messages=[{"role": "user", "content": "Hi"}])

    assert response["content"] == "hi"
    assert llm_server.requests[0].headers["x-title"] == "Unicode Shop's API"
