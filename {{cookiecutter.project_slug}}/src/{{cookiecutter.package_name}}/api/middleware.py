"""Request ids, and the last line of defence against unexpected errors."""

import logging
import os
import re

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..logging_config import request_id_var

logger = logging.getLogger(__name__)

REQUEST_ID_HEADER = b"x-request-id"
# A caller's id is reused only if it cannot smuggle anything into a log line.
_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class RequestContextMiddleware:
    """Give every request an id, echo it back, and turn crashes into a safe 500.

    A plain ASGI middleware rather than BaseHTTPMiddleware: it does not buffer
    streaming responses and adds next to nothing per request.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        # As random as uuid4, and a few times cheaper.
        request_id = _incoming_request_id(scope) or os.urandom(16).hex()
        request_id_header = (REQUEST_ID_HEADER, request_id.encode("latin-1"))
        token = request_id_var.set(request_id)
        response_started = False

        async def send_with_request_id(message: Message) -> None:
            nonlocal response_started
            if message["type"] == "http.response.start":
                response_started = True
                message["headers"] = [*message.get("headers", ()), request_id_header]
            await send(message)

        try:
            await self.app(scope, receive, send_with_request_id)
        except Exception:
            logger.exception("Unhandled error in %s %s", scope["method"], scope["path"])
            if response_started:
                raise
            response = JSONResponse(
                {"detail": "Internal server error", "request_id": request_id},
                status_code=500,
            )
            await response(scope, receive, send_with_request_id)
        finally:
            request_id_var.reset(token)


def _incoming_request_id(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == REQUEST_ID_HEADER:
            candidate = value.decode("latin-1")
            return candidate if _SAFE_REQUEST_ID.match(candidate) else None
    return None
