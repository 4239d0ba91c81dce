"""Worked examples of the LLM client: structured output, an agent with a tool,
and streaming. Copy what you need into project/api.py, then delete this file
and its router line in api/server.py."""

import json
from collections.abc import AsyncIterator
from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse

from ..api.errors import log_client_error, status_and_detail
from ..clients.errors import ClientError
from ..clients.models import AgentStep, Message, ToolCall, ToolResult
from ..clients.openrouter import OpenRouterApiClient
from ..models.request import (
    AgentRequest,
    ChatRequest,
    ExtractPersonRequest,
)
from ..models.response import (
    AgentAnswer,
    AgentStepEvent,
    Person,
    ToolCallSummary,
    ToolResultSummary,
)

router = APIRouter(prefix="/demo", tags=["demo"])

# Its own client, so the demo's tool is offered only to the demo's agent. The
# connection pool is still the one every client of the process shares.
assistant = OpenRouterApiClient()

EVENT_STREAM = "text/event-stream"
_STREAM_RESPONSES: dict[int | str, dict[str, object]] = {
    200: {"content": {EVENT_STREAM: {}}, "description": "Server-sent events"}
}


@assistant.tool
def convert_temperature(value: float, to_unit: Literal["celsius", "fahrenheit"]) -> str:
    """Convert a temperature between Celsius and Fahrenheit.

    Args:
        value: The temperature in the other unit.
        to_unit: The unit to convert to.
    """
    if to_unit == "celsius":
        return f"{(value - 32) * 5 / 9:.1f} °C"
    return f"{value * 9 / 5 + 32:.1f} °F"


@router.post("/extract-person", summary="Extract a person from free text")
async def extract_person(request: ExtractPersonRequest) -> Person:
    response = await assistant.parse(
        messages=[
            {
                "role": "system",
                "content": "Extract the person the text describes. Use null for "
                "anything the text does not say.",
            },
            {"role": "user", "content": request.text},
        ],
        response_format=Person,
    )
    return response["parsed"]


@router.post("/agent", summary="Answer a question with an agent that has a tool")
async def agent(request: AgentRequest) -> AgentAnswer:
    response = await assistant.agent(
        messages=_agent_messages(request), max_iterations=request.max_iterations
    )
    return AgentAnswer(
        answer=response["content"],
        iterations=response["iterations"],
        stopped_reason=response["stopped_reason"],
        tool_calls=_call_summaries(response["tool_calls"]),
        tool_results=_result_summaries(response["tool_results"]),
        total_tokens=response["usage"]["total_tokens"],
    )


@router.post(
    "/agent/stream",
    summary="The agent demo, one server-sent event per iteration",
    response_class=StreamingResponse,
    responses=_STREAM_RESPONSES,
)
async def agent_stream(body: AgentRequest, request: Request) -> StreamingResponse:
    steps = assistant.agent_stream(
        messages=_agent_messages(body), max_iterations=body.max_iterations
    )
    # Wait for the first step here, so a missing token or a dead provider still
    # gets a proper HTTP status instead of an error event inside a 200.
    first = await anext(steps)

    async def events() -> AsyncIterator[str]:
        yield _event("step", _step_event(first).model_dump_json())
        try:
            async for step in steps:
                yield _event("step", _step_event(step).model_dump_json())
        except ClientError as error:
            log_client_error(error, request)
            yield _error_event(error)

    return StreamingResponse(events(), media_type=EVENT_STREAM)


@router.post(
    "/chat/stream",
    summary="A plain reply, streamed piece by piece as server-sent events",
    response_class=StreamingResponse,
    responses=_STREAM_RESPONSES,
)
async def chat_stream(body: ChatRequest, request: Request) -> StreamingResponse:
    pieces = assistant.stream(messages=[{"role": "user", "content": body.message}])
    first = await anext(pieces, "")

    async def events() -> AsyncIterator[str]:
        yield _event("delta", json.dumps({"text": first}))
        try:
            async for piece in pieces:
                yield _event("delta", json.dumps({"text": piece}))
        except ClientError as error:
            log_client_error(error, request)
            yield _error_event(error)
            return
        yield _event("done", "{}")

    return StreamingResponse(events(), media_type=EVENT_STREAM)


def _agent_messages(request: AgentRequest) -> list[Message]:
    return [
        {
            "role": "system",
            "content": "Answer briefly. Use the tools for any conversion.",
        },
        {"role": "user", "content": request.question},
    ]


def _step_event(step: AgentStep) -> AgentStepEvent:
    return AgentStepEvent(
        iteration=step["iteration"],
        content=step["content"],
        tool_calls=_call_summaries(step["tool_calls"]),
        tool_results=_result_summaries(step["tool_results"]),
        is_final=step["is_final"],
    )


def _call_summaries(tool_calls: list[ToolCall]) -> list[ToolCallSummary]:
    return [
        ToolCallSummary(
            id=call["id"],
            name=call["function"]["name"],
            arguments=call["function"]["arguments"],
        )
        for call in tool_calls
    ]


def _result_summaries(tool_results: list[ToolResult]) -> list[ToolResultSummary]:
    return [ToolResultSummary.model_validate(result) for result in tool_results]


def _event(name: str, data: str) -> str:
    return f"event: {name}\ndata: {data}\n\n"


def _error_event(error: ClientError) -> str:
    status, detail = status_and_detail(error)
    return _event("error", json.dumps({"status": status, "detail": detail}))
