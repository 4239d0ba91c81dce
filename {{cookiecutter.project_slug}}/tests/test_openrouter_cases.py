"""The provider's awkward replies, one test each, and what the client makes of them."""

import json
import logging
import time
from typing import Any

import pytest
from pydantic import BaseModel

from {{ cookiecutter.package_name }}.clients.errors import (
    AuthenticationError,
    PaymentRequiredError,
    ProviderTimeoutError,
    RateLimitError,
    RequestRejectedError,
    SchemaNotSupportedError,
    UpstreamError,
)
from {{ cookiecutter.package_name }}.clients.models import AgentStep
from {{ cookiecutter.package_name }}.clients.openrouter import OpenRouterApiClient
from {{ cookiecutter.package_name }}.config import get_openrouter_settings

from tests.fakes.fixtures import FAKE_TOKEN, TEST_TIMEOUT
from tests.fakes.llm_server import (
    Completion,
    FakeLlmServer,
    Hang,
    JsonReply,
    StreamReply,
    chunk,
    error_reply,
    tool_call,
)

USER: Any = [{"role": "user", "content": "go"}]


def register_f_and_g(client: OpenRouterApiClient) -> list[tuple[str, Any]]:
    """Tools f(x) and g(y) that record their calls, in the order they ran.

    The calls of one turn run concurrently, so that order is not the model's.
    """
    calls: list[tuple[str, Any]] = []

    def f(x: int) -> str:
        """F."""
        calls.append(("f", x))
        return f"f got {x}"

    def g(y: int) -> str:
        """G."""
        calls.append(("g", y))
        return f"g got {y}"

    client.tools.add(f)
    client.tools.add(g)
    return calls


def tool_delta(
    name: str | None = None,
    arguments: str | None = None,
    *,
    call_id: str | None = None,
    index: int | None = None,
) -> dict[str, Any]:
    piece: dict[str, Any] = {"type": "function", "function": {}}
    if index is not None:
        piece["index"] = index
    if call_id is not None:
        piece["id"] = call_id
    if name is not None:
        piece["function"]["name"] = name
    if arguments is not None:
        piece["function"]["arguments"] = arguments
    return chunk({"tool_calls": [piece]})


def tool_messages(body: dict[str, Any]) -> dict[str, str]:
    """tool_call_id -> content of the tool messages a request sent back."""
    return {
        message["tool_call_id"]: message["content"]
        for message in body["messages"]
        if message["role"] == "tool"
    }


async def run_steps(client: OpenRouterApiClient) -> list[AgentStep]:
    return [step async for step in client.agent_stream(messages=USER)]


async def test_deltas_without_index_are_told_apart_by_id(
    llm_client: OpenRouterApiClient, llm_server: FakeLlmServer
) -> None:
    calls = register_f_and_g(llm_client)
    llm_server.script(
        StreamReply(
            [
                tool_delta("f", call_id="a"),
                tool_delta(arguments='{"x":1}'),
                tool_delta("g", call_id="b"),
                tool_delta(arguments='{"y":2}'),
                chunk({}, "tool_calls"),
            ]
        ),
        Completion(content="done"),
    )

    steps = await run_steps(llm_client)

    assert [(c["id"], c["function"]["name"]) for c in steps[0]["tool_calls"]] == [
        ("a", "f"),
        ("b", "g"),
    ]
    assert sorted(calls) == [("f", 1), ("g", 2)]
    assert tool_messages(llm_server.chat_requests[1]) == {
        "a": "f got 1",
        "b": "g got 2",
    }


async def test_parallel_calls_reusing_index_zero_stay_separate(
    llm_client: OpenRouterApiClient, llm_server: FakeLlmServer
) -> None:
    calls = register_f_and_g(llm_client)
    llm_server.script(
        StreamReply(
            [
                tool_delta("f", call_id="a", index=0),
                tool_delta(arguments='{"x":', index=0),
                tool_delta(arguments="1}", index=0),
                tool_delta("g", call_id="b", index=0),
                tool_delta(arguments='{"y":2}', index=0),
                chunk({}, "tool_calls"),
            ]
        ),
        Completion(content="done"),
    )

    steps = await run_steps(llm_client)

    assert sorted(calls) == [("f", 1), ("g", 2)]
    assert tool_messages(llm_server.chat_requests[1]) == {
        "a": "f got 1",
        "b": "g got 2",
    }
    assert [r["tool_call_id"] for r in steps[0]["tool_results"]] == ["a", "b"]


async def test_parallel_calls_with_empty_ids_get_unique_ids(
    llm_client: OpenRouterApiClient, llm_server: FakeLlmServer
) -> None:
    calls = register_f_and_g(llm_client)
    llm_server.script(
        StreamReply(
            [
                tool_delta("f", call_id="", index=0),
                tool_delta(arguments='{"x":1}', index=0),
                tool_delta("g", call_id="", index=0),
                tool_delta(arguments='{"y":2}', index=0),
                chunk({}, "tool_calls"),
            ]
        ),
        Completion(content="done"),
    )

    steps = await run_steps(llm_client)

    ids = [call["id"] for call in steps[0]["tool_calls"]]
    assert len(set(ids)) == 2
    assert all(ids)
    assert sorted(calls) == [("f", 1), ("g", 2)]
    assert tool_messages(llm_server.chat_requests[1]) == {
        ids[0]: "f got 1",
        ids[1]: "g got 2",
    }
    sent_calls = llm_server.chat_requests[1]["messages"][1]["tool_calls"]
    assert [call["id"] for call in sent_calls] == ids


@pytest.mark.parametrize(
    ("arguments", "explanation"),
    [("{'city': 'X'", "not valid JSON"), ("[1, 2]", "must be a JSON object")],
)
async def test_malformed_arguments_go_back_to_the_model_unexecuted(
    llm_client: OpenRouterApiClient,
    llm_server: FakeLlmServer,
    arguments: str,
    explanation: str,
) -> None:
    calls: list[str] = []
    llm_client.register_tool(
        name="weather",
        description="Weather",
        function=lambda city: calls.append(city),
        parameters={"type": "object", "properties": {"city": {"type": "string"}}},
    )
    llm_server.script(
        Completion(tool_calls=[tool_call("weather", arguments, "bad")]),
        Completion(content="sorry"),
    )

    response = await llm_client.agent(messages=USER)

    assert calls == []
    sent = tool_messages(llm_server.chat_requests[1])["bad"]
    assert sent.startswith("ERROR: ")
    assert explanation in sent
    assert response["tool_results"][0]["is_error"] is True
    assert response["iterations"] == 2


async def test_arguments_cut_off_at_the_token_limit_are_not_executed(
    llm_client: OpenRouterApiClient, llm_server: FakeLlmServer
) -> None:
    calls: list[str] = []
    llm_client.register_tool(
        name="send",
        description="Send a message",
        function=lambda body: calls.append(body),
        parameters={"type": "object", "properties": {"body": {"type": "string"}}},
    )
    llm_server.script(
        Completion(
            tool_calls=[tool_call("send", '{"body":"abc', "cut")],
            finish_reason="length",
        ),
        Completion(content="I will be brief."),
    )

    response = await llm_client.agent(messages=USER)

    assert calls == []
    [result] = response["tool_results"]
    assert result["is_error"] is True
    assert "cut off" in result["content"]
    assert "token limit" in result["content"]
    assert tool_messages(llm_server.chat_requests[1])["cut"] == result["content"]


async def test_text_and_tool_calls_together_keep_the_text_and_continue(
    llm_client: OpenRouterApiClient, llm_server: FakeLlmServer
) -> None:
    calls = register_f_and_g(llm_client)
    llm_server.script(
        Completion(
            content="First I check f.", tool_calls=[tool_call("f", {"x": 7}, "a")]
        ),
        Completion(content="f says 7."),
    )

    steps = await run_steps(llm_client)

    assert calls == [("f", 7)]
    assert steps[0]["content"] == "First I check f."
    assert steps[0]["is_final"] is False
    assert steps[1]["content"] == "f says 7."
    assert llm_server.chat_requests[1]["messages"][1]["content"] == "First I check f."


async def test_processing_comments_before_the_first_chunk_change_nothing(
    llm_client: OpenRouterApiClient, llm_server: FakeLlmServer
) -> None:
    calls = register_f_and_g(llm_client)
    processing = [": OPENROUTER PROCESSING"] * 3
    for comments in ((), processing):
        llm_server.script(
            Completion(tool_calls=[tool_call("f", {"x": 1}, "a")], comments=comments),
            Completion(content="the answer", comments=comments),
        )
    plain = await llm_client.agent(messages=USER)

    with_comments = await llm_client.agent(messages=USER)

    assert with_comments["content"] == plain["content"] == "the answer"
    assert with_comments["tool_results"] == plain["tool_results"]
    assert calls == [("f", 1), ("f", 1)]


async def test_processing_comments_do_not_change_a_plain_stream(
    llm_client: OpenRouterApiClient, llm_server: FakeLlmServer
) -> None:
    llm_server.script(
        Completion(content="a b", comments=[": OPENROUTER PROCESSING"] * 3)
    )

    pieces = [piece async for piece in llm_client.stream(messages=USER)]

    assert pieces == ["a ", "b"]


MID_STREAM_ERROR = StreamReply(
    [
        chunk({"role": "assistant", "content": "Partial "}),
        chunk({"content": "answer"}),
        chunk(
            {},
            "error",
            error={"code": 502, "message": "Provider disconnected unexpectedly"},
        ),
    ]
)


async def test_an_error_chunk_mid_stream_raises_an_upstream_error(
    llm_client: OpenRouterApiClient, llm_server: FakeLlmServer
) -> None:
    llm_server.script(MID_STREAM_ERROR)
    pieces: list[str] = []

    async def read_stream() -> None:
        async for piece in llm_client.stream(messages=USER):
            pieces.append(piece)

    with pytest.raises(UpstreamError, match="Provider disconnected unexpectedly"):
        await read_stream()

    assert pieces == ["Partial ", "answer"]


async def test_an_error_chunk_mid_stream_stops_the_agent(
    llm_client: OpenRouterApiClient, llm_server: FakeLlmServer
) -> None:
    llm_server.script(MID_STREAM_ERROR)

    with pytest.raises(UpstreamError, match="Provider disconnected unexpectedly"):
        await run_steps(llm_client)


async def test_finish_reason_error_without_details_is_an_upstream_error(
    llm_client: OpenRouterApiClient, llm_server: FakeLlmServer
) -> None:
    llm_server.script(StreamReply([chunk({"content": "x"}), chunk({}, "error")]))

    with pytest.raises(UpstreamError, match="the provider reported an error"):
        await run_steps(llm_client)


async def test_an_error_inside_a_200_body_is_an_upstream_error(
    llm_client: OpenRouterApiClient, llm_server: FakeLlmServer
) -> None:
    llm_server.script(
        JsonReply(
            {
                "error": {"code": 502, "message": "Model overloaded"},
                "choices": [{"index": 0, "finish_reason": "error", "message": {}}],
            }
        )
    )

    with pytest.raises(UpstreamError, match="Model overloaded") as raised:
        await llm_client.create(messages=USER)

    assert raised.value.status_code == 502


async def test_a_free_form_mapping_is_refused_locally_naming_the_field(
    llm_client: OpenRouterApiClient, llm_server: FakeLlmServer
) -> None:
    class Profile(BaseModel):
        name: str
        labels: dict[str, str]

    with pytest.raises(SchemaNotSupportedError, match=r"Profile\.labels"):
        await llm_client.parse(messages=USER, response_format=Profile)

    assert llm_server.requests == []


async def test_a_tool_that_raises_reports_an_error_and_the_loop_goes_on(
    llm_client: OpenRouterApiClient, llm_server: FakeLlmServer
) -> None:
    def flaky(x: int) -> str:
        """Always fails."""
        raise ValueError("database is down")

    llm_client.tools.add(flaky)
    llm_server.script(
        Completion(tool_calls=[tool_call("flaky", {"x": 1}, "a")]),
        Completion(content="The database is down, sorry."),
    )

    response = await llm_client.agent(messages=USER)

    sent = tool_messages(llm_server.chat_requests[1])["a"]
    assert sent == "ERROR: ValueError: database is down"
    assert response["content"] == "The database is down, sorry."
    assert response["stopped_reason"] == "completed"


async def test_an_unknown_tool_is_reported_to_the_model(
    llm_client: OpenRouterApiClient, llm_server: FakeLlmServer
) -> None:
    register_f_and_g(llm_client)
    llm_server.script(
        Completion(tool_calls=[tool_call("h", {}, "a")]),
        Completion(content="ok"),
    )

    await llm_client.agent(messages=USER)

    sent = tool_messages(llm_server.chat_requests[1])["a"]
    assert sent == "ERROR: unknown tool 'h'; available tools: f, g"


async def test_rate_limit_is_retried_once_after_retry_after(
    llm_client: OpenRouterApiClient,
    llm_server: FakeLlmServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The deadline covers the wait for the retry, so it must exceed Retry-After.
    monkeypatch.setenv("OPENROUTER_TIMEOUT", "3")
    get_openrouter_settings.cache_clear()
    llm_server.script(
        error_reply(429, "Rate limit exceeded", retry_after=1),
        Completion(content="made it"),
    )

    started = time.perf_counter()
    response = await llm_client.create(messages=USER)
    elapsed = time.perf_counter() - started

    assert response["content"] == "made it"
    assert len(llm_server.chat_requests) == 2
    assert 0.9 <= elapsed < 2.5


async def test_rate_limit_that_persists_is_a_rate_limit_error(
    llm_client: OpenRouterApiClient, llm_server: FakeLlmServer
) -> None:
    llm_server.script(
        error_reply(429, "slow down", retry_after=0.1),
        error_reply(429, "slow down", retry_after=0.1),
    )

    with pytest.raises(RateLimitError) as raised:
        await llm_client.create(messages=USER)

    assert raised.value.retry_after == pytest.approx(0.1)


async def test_401_is_not_retried_and_never_shows_the_token(
    llm_client: OpenRouterApiClient,
    llm_server: FakeLlmServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # A careless provider echoing the key back must not leak it either.
    llm_server.script(error_reply(401, f"Invalid key {FAKE_TOKEN}"))
    caplog.set_level(logging.DEBUG)

    with pytest.raises(AuthenticationError) as raised:
        await llm_client.create(messages=USER)

    assert len(llm_server.chat_requests) == 1
    assert raised.value.status_code == 401
    assert FAKE_TOKEN not in str(raised.value)
    assert "Invalid key ***" in str(raised.value)
    assert FAKE_TOKEN not in caplog.text


@pytest.mark.parametrize(
    ("status", "error_class"),
    [
        (402, PaymentRequiredError),
        (403, AuthenticationError),
        (400, RequestRejectedError),
        (503, UpstreamError),
    ],
)
async def test_provider_statuses_become_typed_errors(
    llm_client: OpenRouterApiClient,
    llm_server: FakeLlmServer,
    status: int,
    error_class: type[Exception],
) -> None:
    llm_server.script(error_reply(status, "nope"), error_reply(status, "nope"))

    with pytest.raises(error_class, match="nope"):
        await llm_client.create(messages=USER)


async def test_a_silent_server_times_out_at_the_deadline(
    llm_client: OpenRouterApiClient, llm_server: FakeLlmServer
) -> None:
    llm_server.script(Hang(), Hang())

    started = time.perf_counter()
    with pytest.raises(ProviderTimeoutError, match="within 1 s"):
        await llm_client.create(messages=USER)
    elapsed = time.perf_counter() - started

    assert TEST_TIMEOUT * 0.9 <= elapsed < TEST_TIMEOUT + 0.5


async def test_a_silent_server_times_out_a_stream_too(
    llm_client: OpenRouterApiClient, llm_server: FakeLlmServer
) -> None:
    llm_server.script(Hang(), Hang())

    started = time.perf_counter()
    with pytest.raises(ProviderTimeoutError):
        await run_steps(llm_client)

    assert time.perf_counter() - started < TEST_TIMEOUT + 0.5


async def test_a_model_that_always_wants_tools_stops_at_max_iterations(
    llm_client: OpenRouterApiClient, llm_server: FakeLlmServer
) -> None:
    calls = register_f_and_g(llm_client)
    llm_server.script(
        *(
            Completion(content=f"turn {n}", tool_calls=[tool_call("f", {"x": n})])
            for n in range(5)
        )
    )

    response = await llm_client.agent(messages=USER, max_iterations=3)

    assert response["stopped_reason"] == "max_iterations"
    assert response["iterations"] == 3
    assert response["content"] == "turn 2"
    assert len(llm_server.chat_requests) == 3
    assert calls == [("f", 0), ("f", 1), ("f", 2)]
    assert json.loads(json.dumps(response["messages"]))[-1]["role"] == "tool"
