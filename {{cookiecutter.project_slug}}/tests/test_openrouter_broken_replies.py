"""Replies that look like success but are not: each must surface as an error."""

import pytest

from {{ cookiecutter.package_name }}.clients.errors import UpstreamError
from {{ cookiecutter.package_name }}.clients.openrouter import OpenRouterApiClient

from tests.fakes.llm_server import (
    Completion,
    FakeLlmServer,
    JsonReply,
    StreamReply,
    chunk,
)

QUESTION = [{"role": "user", "content": "Hi"}]


async def test_a_plain_json_answer_to_a_stream_request_is_an_error(
    llm_client: OpenRouterApiClient, llm_server: FakeLlmServer
) -> None:
    completion = {
        "id": "gen-1",
        "object": "chat.completion",
        "created": 0,
        "model": "fake/model",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": "default"},
                "finish_reason": "stop",
            }
        ],
    }
    llm_server.script(JsonReply(body=completion))

    with pytest.raises(UpstreamError, match="stream ended before the reply"):
        await llm_client.agent(messages=QUESTION)


async def test_a_stream_cut_off_before_its_finish_reason_is_an_error(
    llm_client: OpenRouterApiClient, llm_server: FakeLlmServer
) -> None:
    llm_server.script(StreamReply([chunk({"content": "half"})], done=False))

    with pytest.raises(UpstreamError, match="stream ended before the reply"):
        await llm_client.agent(messages=QUESTION)


async def test_a_cut_off_stream_is_an_error_for_plain_streaming_too(
    llm_client: OpenRouterApiClient, llm_server: FakeLlmServer
) -> None:
    llm_server.script(StreamReply([chunk({"content": "half"})], done=False))
    pieces: list[str] = []

    async def read_all() -> None:
        async for piece in llm_client.stream(messages=QUESTION):
            pieces.append(piece)

    with pytest.raises(UpstreamError):
        await read_all()

    assert pieces == ["half"]


async def test_an_event_that_is_not_json_is_an_upstream_error(
    llm_client: OpenRouterApiClient, llm_server: FakeLlmServer
) -> None:
    llm_server.script(StreamReply([chunk({"content": "a"}), "data: {not json"]))

    with pytest.raises(UpstreamError, match="not JSON"):
        await llm_client.agent(messages=QUESTION)


async def test_a_complete_stream_still_succeeds(
    llm_client: OpenRouterApiClient, llm_server: FakeLlmServer
) -> None:
    llm_server.script(Completion(content="whole answer"))

    response = await llm_client.agent(messages=QUESTION)

    assert response["content"] == "whole answer"
    assert response["stopped_reason"] == "completed"
