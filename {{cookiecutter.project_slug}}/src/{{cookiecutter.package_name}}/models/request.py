"""Request bodies of the project's API."""

from pydantic import BaseModel, Field


class HelloRequest(BaseModel):
    name: str = Field(min_length=1, max_length=200, description="Who to greet")


class ExtractPersonRequest(BaseModel):
    text: str = Field(
        min_length=1,
        max_length=10_000,
        description="Free text that mentions a person",
        examples=["Ada Lovelace, 36, wrote the first program in London."],
    )


class AgentRequest(BaseModel):
    question: str = Field(
        min_length=1,
        max_length=4_000,
        description="A question the agent may answer with its tools",
        examples=["It is 451 degrees Fahrenheit. What is that in Celsius?"],
    )
    max_iterations: int = Field(
        default=5, ge=1, le=10, description="Model turns the agent may take"
    )


class ChatRequest(BaseModel):
    message: str = Field(min_length=1, max_length=4_000, description="What to ask")
