"""Request ids, the request size limit, and the last line of defence against
unexpected errors."""

import logging
import os
import re

from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..logging_config import request_id_var

logger = logging.getLogger(__name__)

REQUEST_ID_HEADER = b"x-request-id"
# A caller's id is reused only if it cannot smuggle anything into a log line.
_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class RequestContextMiddleware:
    """Give every request an id, refuse oversized bodies, turn crashes into a 500.

    A plain ASGI middleware rather than BaseHTTPMiddleware: it does not buffer
    streaming responses and adds next to nothing per request.
    """

    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        incoming_id, content_length, chunked = _read_headers(scope)
        # As random as uuid4, and a few times cheaper.
        request_id = incoming_id or os.urandom(16).hex()
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
            if content_length is not None and content_length > self.max_body_bytes:
                await self._too_large(scope, receive, send_with_request_id)
                return
            if chunked:
                # No length up front, so count while the app reads.
                receive = self._limited(receive)
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

    def _limited(self, receive: Receive) -> Receive:
        received = 0

        async def receive_within_limit() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.max_body_bytes:
                # FastAPI passes an HTTPException raised while reading the body
                # through to its handler, which answers with this status.
                raise HTTPException(413, self._too_large_detail)
            return message

        return receive_within_limit

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = JSONResponse({"detail": self._too_large_detail}, status_code=413)
        await response(scope, receive, send)

    @property
    def _too_large_detail(self) -> str:
        return f"Request body is larger than {self.max_body_bytes} bytes"


def _read_headers(scope: Scope) -> tuple[str | None, int | None, bool]:
    """The caller's request id if safe to reuse, the declared body length, and
    whether the body comes in chunks of unknown total length."""
    request_id = content_length = None
    chunked = False
    for name, value in scope["headers"]:
        if name == REQUEST_ID_HEADER and request_id is None:
            candidate = value.decode("latin-1")
            if _SAFE_REQUEST_ID.match(candidate):
                request_id = candidate
        elif name == b"content-length" and value.isdigit():
            content_length = int(value)
        elif name == b"transfer-encoding":
            chunked = True
    return request_id, content_length, chunked
