"""The agent loop: model turns and concurrent tool calls until an answer comes."""

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any

from .errors import ToolError
from .models import (
    AgentStep,
    AssistantMessage,
    ChatResponse,
    Message,
    StoppedReason,
    ToolCall,
    ToolDefinition,
    ToolResult,
    add_usage,
    empty_usage,
)
from .tools import ToolSource

logger = logging.getLogger(__name__)

# One model turn: the conversation so far and the tools on offer, to a reply.
Turn = Callable[[list[Message], list[ToolDefinition]], Awaitable[ChatResponse]]


async def run_agent(
    turn: Turn,
    sources: Sequence[ToolSource],
    conversation: list[Message],
    max_iterations: int,
) -> AsyncIterator[AgentStep]:
    """Yield one step per iteration; `conversation` grows with every turn."""
    tools, owners = await _collect_tools(sources)
    usage = empty_usage()
    tool_call_count = 0

    for iteration in range(1, max_iterations + 1):
        reply = await turn(conversation, tools)
        usage = add_usage(usage, reply["usage"])
        tool_calls = reply["tool_calls"]
        assistant: AssistantMessage = {
            "role": "assistant",
            "content": reply["content"] or None,
        }
        if tool_calls:
            assistant["tool_calls"] = tool_calls
        conversation.append(assistant)

        # The calls of one turn are independent, so they run side by side.
        truncated = reply["finish_reason"] == "length"
        results = list(
            await asyncio.gather(
                *(_run_tool_call(call, owners, truncated) for call in tool_calls)
            )
        )
        conversation.extend(
            {
                "role": "tool",
                "tool_call_id": result["tool_call_id"],
                "content": result["content"],
            }
            for result in results
        )
        tool_call_count += len(tool_calls)

        finished = not tool_calls
        is_final = finished or iteration == max_iterations
        stopped_reason: StoppedReason | None = None
        if is_final:
            if not finished:
                stopped_reason = "max_iterations"
            elif reply["finish_reason"] == "length":
                stopped_reason = "length"
            else:
                stopped_reason = "completed"
            logger.info(
                "Agent %s: iterations %d, tool calls %d, tokens %d",
                "finished" if finished else "stopped at max_iterations",
                iteration,
                tool_call_count,
                usage["total_tokens"],
            )
        yield {
            "iteration": iteration,
            "content": reply["content"],
            "tool_calls": tool_calls,
            "tool_results": results,
            "is_final": is_final,
            "stopped_reason": stopped_reason,
            "usage": reply["usage"],
        }
        if is_final:
            return


async def _collect_tools(
    sources: Sequence[ToolSource],
) -> tuple[list[ToolDefinition], dict[str, ToolSource]]:
    listed = await asyncio.gather(*(source.list_tools() for source in sources))
    tools: list[ToolDefinition] = []
    owners: dict[str, ToolSource] = {}
    for source, definitions in zip(sources, listed, strict=True):
        for definition in definitions:
            name = definition["function"]["name"]
            if name in owners:
                logger.warning(
                    "Tool %s is offered twice; the first source keeps it", name
                )
                continue
            owners[name] = source
            tools.append(definition)
    return tools, owners


async def _run_tool_call(
    call: ToolCall, owners: dict[str, ToolSource], truncated: bool
) -> ToolResult:
    """Run one call; every failure becomes an "ERROR: ..." result for the model."""
    name = call["function"]["name"]
    try:
        arguments = _parse_arguments(call, truncated)
        source = owners.get(name)
        if source is None:
            available = ", ".join(sorted(owners)) or "none"
            raise ToolError(f"unknown tool {name!r}; available tools: {available}")
        content = await source.call_tool(name, arguments)
    except ToolError as error:
        logger.debug("Tool call %s (%s) refused: %s", call["id"], name, error)
        return _result(call, f"ERROR: {error}", is_error=True)
    except Exception as error:
        # The tool's own bug: log it in full, let the model see what happened.
        logger.warning("Tool %s failed", name, exc_info=True)
        return _result(call, f"ERROR: {type(error).__name__}: {error}", is_error=True)
    logger.debug("Tool call %s (%s) returned %d chars", call["id"], name, len(content))
    return _result(call, content, is_error=False)


def _parse_arguments(call: ToolCall, truncated: bool) -> dict[str, Any]:
    text = call["function"]["arguments"].strip() or "{}"
    try:
        arguments = json.loads(text)
    except ValueError as error:
        if truncated:
            raise ToolError(
                "the arguments were cut off because the reply hit the token limit "
                "(finish_reason 'length'); the tool did not run. Send shorter "
                "arguments or split the work"
            ) from None
        raise ToolError(
            f"the arguments are not valid JSON ({error}); the tool did not run"
        ) from None
    if not isinstance(arguments, dict):
        raise ToolError(
            f"the arguments must be a JSON object, not {_json_type(arguments)}; "
            "the tool did not run"
        )
    return arguments


def _json_type(value: object) -> str:
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    return "null"


def _result(call: ToolCall, content: str, *, is_error: bool) -> ToolResult:
    return {
        "tool_call_id": call["id"],
        "name": call["function"]["name"],
        "content": content,
        "is_error": is_error,
    }
