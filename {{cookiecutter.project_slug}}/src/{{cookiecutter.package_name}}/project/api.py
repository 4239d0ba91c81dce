"""The project's own API, served under /api. Add your routes here."""

from fastapi import APIRouter

from ..models.request import HelloRequest
from ..models.response import HelloResponse

router = APIRouter(tags=["project"])


@router.post("/hello", summary="Greet someone by name")
async def hello(request: HelloRequest) -> HelloResponse:
    return HelloResponse(message=f"Hello, {request.name}!")
