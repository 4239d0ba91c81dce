from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel

from {{ cookiecutter.package_name }} import __version__
from {{ cookiecutter.package_name }}.api.definition import build_definition

# FastAPI warns that a multi-method route repeats one operation id; the
# definition gives each method its own name, which is what these tests check.
pytestmark = pytest.mark.filterwarnings("ignore:Duplicate Operation ID:UserWarning")

PROJECT_NAME = {{ cookiecutter.project_name | python_string }}

REQUIRED_KEYS = {
    "name",
    "endpoint",
    "method",
    "summary",
    "description",
    "path_parameters",
    "query_parameters",
    "request_schema",
    "response_schema",
}


class Cat(BaseModel):
    name: str


class Dog(BaseModel):
    name: str
    good: bool


class Node(BaseModel):
    value: int
    children: list["Node"] = []


def operation(
    definition: list[dict[str, Any]], method: str, endpoint: str
) -> dict[str, Any]:
    matches = [
        entry
        for entry in definition
        if entry["method"] == method and entry["endpoint"] == endpoint
    ]
    assert len(matches) == 1, f"{method} {endpoint} listed {len(matches)} times"
    return matches[0]


def references(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [ref for value in node.values() for ref in references(value)]
    if isinstance(node, list):
        return [ref for item in node for ref in references(item)]
    return []


@pytest.fixture
def zoo_app(app: FastAPI) -> FastAPI:
    """The service plus routes of every shape a definition must describe."""

    @app.api_route("/zoo/{zoo_id}/animals", methods=["GET", "POST"])
    async def animals(zoo_id: int, kind: str | None = None) -> list[Cat | Dog]:
        """All animals of one zoo."""
        return []

    @app.get("/zoo/tree")
    async def tree() -> Node:
        return Node(value=1)

    return app


def test_ident_returns_name_version_and_description(client: TestClient) -> None:
    response = client.get("/ident")

    assert response.status_code == 200
    body = response.json()
    assert body["name"] == PROJECT_NAME
    assert body["version"] == __version__
    assert isinstance(body["description"], str)


def test_definition_lists_every_operation_with_its_schemas(client: TestClient) -> None:
    definition = client.get("/mbxai-definition").json()

    assert isinstance(definition, list)
    for entry in definition:
        assert entry.keys() >= REQUIRED_KEYS, entry["endpoint"]
    hello = operation(definition, "POST", "/api/hello")
    assert hello["request_schema"]["properties"]["name"]["type"] == "string"
    assert hello["request_schema"]["required"] == ["name"]
    assert hello["response_schema"]["properties"]["message"]["type"] == "string"
    assert hello["summary"] == "Greet someone by name"
    assert operation(definition, "GET", "/ident")["request_schema"] is None


def test_definition_covers_every_method_of_a_route(zoo_app: FastAPI) -> None:
    definition = build_definition(zoo_app)

    get = operation(definition, "GET", "/zoo/{zoo_id}/animals")
    post = operation(definition, "POST", "/zoo/{zoo_id}/animals")
    assert get["name"].endswith("_get")
    assert post["name"].endswith("_post")
    assert get["description"] == "All animals of one zoo."


def test_definition_describes_path_and_query_parameters(zoo_app: FastAPI) -> None:
    entry = operation(build_definition(zoo_app), "GET", "/zoo/{zoo_id}/animals")

    [path_parameter] = entry["path_parameters"]
    assert path_parameter["name"] == "zoo_id"
    assert path_parameter["required"] is True
    assert path_parameter["schema"]["type"] == "integer"
    [query_parameter] = entry["query_parameters"]
    assert query_parameter["name"] == "kind"
    assert query_parameter["required"] is False


def test_list_of_union_response_has_a_self_contained_schema(zoo_app: FastAPI) -> None:
    schema = operation(build_definition(zoo_app), "GET", "/zoo/{zoo_id}/animals")[
        "response_schema"
    ]

    assert schema["type"] == "array"
    variants = schema["items"]["anyOf"]
    assert {variant["$ref"] for variant in variants} == {"#/$defs/Cat", "#/$defs/Dog"}
    assert schema["$defs"]["Dog"]["properties"]["good"]["type"] == "boolean"


def test_recursive_model_references_resolve_within_the_entry(zoo_app: FastAPI) -> None:
    schema = operation(build_definition(zoo_app), "GET", "/zoo/tree")["response_schema"]

    assert schema["properties"]["value"]["type"] == "integer"
    for ref in references(schema):
        assert ref.startswith("#/$defs/")
        assert ref.removeprefix("#/$defs/") in schema["$defs"]
