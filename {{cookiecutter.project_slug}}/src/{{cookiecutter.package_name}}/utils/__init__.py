"""Helpers shared across the service: the process's clients."""

from .client import close_clients, get_openrouter_client

__all__ = ["close_clients", "get_openrouter_client"]
