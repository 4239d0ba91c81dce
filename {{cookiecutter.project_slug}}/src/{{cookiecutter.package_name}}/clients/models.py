"""Typed shapes shared by the AI clients: messages, tools, tool calls and results.

They are TypedDicts, so they are plain JSON-ready dicts at run time and mypy still
checks every key: `response["content"]`, `step["is_final"]`.
"""

from typing import Any, Literal, NotRequired, TypedDict

from pydantic import BaseModel


class SystemMessage(TypedDict):
    role: Literal["system"]
    content: str


class UserMessage(TypedDict):
    role: Literal["user"]
    # Text, or a list of content parts (text, image_url, ...) in the OpenAI format.
    content: str | list[dict[str, Any]]


class FunctionCall(TypedDict):
    name: str
    # The JSON text the model wrote, exactly as it wrote it.
    arguments: str


class ToolCall(TypedDict):
    """One call of a tool that the model asked for."""

    id: str
    type: Literal["function"]
    function: FunctionCall


class AssistantMessage(TypedDict):
    role: Literal["assistant"]
    content: str | None
    tool_calls: NotRequired[list[ToolCall]]


class ToolMessage(TypedDict):
    role: Literal["tool"]
    tool_call_id: str
    content: str


Message = SystemMessage | UserMessage | AssistantMessage | ToolMessage


class FunctionDefinition(TypedDict):
    name: str
    description: str
    # A JSON schema of an object: the tool's keyword arguments.
    parameters: dict[str, Any]


class ToolDefinition(TypedDict):
    """A tool as the model sees it."""

    type: Literal["function"]
    function: FunctionDefinition


class ToolResult(TypedDict):
    """What one tool call returned, as the text the model reads."""

    tool_call_id: str
    name: str
    content: str
    # True when the call failed and `content` starts with "ERROR:".
    is_error: bool


class Usage(TypedDict):
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int


class ChatResponse(TypedDict):
    """One reply of the model."""

    id: str
    model: str
    # The reply's text; empty when the model only asked for tools.
    content: str
    tool_calls: list[ToolCall]
    # "stop", "length", "tool_calls", "content_filter", ...
    finish_reason: str | None
    usage: Usage


class ParsedResponse[ParsedT: BaseModel](ChatResponse):
    """A reply validated into the requested response model."""

    parsed: ParsedT


# "length": the final reply was cut off at the token limit (max_tokens).
StoppedReason = Literal["completed", "length", "max_iterations"]


class AgentStep(TypedDict):
    """One iteration of the agent loop: the model's turn and the tools it ran."""

    iteration: int
    content: str
    tool_calls: list[ToolCall]
    tool_results: list[ToolResult]
    # True for the last step, whether the model finished or the loop stopped.
    is_final: bool
    stopped_reason: StoppedReason | None
    usage: Usage


class AgentResponse(TypedDict):
    """The outcome of a whole agent run."""

    content: str
    # Every call and result of the run, in order.
    tool_calls: list[ToolCall]
    tool_results: list[ToolResult]
    iterations: int
    # "max_iterations" when the model still wanted tools after the last iteration.
    stopped_reason: StoppedReason
    usage: Usage
    # The conversation including the model's turns and the tool results, ready to
    # continue with another user message.
    messages: list[Message]


class ParsedAgentResponse[ParsedT: BaseModel](AgentResponse):
    """An agent run whose final answer was validated into a response model."""

    # None when the loop stopped at max_iterations before a final answer.
    parsed: ParsedT | None


def empty_usage() -> Usage:
    return {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0}


def add_usage(total: Usage, more: Usage) -> Usage:
    return {
        "prompt_tokens": total["prompt_tokens"] + more["prompt_tokens"],
        "completion_tokens": total["completion_tokens"] + more["completion_tokens"],
        "total_tokens": total["total_tokens"] + more["total_tokens"],
    }
