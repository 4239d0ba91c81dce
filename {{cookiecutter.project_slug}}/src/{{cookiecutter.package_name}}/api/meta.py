"""Routes that describe the service itself: who it is and what it offers."""

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel

from ..config import ServiceSettings
from .definition import build_definition

router = APIRouter(tags=["service"])


class Ident(BaseModel):
    name: str
    version: str
    description: str


@router.get("/ident", summary="Name, version and description of the service")
async def ident(request: Request) -> Ident:
    settings: ServiceSettings = request.app.state.settings
    return Ident(
        name=settings.name, version=settings.version, description=settings.description
    )


@router.get(
    "/mbxai-definition",
    summary="Every operation of the service with its request and response schemas",
)
async def definition(request: Request) -> list[dict[str, Any]]:
    # Routes do not change after start-up, so the catalogue is built once.
    state = request.app.state
    if getattr(state, "definition", None) is None:
        state.definition = build_definition(request.app)
    operations: list[dict[str, Any]] = state.definition
    return operations
