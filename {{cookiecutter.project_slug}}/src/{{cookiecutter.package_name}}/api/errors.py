"""HTTP answers for errors: a fitting status and a message safe to show callers."""

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from ..clients import errors
from ..logging_config import request_id_var

logger = logging.getLogger(__name__)

# Most specific first. The messages say what happened without repeating the
# provider's text, which can hold details of the account.
_ANSWERS: list[tuple[type[errors.ClientError], int, str]] = [
    (
        errors.AuthenticationError,
        502,
        "The AI provider rejected the service's credentials",
    ),
    (errors.PaymentRequiredError, 502, "The AI provider account is out of credit"),
    (
        errors.RateLimitError,
        503,
        "The AI provider is rate limiting the service; try again shortly",
    ),
    (errors.ProviderTimeoutError, 504, "The AI provider did not answer in time"),
    (errors.RequestRejectedError, 502, "The AI provider rejected the request"),
    (errors.UpstreamError, 502, "The AI provider failed to answer"),
    (errors.SchemaNotSupportedError, 500, "Internal server error"),
    (
        errors.StructuredOutputError,
        502,
        "The AI reply did not have the expected structure",
    ),
]


def status_and_detail(error: errors.ClientError) -> tuple[int, str]:
    """The HTTP status and caller-safe message for one of the clients' errors."""
    if isinstance(error, errors.MissingSettingError):
        # Names the setting an operator has to fill in; holds no secret.
        return 503, str(error)
    for error_class, status, detail in _ANSWERS:
        if isinstance(error, error_class):
            return status, detail
    return 500, "Internal server error"


def log_client_error(error: errors.ClientError, request: Request) -> None:
    """Log the full story, which the caller does not get, under the request id."""
    where = f"{request.method} {request.url.path}"
    if status_and_detail(error)[0] == 500:
        logger.error("AI call failed in %s", where, exc_info=error)
    else:
        logger.warning(
            "AI call failed in %s: %s: %s", where, type(error).__name__, error
        )


async def handle_client_error(request: Request, error: Exception) -> JSONResponse:
    if not isinstance(error, errors.ClientError):
        raise error
    status, detail = status_and_detail(error)
    log_client_error(error, request)
    headers: dict[str, str] = {}
    if isinstance(error, errors.RateLimitError) and error.retry_after is not None:
        headers["Retry-After"] = str(max(1, round(error.retry_after)))
    return JSONResponse(
        {"detail": detail, "request_id": request_id_var.get()},
        status_code=status,
        headers=headers,
    )


async def handle_validation_error(request: Request, error: Exception) -> JSONResponse:
    """FastAPI's 422, without echoing the input back: it can be megabytes, or a
    secret the caller sent to the wrong field."""
    if not isinstance(error, RequestValidationError):
        raise error
    detail = [
        {"type": problem["type"], "loc": problem["loc"], "msg": problem["msg"]}
        for problem in error.errors()
    ]
    return JSONResponse({"detail": detail}, status_code=422)


def register_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(errors.ClientError, handle_client_error)
    app.add_exception_handler(RequestValidationError, handle_validation_error)
