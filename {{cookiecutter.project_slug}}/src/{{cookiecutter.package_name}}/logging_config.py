"""Logging for every process of the service: console plus a rotating file."""

import logging
import logging.handlers
from contextvars import ContextVar
from pathlib import Path

# The id of the HTTP request being handled; "-" outside of a request.
request_id_var: ContextVar[str] = ContextVar("request_id", default="-")

LOG_FORMAT = "%(asctime)s %(levelname)-8s %(name)s [%(request_id)s] %(message)s"
LOG_FILE_BYTES = 10 * 1024 * 1024
LOG_FILE_BACKUPS = 5


class RequestIdFilter(logging.Filter):
    """Stamp each record with the current request id."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        return True


class _ServiceHandler:
    """Marks the handlers installed here, so configuring twice replaces them."""


def configure_logging(level: int, log_dir: Path | None, file_name: str) -> None:
    """Send every logger's records to the console and, if set, a rotating file."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if isinstance(handler, _ServiceHandler):
            root.removeHandler(handler)
            handler.close()

    formatter = logging.Formatter(LOG_FORMAT)
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
    for handler in handlers:
        handler.setFormatter(formatter)
        handler.addFilter(RequestIdFilter())
        root.addHandler(handler)
    root.setLevel(level)

    # httpx logs every request URL at INFO; keep that for debugging sessions only.
    logging.getLogger("httpx").setLevel(max(level, logging.WARNING))


class _ConsoleHandler(logging.StreamHandler, _ServiceHandler):  # type: ignore[type-arg]
    pass


class _FileHandler(logging.handlers.RotatingFileHandler, _ServiceHandler):
    pass
