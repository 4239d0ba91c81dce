"""Liveness and readiness: /health/live never waits, /health/ready asks around."""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Literal

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel

logger = logging.getLogger(__name__)

# A check returns normally when its dependency answers and raises when it does not.
ReadinessCheck = Callable[[], Awaitable[None]]

router = APIRouter(prefix="/health", tags=["health"])


class DependencyState(BaseModel):
    status: Literal["ok", "down"]
    reason: str | None = None


class Liveness(BaseModel):
    status: Literal["ok"] = "ok"


class Readiness(BaseModel):
    status: Literal["ready", "not ready"]
    dependencies: dict[str, DependencyState]


class ReadinessChecks:
    """The dependencies /health/ready asks, registered by whoever owns them."""

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self._checks: dict[str, ReadinessCheck] = {}

    def register(self, name: str, check: ReadinessCheck) -> None:
        self._checks[name] = check

    def unregister(self, name: str) -> None:
        self._checks.pop(name, None)

    async def run(self) -> Readiness:
        names = list(self._checks)
        states = await asyncio.gather(*(self._run_one(name) for name in names))
        dependencies = dict(zip(names, states, strict=True))
        ready = all(state.status == "ok" for state in states)
        return Readiness(
            status="ready" if ready else "not ready", dependencies=dependencies
        )

    async def _run_one(self, name: str) -> DependencyState:
        try:
            async with asyncio.timeout(self.timeout):
                await self._checks[name]()
        except TimeoutError:
            reason = f"no answer within {self.timeout:g} s"
        except Exception as error:
            # The class name tells an operator enough; the message may hold a URL.
            reason = f"unavailable ({type(error).__name__})"
        else:
            return DependencyState(status="ok")
        logger.warning("Readiness check %s failed: %s", name, reason)
        return DependencyState(status="down", reason=reason)


@router.get("/live", summary="The process is up")
async def live() -> Liveness:
    return Liveness()


@router.get(
    "/ready",
    summary="Every configured dependency answers",
    responses={503: {"model": Readiness, "description": "A dependency is down"}},
)
async def ready(request: Request, response: Response) -> Readiness:
    checks: ReadinessChecks = request.app.state.readiness
    readiness = await checks.run()
    if readiness.status != "ready":
        response.status_code = 503
    return readiness
