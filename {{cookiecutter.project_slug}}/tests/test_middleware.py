import logging
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from {{ cookiecutter.package_name }}.api.server import create_app
from {{ cookiecutter.package_name }}.config import ENV_PREFIX


@pytest.fixture
def failing_app(app: FastAPI) -> FastAPI:
    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("secret internals: postgres://admin:pw@db")

    return app


def test_every_response_carries_a_request_id(client: TestClient) -> None:
    first = client.get("/health/live").headers["x-request-id"]
    second = client.get("/health/live").headers["x-request-id"]

    assert len(first) == 32
    assert first != second


def test_a_plain_incoming_request_id_is_kept(client: TestClient) -> None:
    response = client.get("/health/live", headers={"X-Request-ID": "trace-42.a_b"})

    assert response.headers["x-request-id"] == "trace-42.a_b"


def test_an_unsafe_incoming_request_id_is_replaced(client: TestClient) -> None:
    response = client.get("/health/live", headers={"X-Request-ID": "x\ty;drop"})

    assert response.headers["x-request-id"] != "x\ty;drop"
    assert len(response.headers["x-request-id"]) == 32


def test_unexpected_error_answers_a_safe_500_and_logs_the_cause(
    failing_app: FastAPI, caplog: pytest.LogCaptureFixture
) -> None:
    with TestClient(failing_app) as client:
        response = client.get("/boom")

    assert response.status_code == 500
    request_id = response.headers["x-request-id"]
    assert response.json() == {
        "detail": "Internal server error",
        "request_id": request_id,
    }
    assert "secret internals" not in response.text
    [record] = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert record.exc_info is not None
    assert getattr(record, "request_id", None) == request_id


def test_validation_errors_keep_fastapis_422(client: TestClient) -> None:
    response = client.post("/api/hello", json={"name": ""})

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "name"]


def test_hello_greets_by_name(client: TestClient) -> None:
    response = client.post("/api/hello", json={"name": "Ada"})

    assert response.status_code == 200
    assert response.json() == {"message": "Hello, Ada!"}


@pytest.fixture
def small_limit_client(monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    monkeypatch.setenv(f"{ENV_PREFIX}MAX_REQUEST_BYTES", "1000")
    with TestClient(create_app()) as client:
        yield client


def test_a_declared_body_over_the_limit_is_refused_with_413(
    small_limit_client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    response = small_limit_client.post("/api/hello", json={"name": "x" * 2000})

    assert response.status_code == 413
    assert response.json() == {"detail": "Request body is larger than 1000 bytes"}
    assert "x-request-id" in response.headers
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_a_chunked_body_over_the_limit_is_refused_with_413(
    small_limit_client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"name": "'
        yield b"x" * 2000
        yield b'"}'

    response = small_limit_client.post(
        "/api/hello", content=chunks(), headers={"content-type": "application/json"}
    )

    assert response.status_code == 413
    assert response.json() == {"detail": "Request body is larger than 1000 bytes"}
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_a_chunked_body_within_the_limit_is_served(
    small_limit_client: TestClient,
) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"name": '
        yield b'"Ada"}'

    response = small_limit_client.post(
        "/api/hello", content=chunks(), headers={"content-type": "application/json"}
    )

    assert response.json() == {"message": "Hello, Ada!"}


def test_validation_errors_do_not_echo_the_input(client: TestClient) -> None:
    secret_like = "sk-" + "s" * 500

    response = client.post("/api/hello", json={"name": ["not", secret_like]})

    assert response.status_code == 422
    assert secret_like not in response.text
    [problem] = response.json()["detail"]
    assert set(problem) == {"type", "loc", "msg"}
