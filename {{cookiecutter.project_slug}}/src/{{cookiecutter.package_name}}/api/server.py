"""The FastAPI application: create_app() wires routes, middleware and the lifespan."""

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from ..config import ServiceSettings, get_openrouter_settings, get_service_settings
from ..logging_config import LOG_FILE_NAME, configure_logging
from ..project.api import router as project_router
from ..project.demo import router as demo_router
from ..utils.client import close_clients
from . import health, meta
from .errors import register_error_handlers
from .health import ReadinessChecks
from .middleware import RequestContextMiddleware

logger = logging.getLogger(__name__)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Own every long-lived client: open them before serving, close them after."""
    settings: ServiceSettings = app.state.settings
    logger.info("%s %s starting", settings.name, settings.version)
    try:
        yield
    finally:
        await close_clients()
        logger.info("%s stopped", settings.name)


def create_app(settings: ServiceSettings | None = None) -> FastAPI:
    settings = settings or get_service_settings()
    # A bad OPENROUTER_* value stops the start, rather than failing every AI call.
    get_openrouter_settings()
    configure_logging(settings.log_level, settings.log_dir, LOG_FILE_NAME)

    app = FastAPI(
        title=settings.name,
        version=settings.version,
        description=settings.description,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.readiness = ReadinessChecks(timeout=settings.readiness_timeout)

    app.add_middleware(
        RequestContextMiddleware, max_body_bytes=settings.max_request_bytes
    )
    register_error_handlers(app)
    app.include_router(meta.router)
    app.include_router(health.router)
    app.include_router(project_router, prefix="/api")
    app.include_router(demo_router, prefix="/api")
    return app
