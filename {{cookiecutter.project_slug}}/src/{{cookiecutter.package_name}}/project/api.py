"""The project's own API, served under /api. Add your routes here."""

from fastapi import APIRouter

from {{ cookiecutter.package_name }}.models.request import HelloRequest
from {{ cookiecutter.package_name }}.models.response import HelloResponse

router = APIRouter(tags=["project"])


@router.post("/hello", summary="Greet someone by name")
async def hello(request: HelloRequest) -> HelloResponse:
    return HelloResponse(message=f"Hello, {request.name}!")
