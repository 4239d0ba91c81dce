"""The pooled HTTP transport to the provider: one AsyncOpenAI client per setup.

The openai SDK takes a good part of a second to import, so it is loaded at the
first call rather than when the service starts.
"""

from __future__ import annotations

import logging
import unicodedata
from typing import TYPE_CHECKING

from ..config import OpenRouterSettings
from .errors import MissingSettingError

if TYPE_CHECKING:
    from openai import AsyncOpenAI

logger = logging.getLogger(__name__)

# Keyed by everything that shapes the connection, so every OpenRouterApiClient
# with the same settings shares one connection pool.
_transports: dict[tuple[object, ...], AsyncOpenAI] = {}


def transport_for(settings: OpenRouterSettings) -> AsyncOpenAI:
    """The shared SDK client for `settings`; MissingSettingError without a token."""
    if settings.token is None:
        raise MissingSettingError("OPENROUTER_TOKEN")
    token = settings.token.get_secret_value()
    key = (
        settings.base_url,
        token,
        settings.timeout,
        settings.max_retries,
        settings.app_url,
        settings.app_title,
    )
    transport = _transports.get(key)
    if transport is None:
        from openai import AsyncOpenAI

        transport = AsyncOpenAI(
            api_key=token,
            base_url=settings.base_url,
            timeout=settings.timeout,
            max_retries=settings.max_retries,
            default_headers=attribution_headers(settings),
        )
        _transports[key] = transport
        logger.debug("Opened a connection pool to %s", settings.base_url)
    return transport


def attribution_headers(settings: OpenRouterSettings) -> dict[str, str]:
    headers = {"X-Title": _ascii_header(settings.app_title)}
    if settings.app_url:
        headers["HTTP-Referer"] = _ascii_header(settings.app_url)
    return headers


def _ascii_header(text: str) -> str:
    """HTTP header values are ASCII: "Café Zürich" goes out as "Cafe Zurich"."""
    decomposed = unicodedata.normalize("NFKD", text)
    ascii_text = decomposed.encode("ascii", "ignore").decode("ascii")
    return "".join(c for c in ascii_text if c.isprintable()).strip()


async def close_transports() -> None:
    """Close every pool; the next call opens a new one."""
    transports = list(_transports.values())
    _transports.clear()
    for transport in transports:
        await transport.close()
