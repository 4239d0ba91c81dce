"""Response models as strict JSON schemas, the form structured output requires."""

import copy
import re
from typing import Any

from pydantic import BaseModel

from .errors import SchemaNotSupportedError

# Keywords every strict-mode provider accepts. Others (minLength, default, ...)
# are left out of what is sent; the reply is still validated against the model.
_KEPT_KEYWORDS = {
    "type",
    "description",
    "properties",
    "required",
    "additionalProperties",
    "items",
    "anyOf",
    "enum",
    "const",
    "$ref",
    "$defs",
    "title",
    "format",
    "pattern",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
    "minItems",
    "maxItems",
}
_KEPT_FORMATS = {
    "date-time",
    "time",
    "date",
    "duration",
    "email",
    "hostname",
    "ipv4",
    "ipv6",
    "uuid",
}
_SCHEMA_NAME_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")


def response_format_for(model: type[BaseModel]) -> dict[str, Any]:
    """The `response_format` argument asking for replies that fit `model`."""
    return {
        "type": "json_schema",
        "json_schema": {
            "name": _SCHEMA_NAME_UNSAFE.sub("_", model.__name__)[:64],
            "strict": True,
            "schema": strict_schema(model),
        },
    }


def strict_schema(model: type[BaseModel]) -> dict[str, Any]:
    """`model`'s JSON schema in strict form, or SchemaNotSupportedError naming the
    field that strict mode cannot express."""
    if not (isinstance(model, type) and issubclass(model, BaseModel)):
        raise SchemaNotSupportedError(
            f"response models must be pydantic BaseModel classes, not {model!r}"
        )
    schema = model.model_json_schema()
    definitions = schema.get("$defs", {})
    converted = _convert(schema, model.__name__, definitions)
    if definitions:
        converted["$defs"] = {
            name: _convert(definition, name, definitions)
            for name, definition in definitions.items()
        }
    return converted


def _convert(
    schema: dict[str, Any], where: str, defs: dict[str, Any]
) -> dict[str, Any]:
    if "$ref" in schema and len(schema) > 1:
        # Strict mode wants a bare $ref; fold the siblings into a copy of the target.
        target = copy.deepcopy(defs[schema["$ref"].rsplit("/", 1)[-1]])
        extra = {key: value for key, value in schema.items() if key != "$ref"}
        schema = target | extra
    if "oneOf" in schema:
        schema = {key: value for key, value in schema.items() if key != "oneOf"} | {
            "anyOf": schema["oneOf"]
        }
    _refuse_inexpressible(schema, where)

    converted: dict[str, Any] = {}
    for key, value in schema.items():
        if key not in _KEPT_KEYWORDS or key == "$defs":
            continue
        if key == "format" and value not in _KEPT_FORMATS:
            continue
        if key == "properties":
            converted[key] = {
                name: _convert(field, f"{where}.{name}", defs)
                for name, field in value.items()
            }
        elif key == "items":
            converted[key] = _convert(value, f"{where}[]", defs)
        elif key == "anyOf":
            converted[key] = [_convert(option, where, defs) for option in value]
        else:
            converted[key] = value
    if converted.get("type") == "object":
        # Strict mode: every property listed as required, nothing else allowed.
        # Optional fields stay optional through their `null` alternative.
        converted["required"] = list(converted.get("properties", {}))
        converted["additionalProperties"] = False
    return converted


def _refuse_inexpressible(schema: dict[str, Any], where: str) -> None:
    if not schema:
        raise SchemaNotSupportedError(
            f"{where} accepts any value (Any or no annotation), which strict "
            "structured output cannot express; give it a concrete type"
        )
    if schema.get("type") == "object" and "properties" not in schema:
        raise SchemaNotSupportedError(
            f"{where} is a mapping with free-form keys (such as dict[str, str]), "
            "which strict structured output cannot express; use a nested model or "
            "a list of key/value models instead"
        )
    if "prefixItems" in schema:
        raise SchemaNotSupportedError(
            f"{where} is a fixed-length tuple, which strict structured output "
            "cannot express; use a list or a nested model instead"
        )
    if "allOf" in schema or "not" in schema:
        raise SchemaNotSupportedError(
            f"{where} combines schemas with allOf/not, which strict structured "
            "output cannot express"
        )
