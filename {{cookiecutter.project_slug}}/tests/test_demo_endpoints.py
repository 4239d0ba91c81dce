"""The demo endpoints over HTTP, with the fake LLM server behind them."""

import json
import logging
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from {{ cookiecutter.package_name }}.config import OpenRouterSettings

from tests.fakes.fixtures import FAKE_TOKEN
from tests.fakes.llm_server import (
    Completion,
    FakeLlmServer,
    Hang,
    Reply,
    StreamReply,
    chunk,
    error_reply,
    tool_call,
)

PERSON_TEXT = {"text": "Ada Lovelace, 36, a mathematician from London."}
QUESTION = {"question": "What is 451 F in Celsius?"}


def events(body: str) -> list[tuple[str, Any]]:
    """(event name, decoded data) of a server-sent event stream."""
    parsed = []
    for block in body.strip().split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines())
        parsed.append((fields["event"], json.loads(fields["data"])))
    return parsed


def convert_then_answer() -> list[Reply]:
    return [
        Completion(
            tool_calls=[
                tool_call(
                    "convert_temperature", {"value": 451, "to_unit": "celsius"}, "t1"
                )
            ]
        ),
        Completion(content="451 °F is 232.8 °C."),
    ]


@pytest.mark.parametrize(
    "path", ["extract-person", "agent", "agent/stream", "chat/stream"]
)
def test_without_a_token_the_service_runs_and_ai_endpoints_name_it(
    client: TestClient, path: str
) -> None:
    body = PERSON_TEXT | QUESTION | {"message": "hi"}

    response = client.post(f"/api/demo/{path}", json=body)

    assert client.get("/ident").status_code == 200
    assert response.status_code == 503
    assert response.json()["detail"] == (
        "OPENROUTER_TOKEN is not set; put it in .env or the environment"
    )


def test_extract_person_returns_the_structured_reply(
    llm_settings: OpenRouterSettings, llm_server: FakeLlmServer, client: TestClient
) -> None:
    person = {
        "name": "Ada Lovelace",
        "age": 36,
        "occupation": "mathematician",
        "city": "London",
    }
    llm_server.script(Completion(content=json.dumps(person)))

    response = client.post("/api/demo/extract-person", json=PERSON_TEXT)

    assert response.status_code == 200
    assert response.json() == person
    sent = llm_server.chat_requests[0]
    assert sent["response_format"]["json_schema"]["name"] == "Person"
    assert sent["messages"][-1]["content"] == PERSON_TEXT["text"]


def test_agent_uses_its_tool_and_answers(
    llm_settings: OpenRouterSettings, llm_server: FakeLlmServer, client: TestClient
) -> None:
    llm_server.script(*convert_then_answer())

    response = client.post("/api/demo/agent", json=QUESTION)

    assert response.status_code == 200
    answer = response.json()
    assert answer["answer"] == "451 °F is 232.8 °C."
    assert answer["iterations"] == 2
    assert answer["stopped_reason"] == "completed"
    assert answer["tool_results"][0]["content"] == "232.8 °C"
    assert answer["total_tokens"] == 30


def test_agent_stream_sends_one_event_per_iteration(
    llm_settings: OpenRouterSettings, llm_server: FakeLlmServer, client: TestClient
) -> None:
    llm_server.script(*convert_then_answer())

    response = client.post("/api/demo/agent/stream", json=QUESTION)

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    steps = events(response.text)
    assert [name for name, _ in steps] == ["step", "step"]
    assert steps[0][1]["tool_results"][0]["content"] == "232.8 °C"
    assert steps[0][1]["is_final"] is False
    assert steps[1][1]["content"] == "451 °F is 232.8 °C."
    assert steps[1][1]["is_final"] is True


def test_agent_stream_reports_a_later_failure_as_an_error_event(
    llm_settings: OpenRouterSettings, llm_server: FakeLlmServer, client: TestClient
) -> None:
    llm_server.script(
        convert_then_answer()[0],
        StreamReply([chunk({}, "error", error={"message": "upstream exploded"})]),
    )

    response = client.post("/api/demo/agent/stream", json=QUESTION)

    steps = events(response.text)
    assert [name for name, _ in steps] == ["step", "error"]
    assert steps[1][1] == {"status": 502, "detail": "The AI provider failed to answer"}
    assert "exploded" not in response.text


def test_chat_stream_sends_the_reply_in_pieces(
    llm_settings: OpenRouterSettings, llm_server: FakeLlmServer, client: TestClient
) -> None:
    llm_server.script(Completion(content="Hello there friend"))

    response = client.post("/api/demo/chat/stream", json={"message": "hi"})

    sent = events(response.text)
    assert [data["text"] for name, data in sent if name == "delta"] == [
        "Hello ",
        "there ",
        "friend",
    ]
    assert sent[-1][0] == "done"


@pytest.mark.parametrize(
    ("replies", "status", "detail"),
    [
        (
            [error_reply(401, "bad key")],
            502,
            "The AI provider rejected the service's credentials",
        ),
        (
            [error_reply(402, "no credit")],
            502,
            "The AI provider account is out of credit",
        ),
        (
            [error_reply(429, "slow", retry_after=0.2)] * 2,
            503,
            "The AI provider is rate limiting the service; try again shortly",
        ),
        ([Hang(), Hang()], 504, "The AI provider did not answer in time"),
        ([error_reply(500, "boom")] * 2, 502, "The AI provider failed to answer"),
    ],
)
def test_provider_failures_map_to_safe_http_answers(
    llm_settings: OpenRouterSettings,
    llm_server: FakeLlmServer,
    client: TestClient,
    replies: list[Reply],
    status: int,
    detail: str,
) -> None:
    llm_server.script(*replies)

    response = client.post("/api/demo/extract-person", json=PERSON_TEXT)

    assert response.status_code == status
    assert response.json()["detail"] == detail
    assert response.json()["request_id"] == response.headers["x-request-id"]


def test_rate_limit_answer_carries_retry_after(
    llm_settings: OpenRouterSettings, llm_server: FakeLlmServer, client: TestClient
) -> None:
    llm_server.script(*[error_reply(429, "slow", retry_after=0.2)] * 2)

    response = client.post("/api/demo/agent", json=QUESTION)

    assert response.status_code == 503
    assert response.headers["retry-after"] == "1"


def test_a_rejected_token_appears_in_no_log_and_no_answer(
    llm_settings: OpenRouterSettings,
    llm_server: FakeLlmServer,
    client: TestClient,
    caplog: pytest.LogCaptureFixture,
) -> None:
    llm_server.script(error_reply(401, f"No auth credentials found: {FAKE_TOKEN}"))
    caplog.set_level(logging.DEBUG)

    response = client.post("/api/demo/agent/stream", json=QUESTION)

    assert response.status_code == 502
    assert len(llm_server.chat_requests) == 1
    assert FAKE_TOKEN not in response.text
    assert FAKE_TOKEN not in str(response.headers)
    assert FAKE_TOKEN not in caplog.text
    assert "AuthenticationError" in caplog.text


def test_demo_routes_are_in_the_service_definition(client: TestClient) -> None:
    operations = client.get("/mbxai-definition").json()

    endpoints = {(op["method"], op["endpoint"]) for op in operations}
    assert ("POST", "/api/demo/extract-person") in endpoints
    assert ("POST", "/api/demo/agent/stream") in endpoints


def test_agent_stream_over_a_real_socket(
    llm_settings: OpenRouterSettings, llm_server: FakeLlmServer, live_server: str
) -> None:
    llm_server.script(*convert_then_answer())
    received: list[str] = []

    with (
        httpx.Client(base_url=live_server, timeout=5) as http,
        http.stream("POST", "/api/demo/agent/stream", json=QUESTION) as response,
    ):
        for line in response.iter_lines():
            if line.startswith("event: "):
                received.append(line.removeprefix("event: "))
        status = response.status_code

    assert status == 200
    assert received == ["step", "step"]


def test_timeout_over_a_real_socket_answers_504(
    llm_settings: OpenRouterSettings, llm_server: FakeLlmServer, live_server: str
) -> None:
    llm_server.script(Hang(), Hang())

    started = time.perf_counter()
    response = httpx.post(f"{live_server}/api/demo/agent", json=QUESTION, timeout=5)

    assert response.status_code == 504
    assert time.perf_counter() - started < 2


def test_the_service_command_starts_without_a_token(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # An empty value wins over whatever a developer's .env holds.
    environment = os.environ | {"OPENROUTER_TOKEN": ""}
    command = [
        sys.executable,
        "-m",
        "{{ cookiecutter.package_name }}.api.run",
        "--port",
        str(port),
    ]
    process = subprocess.Popen(
        command,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 20
        while True:
            try:
                ident = httpx.get(f"{base}/ident", timeout=1)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise
                time.sleep(0.1)

        answer = httpx.post(
            f"{base}/api/demo/extract-person", json=PERSON_TEXT, timeout=5
        )
    finally:
        process.terminate()
        process.wait(timeout=10)

    assert ident.status_code == 200
    assert answer.status_code == 503
    assert "OPENROUTER_TOKEN" in answer.json()["detail"]
