"""Response bodies of the project's API."""

from pydantic import BaseModel


class HelloResponse(BaseModel):
    message: str
