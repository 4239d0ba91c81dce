"""Logging for every process of the service: console plus a rotating file."""

import logging
import logging.handlers
from contextvars import ContextVar
from pathlib import Path
from typing import Any

# The id of the HTTP request being handled; "-" outside of a request.
request_id_var: ContextVar[str] = ContextVar("request_id", default="-")

LOG_FORMAT = "%(asctime)s %(levelname)-8s %(name)s [%(request_id)s] %(message)s"
LOG_FILE_NAME = "service.log"
LOG_FILE_BYTES = 10 * 1024 * 1024
LOG_FILE_BACKUPS = 5


class _ServiceHandler(logging.Handler):
    """Marks the handlers installed here, so configuring twice replaces them."""


class _ConsoleHandler(logging.StreamHandler, _ServiceHandler):  # type: ignore[type-arg]
    pass


class _FileHandler(logging.handlers.RotatingFileHandler, _ServiceHandler):
    pass


def _install_request_id_factory() -> None:
    """Stamp every record with the current request id, whoever handles it."""
    make_record = logging.getLogRecordFactory()
    if getattr(make_record, "stamps_request_id", False):
        return

    def make_record_with_request_id(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = make_record(*args, **kwargs)
        record.request_id = request_id_var.get()
        return record

    make_record_with_request_id.stamps_request_id = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(make_record_with_request_id)


def configure_logging(level: int, log_dir: Path | None, file_name: str) -> None:
    """Send every logger's records to the console and, if set, a rotating file."""
    _install_request_id_factory()
    root = logging.getLogger()
    for handler in list(root.handlers):
        if isinstance(handler, _ServiceHandler):
            root.removeHandler(handler)
            handler.close()

    handlers: list[logging.Handler] = [_ConsoleHandler()]
    if log_dir is not None:
        log_dir.mkdir(parents=True, exist_ok=True)
        handlers.append(
            _FileHandler(
                log_dir / file_name,
                maxBytes=LOG_FILE_BYTES,
                backupCount=LOG_FILE_BACKUPS,
                encoding="utf-8",
            )
        )
    formatter = logging.Formatter(LOG_FORMAT)
    for handler in handlers:
        handler.setFormatter(formatter)
        root.addHandler(handler)
    root.setLevel(level)

    # The HTTP clients log every request URL at INFO; show that only when debugging.
    client_level = level if level <= logging.DEBUG else max(level, logging.WARNING)
    for client_logger in ("httpx", "httpx2"):
        logging.getLogger(client_logger).setLevel(client_level)
    # The openai SDK's DEBUG records hold whole request bodies, prompts included.
    logging.getLogger("openai").setLevel(max(level, logging.INFO))
