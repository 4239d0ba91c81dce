"""OpenRouterApiClient as its README shows it, against the fake LLM server."""

import asyncio
import json
import logging
import time
from typing import Any

import pytest
from pydantic import BaseModel

from {{ cookiecutter.package_name }}.clients.errors import (
    MissingSettingError,
    StructuredOutputError,
)
from {{ cookiecutter.package_name }}.clients.models import ToolDefinition
from {{ cookiecutter.package_name }}.clients.openrouter import (
    OpenRouterApiClient,
    OpenRouterModel,
)
from {{ cookiecutter.package_name }}.clients.tools import LocalTools
from {{ cookiecutter.package_name }}.utils.client import get_openrouter_client

from tests.fakes.fixtures import FAKE_TOKEN
from tests.fakes.llm_server import Completion, FakeLlmServer, tool_call

# Every logger of the service is named after its module inside the package.
PACKAGE_LOGGERS = "{{ cookiecutter.package_name }}."


class UserInfo(BaseModel):
    name: str
    age: int


async def test_create_returns_the_reply_text(
    llm_client: OpenRouterApiClient, llm_server: FakeLlmServer
) -> None:
    llm_server.script(Completion(content="Hello, world!"))

    response = await llm_client.create(
        messages=[{"role": "user", "content": "Hello, world!"}]
    )

    assert response["content"] == "Hello, world!"
    assert response["usage"]["total_tokens"] == 15


async def test_create_sends_token_default_model_and_attribution(
    llm_client: OpenRouterApiClient, llm_server: FakeLlmServer
) -> None:
    llm_server.script(Completion(content="hi"))

    await llm_client.create(messages=[{"role": "user", "content": "Hi"}])

    request = llm_server.requests[0]
    assert request.headers["authorization"] == f"Bearer {FAKE_TOKEN}"
    assert request.headers["http-referer"] == "https://example.test/app"
    assert request.headers["x-title"] == "Fake Test App"
    assert request.body["model"] == "fake/default-model"


async def test_model_can_be_chosen_per_call(
    llm_client: OpenRouterApiClient, llm_server: FakeLlmServer
) -> None:
    llm_server.script(Completion(content="a"), Completion(content="b"))

    await llm_client.create(messages=[{"role": "user", "content": "Hi"}], model="x/y")
    await llm_client.create(
        messages=[{"role": "user", "content": "Hi"}],
        model=OpenRouterModel.GPT_4O_MINI,
    )

    assert [body["model"] for body in llm_server.chat_requests] == [
        "x/y",
        "openai/gpt-4o-mini",
    ]


@pytest.mark.parametrize("spelling", ["structured_output", "response_format"])
async def test_parse_returns_the_validated_model(
    llm_client: OpenRouterApiClient, llm_server: FakeLlmServer, spelling: str
) -> None:
    llm_server.script(Completion(content='{"name": "John", "age": 30}'))
    messages: Any = [
        {"role": "user", "content": "My name is John and I am 30 years old."}
    ]

    response = await llm_client.parse(messages=messages, **{spelling: UserInfo})

    assert response["parsed"] == UserInfo(name="John", age=30)


async def test_parse_sends_a_strict_json_schema(
    llm_client: OpenRouterApiClient, llm_server: FakeLlmServer
) -> None:
    class Address(BaseModel):
        city: str
        zip_code: str | None = None

    class Customer(BaseModel):
        name: str
        addresses: list[Address]

    llm_server.script(Completion(content='{"name": "A", "addresses": []}'))

    await llm_client.parse(
        messages=[{"role": "user", "content": "x"}], response_format=Customer
    )

    response_format = llm_server.chat_requests[0]["response_format"]
    assert response_format["type"] == "json_schema"
    assert response_format["json_schema"]["strict"] is True
    schema = response_format["json_schema"]["schema"]
    address = schema["$defs"]["Address"]
    for node in (schema, address):
        assert node["additionalProperties"] is False
        assert sorted(node["required"]) == sorted(node["properties"])
    assert "default" not in json.dumps(schema)


async def test_parse_refuses_a_reply_that_does_not_fit(
    llm_client: OpenRouterApiClient, llm_server: FakeLlmServer
) -> None:
    llm_server.script(Completion(content='{"name": "John", "age": "old"}'))

    with pytest.raises(StructuredOutputError, match=r"UserInfo: age"):
        await llm_client.parse(
            messages=[{"role": "user", "content": "x"}], response_format=UserInfo
        )


async def test_stream_yields_the_reply_piece_by_piece(
    llm_client: OpenRouterApiClient, llm_server: FakeLlmServer
) -> None:
    llm_server.script(Completion(content="one two three"))

    pieces = [
        piece
        async for piece in llm_client.stream(
            messages=[{"role": "user", "content": "x"}]
        )
    ]

    assert pieces == ["one ", "two ", "three"]


async def test_seed_tool_registration_runs_in_an_agent(
    llm_client: OpenRouterApiClient, llm_server: FakeLlmServer
) -> None:
    async def search_database(query: str) -> str:
        return f"Results for: {query}"

    llm_client.register_tool(
        name="search_database",
        description="Search the database for information",
        function=search_database,
        parameters={
            "type": "object",
            "properties": {
                "query": {"type": "string", "description": "The search query"}
            },
            "required": ["query"],
        },
    )
    llm_server.script(
        Completion(tool_calls=[tool_call("search_database", {"query": "John"})]),
        Completion(content="John is 30."),
    )

    response = await llm_client.agent(
        messages=[{"role": "user", "content": "Find information about John"}],
        max_iterations=5,
    )

    assert response["content"] == "John is 30."
    assert [call["function"]["name"] for call in response["tool_calls"]] == [
        "search_database"
    ]
    assert response["tool_results"][0]["content"] == "Results for: John"
    assert response["iterations"] == 2
    assert response["stopped_reason"] == "completed"
    assert response["usage"]["total_tokens"] == 30
    offered = llm_server.chat_requests[0]["tools"][0]["function"]
    assert offered["name"] == "search_database"


def test_tool_schema_comes_from_signature_and_docstring() -> None:
    tools = LocalTools()

    @tools.tool
    def get_weather(city: str, days: int = 1) -> str:
        """Get the weather forecast for a city.

        Args:
            city: The city and country, e.g. 'London, UK'.
            days: How many days ahead.
        """
        return city

    [definition] = asyncio.run(tools.list_tools())
    function = definition["function"]
    assert function["description"] == "Get the weather forecast for a city."
    parameters = function["parameters"]
    assert parameters["required"] == ["city"]
    assert parameters["properties"]["city"] == {
        "type": "string",
        "description": "The city and country, e.g. 'London, UK'.",
    }
    assert parameters["properties"]["days"]["type"] == "integer"


async def test_sync_tools_get_validated_arguments(
    llm_client: OpenRouterApiClient, llm_server: FakeLlmServer
) -> None:
    seen: list[Any] = []

    @llm_client.tool
    def repeat(word: str, times: int) -> list[str]:
        """Repeat a word."""
        seen.append(times)
        return [word] * times

    llm_server.script(
        Completion(tool_calls=[tool_call("repeat", {"word": "hi", "times": "2"})]),
        Completion(content="done"),
    )

    response = await llm_client.agent(messages=[{"role": "user", "content": "x"}])

    assert seen == [2]
    assert response["tool_results"][0]["content"] == '["hi","hi"]'


async def test_agent_runs_the_calls_of_one_turn_concurrently(
    llm_client: OpenRouterApiClient, llm_server: FakeLlmServer
) -> None:
    @llm_client.tool
    async def slow(n: int) -> str:
        """Wait a bit."""
        await asyncio.sleep(0.3)
        return str(n)

    @llm_client.tool
    def slow_sync(n: int) -> str:
        """Block a bit."""
        time.sleep(0.3)
        return str(n)

    calls = [tool_call("slow", {"n": n}) for n in range(3)]
    calls += [tool_call("slow_sync", {"n": n}) for n in range(3)]
    llm_server.script(Completion(tool_calls=calls), Completion(content="ok"))

    started = time.perf_counter()
    response = await llm_client.agent(messages=[{"role": "user", "content": "x"}])
    elapsed = time.perf_counter() - started

    assert [r["content"] for r in response["tool_results"]] == list("012012")
    assert elapsed < 0.9


async def test_agent_with_structured_output_returns_parsed(
    llm_client: OpenRouterApiClient, llm_server: FakeLlmServer
) -> None:
    llm_client.register_tool(
        name="lookup", description="Look a user up", function=lambda name: "age 30"
    )
    llm_server.script(
        Completion(tool_calls=[tool_call("lookup", {"name": "John"})]),
        Completion(content='{"name": "John", "age": 30}'),
    )

    response = await llm_client.agent(
        messages=[{"role": "user", "content": "Who is John?"}],
        structured_output=UserInfo,
    )

    assert response["parsed"] == UserInfo(name="John", age=30)
    assert "response_format" in llm_server.chat_requests[0]


async def test_agent_stream_yields_one_step_per_iteration(
    llm_client: OpenRouterApiClient, llm_server: FakeLlmServer
) -> None:
    llm_client.register_tool(
        name="lookup", description="Look a user up", function=lambda name: "age 30"
    )
    llm_server.script(
        Completion(
            content="Let me look.",
            tool_calls=[tool_call("lookup", {"name": "John"}, "c1")],
        ),
        Completion(content="John is 30."),
    )

    steps = [
        step
        async for step in llm_client.agent_stream(
            messages=[{"role": "user", "content": "Find information about John"}]
        )
    ]

    assert [(s["iteration"], s["is_final"]) for s in steps] == [(1, False), (2, True)]
    assert steps[0]["content"] == "Let me look."
    assert steps[0]["tool_results"][0]["tool_call_id"] == "c1"
    assert steps[1]["content"] == "John is 30."


async def test_a_second_tool_source_joins_the_same_loop(
    llm_client: OpenRouterApiClient, llm_server: FakeLlmServer
) -> None:
    class RemoteTools:
        """Stands in for an MCP server's tools."""

        async def list_tools(self) -> list[ToolDefinition]:
            return [
                {
                    "type": "function",
                    "function": {
                        "name": "remote_echo",
                        "description": "Echo",
                        "parameters": {"type": "object", "properties": {}},
                    },
                }
            ]

        async def call_tool(self, name: str, arguments: dict[str, Any]) -> str:
            return f"remote {name} {arguments}"

    llm_client.register_tool(
        name="local_echo", description="Echo", function=lambda: "local"
    )
    llm_server.script(
        Completion(
            tool_calls=[
                tool_call("remote_echo", {"a": 1}, "r"),
                tool_call("local_echo", {}, "l"),
            ]
        ),
        Completion(content="both"),
    )

    response = await llm_client.agent(
        messages=[{"role": "user", "content": "x"}],
        tool_sources=[RemoteTools(), llm_client.tools],
    )

    assert [r["content"] for r in response["tool_results"]] == [
        "remote remote_echo {'a': 1}",
        "local",
    ]
    offered = [t["function"]["name"] for t in llm_server.chat_requests[0]["tools"]]
    assert offered == ["remote_echo", "local_echo"]


async def test_missing_token_fails_at_the_call_with_a_clear_message(
    llm_settings: object, monkeypatch: pytest.MonkeyPatch, llm_server: FakeLlmServer
) -> None:
    monkeypatch.delenv("OPENROUTER_TOKEN")
    from {{ cookiecutter.package_name }}.config import get_openrouter_settings

    get_openrouter_settings.cache_clear()
    client = OpenRouterApiClient()

    with pytest.raises(MissingSettingError) as raised:
        await client.create(messages=[{"role": "user", "content": "x"}])

    assert str(raised.value) == (
        "OPENROUTER_TOKEN is not set; put it in .env or the environment"
    )
    assert llm_server.requests == []


def test_get_openrouter_client_is_one_client_per_process() -> None:
    assert get_openrouter_client() is get_openrouter_client()


async def test_agent_logs_one_info_line_without_the_prompt(
    llm_client: OpenRouterApiClient,
    llm_server: FakeLlmServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    llm_server.script(Completion(content="fine"))
    caplog.set_level(logging.DEBUG)

    await llm_client.agent(messages=[{"role": "user", "content": "my secret question"}])

    info = [
        record.getMessage()
        for record in caplog.records
        if record.levelno == logging.INFO and record.name.startswith(PACKAGE_LOGGERS)
    ]
    assert info == ["Agent finished: iterations 1, tool calls 0, tokens 15"]
    assert "my secret question" not in caplog.text
    assert FAKE_TOKEN not in caplog.text
