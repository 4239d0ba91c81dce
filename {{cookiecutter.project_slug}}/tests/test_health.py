import asyncio

from fastapi import FastAPI
from fastapi.testclient import TestClient

from {{ cookiecutter.package_name }}.api.health import ReadinessChecks


async def answers() -> None:
    return None


async def refuses() -> None:
    raise ConnectionRefusedError("tcp://:hunter2@cache:6379 refused")


async def hangs() -> None:
    await asyncio.sleep(30)


def test_live_answers_without_checking_anything(client: TestClient) -> None:
    response = client.get("/health/live")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_ready_with_nothing_configured_is_ready(client: TestClient) -> None:
    response = client.get("/health/ready")

    assert response.status_code == 200
    assert response.json() == {"status": "ready", "dependencies": {}}


def test_ready_names_the_dependency_that_is_down(
    app: FastAPI, client: TestClient
) -> None:
    checks: ReadinessChecks = app.state.readiness
    checks.register("database", answers)
    checks.register("cache", refuses)

    response = client.get("/health/ready")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "not ready"
    assert body["dependencies"]["database"] == {"status": "ok", "reason": None}
    assert body["dependencies"]["cache"]["status"] == "down"
    assert "ConnectionRefusedError" in body["dependencies"]["cache"]["reason"]
    assert "hunter2" not in response.text


def test_a_hanging_dependency_counts_as_down_after_the_timeout(
    app: FastAPI, client: TestClient
) -> None:
    checks: ReadinessChecks = app.state.readiness
    checks.timeout = 0.2
    checks.register("broker", hangs)

    response = client.get("/health/ready")

    assert response.status_code == 503
    assert response.json()["dependencies"]["broker"] == {
        "status": "down",
        "reason": "no answer within 0.2 s",
    }


def test_an_unregistered_dependency_is_no_longer_asked(
    app: FastAPI, client: TestClient
) -> None:
    checks: ReadinessChecks = app.state.readiness
    checks.register("cache", refuses)
    checks.unregister("cache")

    assert client.get("/health/ready").status_code == 200
