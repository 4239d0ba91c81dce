"""Tool sources for the agent loop, and the registry of local Python functions.

The agent asks every `ToolSource` it is given for tool definitions and sends each
call to the source that owns the tool. `LocalTools` is the source for functions
registered in this process; an MCP client is another.
"""

import asyncio
import inspect
import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model
from pydantic_core import to_json

from .errors import ToolDefinitionError, ToolError
from .models import ToolDefinition

logger = logging.getLogger(__name__)

ToolFunction = Callable[..., Any] | Callable[..., Awaitable[Any]]

# What OpenAI-compatible providers accept as a function name.
_TOOL_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_PARAM_LINE = re.compile(r"^\s*(?::param\s+)?(\*{0,2}\w+)\s*(?:\([^)]*\))?\s*:\s*(.+)$")
_SECTION = re.compile(r"^\s*(Args|Arguments|Parameters|Returns|Raises|Yields)\s*:?\s*$")


class ToolSource(Protocol):
    """Anything that offers tools to the agent loop."""

    async def list_tools(self) -> list[ToolDefinition]:
        """The tools this source offers right now."""
        ...

    async def call_tool(self, name: str, arguments: dict[str, Any]) -> str:
        """Run one tool and return the text the model reads.

        Raise `ToolError` (or any exception) when the call fails: the agent hands
        the model "ERROR: ..." as the call's result and carries on.
        """
        ...


class _LocalTool:
    def __init__(
        self,
        definition: ToolDefinition,
        function: ToolFunction,
        arguments_model: type[BaseModel] | None,
    ) -> None:
        self.definition = definition
        self.function = function
        self.arguments_model = arguments_model


class LocalTools:
    """Python functions, sync or async, offered to the model as tools."""

    def __init__(self) -> None:
        self._tools: dict[str, _LocalTool] = {}

    def __contains__(self, name: object) -> bool:
        return name in self._tools

    def __len__(self) -> int:
        return len(self._tools)

    def add(
        self,
        function: ToolFunction,
        *,
        name: str | None = None,
        description: str | None = None,
        parameters: dict[str, Any] | None = None,
    ) -> None:
        """Offer `function` as a tool.

        Without `parameters`, the JSON schema comes from the signature and the
        docstring's argument section, and the model's arguments are validated
        against it before the function runs.
        """
        name = name or function.__name__
        if not _TOOL_NAME.match(name):
            raise ToolDefinitionError(
                f"tool name {name!r} must be 1-64 letters, digits, '_' or '-'"
            )
        summary, argument_help = _parse_docstring(inspect.getdoc(function) or "")
        arguments_model = None
        if parameters is None:
            arguments_model = _arguments_model(name, function, argument_help)
            parameters = _parameters_schema(arguments_model)
        definition: ToolDefinition = {
            "type": "function",
            "function": {
                "name": name,
                "description": description or summary or name,
                "parameters": parameters,
            },
        }
        if name in self._tools:
            logger.debug("Tool %s registered again; the new function replaces it", name)
        self._tools[name] = _LocalTool(definition, function, arguments_model)

    def tool[FunctionT: Callable[..., Any]](self, function: FunctionT) -> FunctionT:
        """Decorator form of `add`: the function's name and docstring describe it."""
        self.add(function)
        return function

    async def list_tools(self) -> list[ToolDefinition]:
        return [tool.definition for tool in self._tools.values()]

    async def call_tool(self, name: str, arguments: dict[str, Any]) -> str:
        tool = self._tools.get(name)
        if tool is None:
            raise ToolError(f"unknown tool {name!r}")

        if tool.arguments_model is not None:
            try:
                validated = tool.arguments_model.model_validate(arguments)
            except ValidationError as error:
                raise ToolError(_describe_validation_error(name, error)) from None
            arguments = dict(validated)

        if inspect.iscoroutinefunction(tool.function):
            result = await tool.function(**arguments)
        else:
            # A blocking function must not stall the other calls of the turn.
            result = await asyncio.to_thread(tool.function, **arguments)
            if inspect.isawaitable(result):
                result = await result
        return result if isinstance(result, str) else to_json(result).decode()


def _arguments_model(
    name: str, function: ToolFunction, argument_help: dict[str, str]
) -> type[BaseModel]:
    fields: dict[str, Any] = {}
    for parameter in inspect.signature(function).parameters.values():
        if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
            raise ToolDefinitionError(
                f"tool {name!r}: *{parameter.name} cannot be described to a model; "
                "name every argument or pass parameters="
            )
        if parameter.kind is parameter.POSITIONAL_ONLY:
            raise ToolDefinitionError(
                f"tool {name!r}: argument {parameter.name!r} is positional-only; "
                "the model passes arguments by name"
            )
        annotation = (
            Any
            if parameter.annotation is inspect.Parameter.empty
            else parameter.annotation
        )
        default = (
            ... if parameter.default is inspect.Parameter.empty else parameter.default
        )
        fields[parameter.name] = (
            annotation,
            Field(default, description=argument_help.get(parameter.name)),
        )
    try:
        return create_model(
            f"{name}_arguments",
            __config__=ConfigDict(extra="forbid"),
            **fields,
        )
    except Exception as error:
        raise ToolDefinitionError(f"tool {name!r}: {error}") from error


def _parameters_schema(model: type[BaseModel]) -> dict[str, Any]:
    schema = model.model_json_schema()
    schema.pop("title", None)
    for field_schema in schema.get("properties", {}).values():
        field_schema.pop("title", None)
    return schema


def _parse_docstring(docstring: str) -> tuple[str, dict[str, str]]:
    """The summary paragraph and per-argument help of a Google or reST docstring."""
    summary_lines: list[str] = []
    argument_help: dict[str, str] = {}
    section: str | None = None
    current: str | None = None
    for line in docstring.splitlines():
        heading = _SECTION.match(line)
        if heading:
            section, current = heading.group(1), None
            continue
        parameter = _PARAM_LINE.match(line)
        if line.lstrip().startswith(":param") and parameter:
            section = "Args"
        if section is None:
            if not line.strip() and summary_lines:
                section = "body"
            elif line.strip():
                summary_lines.append(line.strip())
        elif section in ("Args", "Arguments", "Parameters") and parameter:
            current = parameter.group(1).lstrip("*")
            argument_help[current] = parameter.group(2).strip()
        elif line.lstrip().startswith(":"):
            current = None
        elif current and line.strip():
            argument_help[current] += " " + line.strip()
    return " ".join(summary_lines), argument_help


def _describe_validation_error(name: str, error: ValidationError) -> str:
    problems = "; ".join(
        f"{'.'.join(str(part) for part in problem['loc']) or 'arguments'}: "
        f"{problem['msg']}"
        for problem in error.errors()
    )
    return f"invalid arguments for {name!r}: {problems}"
