"""Response bodies of the project's API."""

from pydantic import BaseModel, Field

from ..clients.models import StoppedReason


class HelloResponse(BaseModel):
    message: str


class Person(BaseModel):
    """A person described in a text; also the schema the model must fill in."""

    name: str = Field(description="Full name as written in the text")
    age: int | None = Field(description="Age in years, or null if not stated")
    occupation: str | None = Field(description="Job or role, or null if not stated")
    city: str | None = Field(description="Where the person lives, or null")


class ToolCallSummary(BaseModel):
    id: str
    name: str
    # The JSON text the model wrote.
    arguments: str


class ToolResultSummary(BaseModel):
    tool_call_id: str
    name: str
    content: str
    is_error: bool


class AgentStepEvent(BaseModel):
    """One iteration of the agent, as sent by the streaming endpoint."""

    iteration: int
    content: str
    tool_calls: list[ToolCallSummary]
    tool_results: list[ToolResultSummary]
    is_final: bool


class AgentAnswer(BaseModel):
    answer: str
    iterations: int
    stopped_reason: StoppedReason
    tool_calls: list[ToolCallSummary]
    tool_results: list[ToolResultSummary]
    total_tokens: int
