"""Shared clients of the process, for routes, tasks and scripts alike."""

from functools import lru_cache

from ..clients._transport import close_transports
from ..clients.openrouter import OpenRouterApiClient


@lru_cache
def get_openrouter_client() -> OpenRouterApiClient:
    """The process's OpenRouterApiClient, configured from OPENROUTER_* settings."""
    return OpenRouterApiClient()


async def close_clients() -> None:
    """Close every pooled connection; the app's lifespan calls this on shutdown."""
    await close_transports()
    get_openrouter_client.cache_clear()
