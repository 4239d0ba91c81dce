"""The service's machine-readable catalogue of operations, built from its routes."""

import copy
import re
from typing import Any

from fastapi import FastAPI

JsonSchema = dict[str, Any]

_COMPONENT_PREFIX = "#/components/schemas/"
_DEFS_PREFIX = "#/$defs/"
_HTTP_METHODS = frozenset(
    {"get", "put", "post", "delete", "options", "head", "patch", "trace"}
)


def build_definition(app: FastAPI) -> list[dict[str, Any]]:
    """Describe every operation: one entry per path and HTTP method.

    Each entry carries `endpoint`, `method`, `request_schema` and `response_schema`
    (self-contained JSON schemas, or None), plus name, summary, description and
    the path and query parameters. It is read from the app's OpenAPI document,
    which FastAPI builds from the routes, so the two never disagree.
    """
    spec = app.openapi()
    components: dict[str, JsonSchema] = spec.get("components", {}).get("schemas", {})
    operations: list[dict[str, Any]] = []
    names: set[str] = set()

    for path, path_item in spec.get("paths", {}).items():
        for method, operation in path_item.items():
            if method not in _HTTP_METHODS:
                continue
            parameters = operation.get("parameters", [])
            name = _unique_name(operation.get("operationId", ""), method, names)
            operations.append(
                {
                    "name": name,
                    "endpoint": path,
                    "method": method.upper(),
                    "summary": operation.get("summary", ""),
                    "description": operation.get("description", ""),
                    "tags": operation.get("tags", []),
                    "path_parameters": _parameters(parameters, "path", components),
                    "query_parameters": _parameters(parameters, "query", components),
                    "request_schema": _self_contained(
                        _request_body_schema(operation), components
                    ),
                    "response_schema": _self_contained(
                        _success_schema(operation), components
                    ),
                }
            )
    return operations


def _unique_name(operation_id: str, method: str, taken: set[str]) -> str:
    """FastAPI gives every method of a multi-method route the first method's id."""
    name = operation_id
    if name in taken:
        name = re.sub(r"_[a-z]+$", f"_{method}", operation_id)
    taken.add(name)
    return name


def _parameters(
    parameters: list[dict[str, Any]], location: str, components: dict[str, JsonSchema]
) -> list[dict[str, Any]]:
    return [
        {
            "name": parameter["name"],
            "required": parameter.get("required", False),
            "description": parameter.get("description", ""),
            "schema": _self_contained(parameter.get("schema"), components),
        }
        for parameter in parameters
        if parameter.get("in") == location
    ]


def _request_body_schema(operation: dict[str, Any]) -> JsonSchema | None:
    content = operation.get("requestBody", {}).get("content", {})
    for media_type in ("application/json", *content):
        if media_type in content:
            schema: JsonSchema | None = content[media_type].get("schema")
            return schema
    return None


def _success_schema(operation: dict[str, Any]) -> JsonSchema | None:
    for status, response in sorted(operation.get("responses", {}).items()):
        if status.startswith("2"):
            schema: JsonSchema | None = (
                response.get("content", {}).get("application/json", {}).get("schema")
            )
            return schema
    return None


def _self_contained(
    schema: JsonSchema | None, components: dict[str, JsonSchema]
) -> JsonSchema | None:
    """Inline a top-level reference and carry every other one along in `$defs`."""
    if not schema:
        return None
    top = schema
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith(_COMPONENT_PREFIX):
        top = components[ref.removeprefix(_COMPONENT_PREFIX)]

    needed: dict[str, JsonSchema] = {}
    _collect_references(top, components, needed)
    result: JsonSchema = _rewrite_references(copy.deepcopy(top))
    if needed:
        result["$defs"] = {
            name: _rewrite_references(copy.deepcopy(definition))
            for name, definition in needed.items()
        }
    return result


def _collect_references(
    node: Any, components: dict[str, JsonSchema], needed: dict[str, JsonSchema]
) -> None:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(_COMPONENT_PREFIX):
            name = ref.removeprefix(_COMPONENT_PREFIX)
            if name not in needed:
                needed[name] = components[name]
                _collect_references(components[name], components, needed)
        for value in node.values():
            _collect_references(value, components, needed)
    elif isinstance(node, list):
        for item in node:
            _collect_references(item, components, needed)


def _rewrite_references(node: Any) -> Any:
    if isinstance(node, dict):
        return {
            key: (
                value.replace(_COMPONENT_PREFIX, _DEFS_PREFIX, 1)
                if key == "$ref" and isinstance(value, str)
                else _rewrite_references(value)
            )
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [_rewrite_references(item) for item in node]
    return node
