"""How a reply ended is part of the result: cut off, complete, or not a reply."""

import pytest

from {{ cookiecutter.package_name }}.clients.errors import UpstreamError
from {{ cookiecutter.package_name }}.clients.openrouter import OpenRouterApiClient

from tests.fakes.llm_server import Completion, FakeLlmServer, StreamReply, chunk

QUESTION = [{"role": "user", "content": "Hi"}]


async def test_an_agent_answer_cut_at_the_token_limit_says_so(
    llm_client: OpenRouterApiClient, llm_server: FakeLlmServer
) -> None:
    llm_server.script(Completion(content="The answer is", finish_reason="length"))

    response = await llm_client.agent(messages=QUESTION)

    assert response["content"] == "The answer is"
    assert response["stopped_reason"] == "length"


async def test_a_stream_answer_to_a_plain_request_is_an_upstream_error(
    llm_client: OpenRouterApiClient, llm_server: FakeLlmServer
) -> None:
    llm_server.script(StreamReply([chunk({"content": "hi"}, "stop")]))

    with pytest.raises(UpstreamError, match="not a chat completion"):
        await llm_client.create(messages=QUESTION)
