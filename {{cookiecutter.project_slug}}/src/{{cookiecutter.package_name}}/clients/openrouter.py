"""OpenRouterApiClient: chat, structured output, tools and agents over OpenRouter.

Any OpenAI-compatible endpoint works: point OPENROUTER_BASE_URL at it.

    client = OpenRouterApiClient()
    response = await client.create(messages=[{"role": "user", "content": "Hi"}])
    print(response["content"])
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from enum import StrEnum
from typing import TYPE_CHECKING, Any, overload

from pydantic import BaseModel, ValidationError

from ..config import OpenRouterSettings, get_openrouter_settings
from . import errors
from ._agent import run_agent
from ._schema import response_format_for
from ._stream import ToolCallAccumulator, with_unique_ids
from ._transport import transport_for
from .models import (
    AgentResponse,
    AgentStep,
    ChatResponse,
    Message,
    ParsedAgentResponse,
    ParsedResponse,
    ToolCall,
    ToolDefinition,
    Usage,
    add_usage,
    empty_usage,
)
from .tools import LocalTools, ToolFunction, ToolSource

if TYPE_CHECKING:
    # The SDK is imported at the first call (see _transport), not at start-up.
    import openai
    from openai.types.chat import ChatCompletion, ChatCompletionChunk

logger = logging.getLogger(__name__)


DEFAULT_MAX_ITERATIONS = 10


class OpenRouterModel(StrEnum):
    """A few well-known model ids; any id OpenRouter lists works as a plain string."""

    GPT_4O_MINI = "openai/gpt-4o-mini"
    GPT_4O = "openai/gpt-4o"
    CLAUDE_SONNET = "anthropic/claude-sonnet-4"
    GEMINI_FLASH = "google/gemini-2.5-flash"
    LLAMA_70B = "meta-llama/llama-3.3-70b-instruct"


class OpenRouterApiClient:
    """Talks to the LLM provider; cheap to create, since connections are pooled.

    Settings are read at the first call, not here, so a missing OPENROUTER_TOKEN
    only fails the calls that need it.
    """

    def __init__(
        self,
        settings: OpenRouterSettings | None = None,
        *,
        model: str | None = None,
        tools: LocalTools | None = None,
    ) -> None:
        self._settings = settings
        self._model = model
        self.tools = tools if tools is not None else LocalTools()

    @property
    def settings(self) -> OpenRouterSettings:
        return self._settings or get_openrouter_settings()

    @property
    def model(self) -> str:
        """The model used when a call does not name one."""
        return self._model or self.settings.model

    def register_tool(
        self,
        name: str,
        description: str,
        function: ToolFunction,
        parameters: dict[str, Any] | None = None,
    ) -> None:
        """Offer a sync or async function to the model in `agent` runs.

        Without `parameters`, the JSON schema is built from the signature and the
        docstring, and arguments are validated before the function runs.
        """
        self.tools.add(
            function, name=name, description=description, parameters=parameters
        )

    def tool[FunctionT: Callable[..., Any]](self, function: FunctionT) -> FunctionT:
        """Decorator form of `register_tool`, described by the name and docstring."""
        return self.tools.tool(function)

    async def create(
        self,
        messages: Sequence[Message],
        *,
        model: str | None = None,
        tools: Sequence[ToolDefinition] | None = None,
        temperature: float | None = None,
        max_tokens: int | None = None,
        extra_body: Mapping[str, Any] | None = None,
    ) -> ChatResponse:
        """One reply of the model; `response["content"]` is its text."""
        request = self._request(
            messages,
            model=model,
            tools=tools,
            temperature=temperature,
            max_tokens=max_tokens,
            extra_body=extra_body,
        )
        return await self._complete(request)

    async def parse[ModelT: BaseModel](
        self,
        messages: Sequence[Message],
        response_format: type[ModelT] | None = None,
        *,
        structured_output: type[ModelT] | None = None,
        model: str | None = None,
        temperature: float | None = None,
        max_tokens: int | None = None,
        extra_body: Mapping[str, Any] | None = None,
    ) -> ParsedResponse[ModelT]:
        """A reply validated into a pydantic model: `response["parsed"]`.

        The model goes to the provider as a strict JSON schema. A model that strict
        mode cannot express fails here with SchemaNotSupportedError naming the
        field; a reply that does not validate raises StructuredOutputError.
        """
        output_model = _output_model(response_format, structured_output)
        request = self._request(
            messages,
            model=model,
            response_format=response_format_for(output_model),
            temperature=temperature,
            max_tokens=max_tokens,
            extra_body=extra_body,
        )
        response = await self._complete(request)
        parsed = _validate_reply(output_model, response)
        return {**response, "parsed": parsed}

    async def stream(
        self,
        messages: Sequence[Message],
        *,
        model: str | None = None,
        temperature: float | None = None,
        max_tokens: int | None = None,
        extra_body: Mapping[str, Any] | None = None,
    ) -> AsyncIterator[str]:
        """The reply's text piece by piece, as the provider sends it."""
        request = self._request(
            messages,
            model=model,
            temperature=temperature,
            max_tokens=max_tokens,
            extra_body=extra_body,
        )
        async for chunk in self._chunks(request):
            for choice in chunk.choices:
                if choice.index == 0 and choice.delta.content:
                    yield choice.delta.content

    @overload
    async def agent(
        self,
        messages: Sequence[Message],
        *,
        max_iterations: int = ...,
        model: str | None = ...,
        tool_sources: Sequence[ToolSource] | None = ...,
        response_format: None = None,
        structured_output: None = None,
    ) -> AgentResponse: ...

    @overload
    async def agent[ModelT: BaseModel](
        self,
        messages: Sequence[Message],
        *,
        max_iterations: int = ...,
        model: str | None = ...,
        tool_sources: Sequence[ToolSource] | None = ...,
        response_format: type[ModelT],
        structured_output: None = None,
    ) -> ParsedAgentResponse[ModelT]: ...

    @overload
    async def agent[ModelT: BaseModel](
        self,
        messages: Sequence[Message],
        *,
        max_iterations: int = ...,
        model: str | None = ...,
        tool_sources: Sequence[ToolSource] | None = ...,
        response_format: None = None,
        structured_output: type[ModelT],
    ) -> ParsedAgentResponse[ModelT]: ...

    async def agent(
        self,
        messages: Sequence[Message],
        *,
        max_iterations: int = DEFAULT_MAX_ITERATIONS,
        model: str | None = None,
        tool_sources: Sequence[ToolSource] | None = None,
        response_format: type[BaseModel] | None = None,
        structured_output: type[BaseModel] | None = None,
    ) -> AgentResponse | ParsedAgentResponse[Any]:
        """Let the model call tools until it answers, at most `max_iterations` turns.

        `tool_sources` defaults to the tools registered on this client; pass more
        sources (an MCP client's, say) to offer their tools in the same run.
        """
        output_model = None
        if response_format is not None or structured_output is not None:
            output_model = _output_model(response_format, structured_output)

        steps: list[AgentStep] = []
        conversation: list[Message] = []
        async for step in self._agent_steps(
            messages,
            max_iterations=max_iterations,
            model=model,
            tool_sources=tool_sources,
            output_model=output_model,
            conversation=conversation,
        ):
            steps.append(step)

        last = steps[-1]
        usage = empty_usage()
        for step in steps:
            usage = add_usage(usage, step["usage"])
        response: AgentResponse = {
            "content": last["content"],
            "tool_calls": [call for step in steps for call in step["tool_calls"]],
            "tool_results": [
                result for step in steps for result in step["tool_results"]
            ],
            "iterations": last["iteration"],
            "stopped_reason": last["stopped_reason"] or "completed",
            "usage": usage,
            "messages": conversation,
        }
        if output_model is None:
            return response
        parsed = None
        if response["stopped_reason"] == "completed":
            parsed = _validate_text(output_model, response["content"])
        return {**response, "parsed": parsed}

    async def agent_stream(
        self,
        messages: Sequence[Message],
        *,
        max_iterations: int = DEFAULT_MAX_ITERATIONS,
        model: str | None = None,
        tool_sources: Sequence[ToolSource] | None = None,
    ) -> AsyncIterator[AgentStep]:
        """The agent loop of `agent`, one step per iteration as it happens."""
        async for step in self._agent_steps(
            messages,
            max_iterations=max_iterations,
            model=model,
            tool_sources=tool_sources,
            output_model=None,
            conversation=[],
        ):
            yield step

    def _agent_steps(
        self,
        messages: Sequence[Message],
        *,
        max_iterations: int,
        model: str | None,
        tool_sources: Sequence[ToolSource] | None,
        output_model: type[BaseModel] | None,
        conversation: list[Message],
    ) -> AsyncIterator[AgentStep]:
        if max_iterations < 1:
            raise ValueError(f"max_iterations must be at least 1, not {max_iterations}")
        response_format = (
            response_format_for(output_model) if output_model is not None else None
        )
        # Fail before the first turn, not after the tools have run.
        transport_for(self.settings)

        async def turn(
            history: list[Message], tools: list[ToolDefinition]
        ) -> ChatResponse:
            request = self._request(
                history,
                model=model,
                tools=tools or None,
                response_format=response_format,
            )
            return await self._complete_streamed(request)

        conversation.extend(messages)
        sources = [self.tools] if tool_sources is None else list(tool_sources)
        return run_agent(turn, sources, conversation, max_iterations)

    def _request(
        self,
        messages: Sequence[Message],
        *,
        model: str | None,
        tools: Sequence[ToolDefinition] | None = None,
        response_format: dict[str, Any] | None = None,
        temperature: float | None = None,
        max_tokens: int | None = None,
        extra_body: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        request: dict[str, Any] = {"model": model or self.model, "messages": messages}
        if tools:
            request["tools"] = list(tools)
        if response_format is not None:
            request["response_format"] = response_format
        if temperature is not None:
            request["temperature"] = temperature
        if max_tokens is not None:
            request["max_tokens"] = max_tokens
        if extra_body:
            request["extra_body"] = dict(extra_body)
        return request

    async def _complete(self, request: dict[str, Any]) -> ChatResponse:
        settings = self.settings
        transport = transport_for(settings)
        started = time.perf_counter()
        try:
            async with asyncio.timeout(settings.timeout):
                completion = await transport.chat.completions.create(**request)
        except Exception as error:
            translated = _provider_error(error, settings)
            if translated is None:
                raise
            raise translated from None
        response = _chat_response(completion, settings)
        _log_reply(response, time.perf_counter() - started)
        return response

    async def _complete_streamed(self, request: dict[str, Any]) -> ChatResponse:
        started = time.perf_counter()
        content: list[str] = []
        tool_calls = ToolCallAccumulator()
        response: ChatResponse = {
            "id": "",
            "model": request["model"],
            "content": "",
            "tool_calls": [],
            "finish_reason": None,
            "usage": empty_usage(),
        }
        async for chunk in self._chunks(request):
            response["id"] = chunk.id or response["id"]
            response["model"] = chunk.model or response["model"]
            if chunk.usage is not None:
                response["usage"] = _usage(chunk.usage)
            for choice in chunk.choices:
                if choice.index != 0:
                    continue
                if choice.delta.content:
                    content.append(choice.delta.content)
                for piece in choice.delta.tool_calls or ():
                    function = piece.function
                    tool_calls.add(
                        # Some providers leave the index out altogether.
                        index=getattr(piece, "index", None),
                        call_id=piece.id,
                        name=function.name if function else None,
                        arguments=function.arguments if function else None,
                    )
                if choice.finish_reason:
                    response["finish_reason"] = choice.finish_reason
        response["content"] = "".join(content)
        response["tool_calls"] = tool_calls.tool_calls()
        _log_reply(response, time.perf_counter() - started)
        return response

    async def _chunks(
        self, request: dict[str, Any]
    ) -> AsyncIterator[ChatCompletionChunk]:
        settings = self.settings
        transport = transport_for(settings)
        try:
            # The deadline covers opening the stream; after that the SDK's read
            # timeout bounds the wait for each chunk.
            async with asyncio.timeout(settings.timeout):
                stream = await transport.chat.completions.create(
                    **request, stream=True, stream_options={"include_usage": True}
                )
            finished = False
            async with stream:
                async for chunk in stream:
                    _raise_for_error_in_body(chunk, settings)
                    finished = finished or any(
                        choice.finish_reason for choice in chunk.choices
                    )
                    yield chunk
            # A stream cut short looks like a shorter answer, unless it is caught
            # here; so does a plain JSON body, which holds no SSE events at all.
            if not finished:
                raise errors.UpstreamError(
                    "the provider's stream ended before the reply was complete"
                )
        except Exception as error:
            translated = _provider_error(error, settings)
            if translated is None:
                raise
            raise translated from None


def _output_model[ModelT: BaseModel](
    response_format: type[ModelT] | None, structured_output: type[ModelT] | None
) -> type[ModelT]:
    if response_format is not None and structured_output is not None:
        raise TypeError("pass response_format or structured_output, not both")
    output_model = response_format or structured_output
    if output_model is None:
        raise TypeError("parse() needs response_format, a pydantic model class")
    return output_model


def _chat_response(
    completion: ChatCompletion, settings: OpenRouterSettings
) -> ChatResponse:
    # The SDK hands back the raw text when a 200 answer is not JSON.
    if not hasattr(completion, "choices"):
        raise errors.UpstreamError("the provider's answer is not a chat completion")
    _raise_for_error_in_body(completion, settings)
    if not completion.choices:
        raise errors.UpstreamError("the provider answered without a reply")
    choice = completion.choices[0]
    message = choice.message
    tool_calls: list[ToolCall] = [
        {
            "id": call.id or "",
            "type": "function",
            "function": {
                "name": call.function.name,
                "arguments": call.function.arguments or "",
            },
        }
        for call in message.tool_calls or ()
        if call.type == "function"
    ]
    return {
        "id": completion.id or "",
        "model": completion.model or "",
        "content": message.content or "",
        "tool_calls": with_unique_ids(tool_calls),
        "finish_reason": choice.finish_reason,
        "usage": _usage(completion.usage),
    }


def _raise_for_error_in_body(
    reply: ChatCompletion | ChatCompletionChunk, settings: OpenRouterSettings
) -> None:
    """OpenRouter reports some failures inside a 200 answer or a stream chunk."""
    error = (reply.model_extra or {}).get("error")
    # "error" is OpenRouter's own finish reason, missing from the SDK's types.
    failed = any(str(choice.finish_reason) == "error" for choice in reply.choices or ())
    if error is None and not failed:
        return
    message = "the provider reported an error"
    if isinstance(error, Mapping) and error.get("message"):
        message = str(error["message"])
    code = error.get("code") if isinstance(error, Mapping) else None
    raise errors.UpstreamError(
        _scrub(message, settings), status_code=code if isinstance(code, int) else None
    )


def _provider_error(
    error: Exception, settings: OpenRouterSettings
) -> errors.ProviderError | None:
    """Our typed error for an SDK or timeout error, with the token scrubbed out.

    None for any other exception, which the caller re-raises as it is.
    """
    import openai  # loaded by the transport before any call could fail

    if isinstance(error, TimeoutError | openai.APITimeoutError):
        return errors.ProviderTimeoutError(
            f"the provider did not answer within {settings.timeout:g} s"
        )
    if isinstance(error, json.JSONDecodeError):
        return errors.UpstreamError("the provider sent a reply that is not JSON")
    if not isinstance(error, openai.OpenAIError):
        return None
    if isinstance(error, openai.APIConnectionError):
        return errors.UpstreamError("could not reach the provider")
    if not isinstance(error, openai.APIError):
        return errors.UpstreamError(_scrub(str(error), settings))

    message = _scrub(_provider_message(error), settings)
    if not isinstance(error, openai.APIStatusError):
        # An error event in the middle of a stream.
        return errors.UpstreamError(message)
    status = error.status_code
    text = f"{message} (HTTP {status})"
    if status in (401, 403):
        return errors.AuthenticationError(text, status_code=status)
    if status == 402:
        return errors.PaymentRequiredError(text, status_code=status)
    if status == 429:
        return errors.RateLimitError(
            text, status_code=status, retry_after=_retry_after(error)
        )
    if status == 408:
        return errors.ProviderTimeoutError(text, status_code=status)
    if 400 <= status < 500:
        return errors.RequestRejectedError(text, status_code=status)
    return errors.UpstreamError(text, status_code=status)


def _provider_message(error: openai.APIError) -> str:
    body = error.body
    if isinstance(body, Mapping):
        inner = body.get("error", body)
        if isinstance(inner, Mapping) and inner.get("message"):
            return str(inner["message"])
    return error.message


def _retry_after(error: openai.APIStatusError) -> float | None:
    value = error.response.headers.get("retry-after")
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def _scrub(text: str, settings: OpenRouterSettings) -> str:
    """Remove the token from provider text, in case a provider echoes it."""
    if settings.token is None:
        return text
    token = settings.token.get_secret_value()
    return text.replace(token, "***") if token else text


def _usage(usage: Any) -> Usage:
    if usage is None:
        return empty_usage()
    return {
        "prompt_tokens": usage.prompt_tokens or 0,
        "completion_tokens": usage.completion_tokens or 0,
        "total_tokens": usage.total_tokens or 0,
    }


def _validate_reply[ModelT: BaseModel](
    model: type[ModelT], response: ChatResponse
) -> ModelT:
    if response["finish_reason"] == "length":
        raise errors.StructuredOutputError(
            f"the reply was cut off at the token limit before {model.__name__} "
            "was complete; raise max_tokens or ask for less"
        )
    return _validate_text(model, response["content"])


def _validate_text[ModelT: BaseModel](model: type[ModelT], text: str) -> ModelT:
    text = _strip_code_fence(text)
    try:
        return model.model_validate_json(text)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in problem['loc']) or '(reply)'}: "
            f"{problem['msg']}"
            for problem in error.errors(include_input=False)
        )
        raise errors.StructuredOutputError(
            f"the reply does not fit {model.__name__}: {problems}"
        ) from None


def _strip_code_fence(text: str) -> str:
    # Some models wrap JSON in a Markdown fence even when asked for a schema.
    stripped = text.strip()
    if stripped.startswith("```") and stripped.endswith("```"):
        stripped = stripped.removeprefix("```json").removeprefix("```")
        stripped = stripped.removesuffix("```").strip()
    return stripped


def _log_reply(response: ChatResponse, seconds: float) -> None:
    logger.debug(
        "Model %s answered in %.2f s: %d chars, tool calls %s, %d tokens, finish %s",
        response["model"],
        seconds,
        len(response["content"]),
        [call["id"] for call in response["tool_calls"]],
        response["usage"]["total_tokens"],
        response["finish_reason"],
    )
