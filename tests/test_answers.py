"""Each answer to the template's questions bakes a valid project or is refused."""

import re
import shlex
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import (
    ALL_OFF,
    ALL_ON,
    DNS_LABEL,
    ENV_NAME,
    TEMPLATE_DIR,
    BakedProject,
    Refusal,
    bake_on_command_line,
    traces_of_removed,
)

Bake = Callable[..., BakedProject]
RefusedBake = Callable[..., Refusal]

# A name the hook suggests, written as it should be typed: package_name="x".
SUGGESTED_ANSWER = re.compile(r'(\w+)="([^"]*)"')


def bake_the_suggestion(bake: Bake, answers: dict[str, Any], error: str) -> None:
    """The fix the refusal suggests must itself be accepted."""
    suggestion = SUGGESTED_ANSWER.search(error)
    assert suggestion, f"no answer to type instead in: {error}"
    question, answer = suggestion.groups()

    project = bake(**{**answers, question: answer})

    project.assert_valid()


def test_unicode_project_name_bakes_ascii_names(bake: Bake) -> None:
    name = "Ünïcode Shop's API"

    project = bake(project_name=name)

    project.assert_valid()
    assert project.context["project_slug"].isascii()
    assert project.package.isascii()
    assert project.package.isidentifier()
    assert project.read("README.md").splitlines()[0] == f"# {name}"
    assert name in project.string_literals()


def test_hyphenated_name_gives_a_package_and_valid_variable_names(
    bake: Bake,
) -> None:
    project = bake(project_name="my-app")

    project.assert_valid()
    assert project.package == "my_app"
    assert project.package_dir.is_dir()
    names = prefixed_names(project, "MY_APP")
    assert names, "no MY_APP_* variable found anywhere"
    assert "MY_APP_PORT" in names
    invalid = {name: where for name, where in names.items() if not ENV_NAME.match(name)}
    assert not invalid, invalid


def prefixed_names(project: BakedProject, prefix: str) -> dict[str, str]:
    """Every word containing the prefix in any spelling, and one place it occurs."""
    loose = re.compile(r"[\w.-]*" + r"[_\-.]?".join(prefix.split("_")) + r"[\w.-]*")
    names: dict[str, str] = {}
    for path, text in project.text_files().items():
        for match in loose.finditer(text):
            names.setdefault(match.group().rstrip("."), project.relative(path))
    return names


@pytest.mark.parametrize(
    ("project_name", "derived_name"),
    [("class", "class"), ("import", "import"), ("123 Start", "123_start")],
)
def test_project_name_that_is_no_package_is_refused_with_a_fix(
    bake: Bake, refused_bake: RefusedBake, project_name: str, derived_name: str
) -> None:
    refusal = refused_bake(project_name=project_name)

    error = refusal.assert_one_clear_error(repr(derived_name))
    bake_the_suggestion(bake, {"project_name": project_name}, error)


@pytest.mark.parametrize(
    "package_name", ["mcp", "celery", "fastapi", "redis", "json", "logging"]
)
def test_package_name_that_shadows_a_module_is_refused(
    bake: Bake, refused_bake: RefusedBake, package_name: str
) -> None:
    refusal = refused_bake(package_name=package_name)

    error = refusal.assert_one_clear_error(repr(package_name), "shadow")
    bake_the_suggestion(bake, {"package_name": package_name}, error)


@pytest.mark.parametrize(
    ("package_name", "suggested"), [("mcp", "mcp_service"), ("my-pkg", "my_pkg")]
)
def test_refusal_of_a_typed_package_name_blames_only_that_answer(
    bake: Bake, refused_bake: RefusedBake, package_name: str, suggested: str
) -> None:
    refusal = refused_bake(package_name=package_name)

    error = refusal.assert_one_clear_error(f"package_name {package_name!r} ")
    assert "project_name" not in error
    assert error.endswith(f'; set package_name="{suggested}"')
    bake_the_suggestion(bake, {"package_name": package_name}, error)


@pytest.mark.parametrize("question", ["project_name", "project_slug"])
def test_refusal_of_a_derived_package_name_names_the_answer_it_came_from(
    refused_bake: RefusedBake, question: str
) -> None:
    refusal = refused_bake(**{question: "class"})

    error = refusal.assert_one_clear_error(
        f"package_name 'class' (from {question} 'class')"
    )
    assert error.endswith(
        f'; choose another {question} or set package_name="class_service"'
    )


def test_refusal_without_slugify_names_no_origin(
    refused_bake: RefusedBake, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The hook runs in a fresh interpreter: shadow python-slugify there only.
    no_slugify = tmp_path / "no_slugify"
    no_slugify.mkdir()
    (no_slugify / "slugify.py").write_text('raise ImportError("no slugify")\n')
    monkeypatch.setenv("PYTHONPATH", str(no_slugify))

    refusal = refused_bake(project_name="class")

    error = refusal.assert_one_clear_error("package_name 'class' is a Python keyword")
    assert error.endswith('; set package_name="class_service"')


@pytest.mark.parametrize(
    ("project_name", "reason"), [("test", "shadow"), ("src", "src/src/")]
)
def test_project_name_giving_a_reserved_package_name_is_refused(
    bake: Bake, refused_bake: RefusedBake, project_name: str, reason: str
) -> None:
    refusal = refused_bake(project_name=project_name)

    error = refusal.assert_one_clear_error(f"package_name {project_name!r}", reason)
    bake_the_suggestion(bake, {"project_name": project_name}, error)


@pytest.mark.parametrize(
    "answers", [{"project_name": "class"}, {"version": "banana"}], ids=str
)
def test_refusal_on_the_command_line_is_one_line_without_traceback(
    tmp_path: Path, answers: dict[str, str]
) -> None:
    result = bake_on_command_line(tmp_path, answers, check=False)

    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert "Traceback" not in output, output
    assert len([line for line in output.splitlines() if "ERROR" in line]) == 1, output
    assert [path.name for path in tmp_path.iterdir() if path.name[0] != "."] == []


@pytest.mark.parametrize(
    ("answers", "last_line_names"),
    [
        ({"python_version": "3.11"}, "['3.12', '3.13']"),
        ({"worker": "maybe"}, "boolean"),
    ],
    ids=["choice", "yes-no"],
)
def test_answer_outside_the_choices_is_stopped_by_cookiecutter_as_documented(
    tmp_path: Path, answers: dict[str, str], last_line_names: str
) -> None:
    result = bake_on_command_line(tmp_path, answers, check=False)

    output = (result.stdout + result.stderr).strip()
    assert result.returncode != 0, output
    assert last_line_names in output.splitlines()[-1], output
    assert [path.name for path in tmp_path.iterdir() if path.name[0] != "."] == []
    assert "`python_version=3.11`" in readme_section("Known limits")


def readme_section(title: str) -> str:
    """The text under one `## title` heading of the template's README."""
    readme = (TEMPLATE_DIR / "README.md").read_text(encoding="utf-8")
    section = re.search(
        rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", readme, re.M | re.S
    )
    assert section, f"the README has no section {title!r}"
    return section.group(1)


def test_readme_example_refusal_is_what_the_hook_prints(
    refused_bake: RefusedBake,
) -> None:
    example = re.search(
        r"^\$ uvx cookiecutter \. --no-input (\w+)=(\S+)\n(ERROR: .*)$",
        readme_section("What you are asked"),
        re.M,
    )
    assert example, "the README no longer shows an example refusal"
    question, answer, shown = example.groups()

    refusal = refused_bake(**{question: answer})

    assert refusal.errors == [shown]


def test_readme_tests_and_limits_name_the_same_workflow_check() -> None:
    testing = readme_section("Testing the template")
    limits = readme_section("Known limits")

    assert "GitHub's workflow schema" in testing
    assert "GitHub's workflow schema" in limits
    assert "actionlint" not in testing


def test_author_name_with_quotes_and_backslash_is_kept_verbatim(bake: Bake) -> None:
    author = 'O\'Brien \\ "Jr"'

    project = bake(author_name=author)

    project.assert_valid()
    assert project.pyproject()["project"]["authors"][0]["name"] == author
    assert author in project.read("LICENSE")


def test_author_email_that_is_no_address_is_refused(
    refused_bake: RefusedBake,
) -> None:
    refusal = refused_bake(author_email="not-an-email")

    refusal.assert_one_clear_error("author_email", "not-an-email")


def test_version_that_is_not_pep_440_is_refused(refused_bake: RefusedBake) -> None:
    refusal = refused_bake(version="banana")

    refusal.assert_one_clear_error("banana", "PEP 440")


def test_slug_longer_than_a_dns_label_is_refused(refused_bake: RefusedBake) -> None:
    refusal = refused_bake(project_slug="a" * 64)

    refusal.assert_one_clear_error("project_slug", "63")


def test_slug_starting_with_a_digit_is_refused(
    bake: Bake, refused_bake: RefusedBake
) -> None:
    answers = {"project_slug": "2nd-service", "package_name": "second_service"}

    refusal = refused_bake(**answers)

    error = refusal.assert_one_clear_error("project_slug", "letter")
    bake_the_suggestion(bake, answers, error)


def test_slug_of_exactly_63_characters_bakes(bake: Bake) -> None:
    project = bake(project_slug="s" * 63, package_name="shop")

    project.assert_valid()
    assert DNS_LABEL.match(project.dns_name)


def test_longest_accepted_package_name_bakes_a_valid_project(bake: Bake) -> None:
    # Import lines grow with the package name; the hook caps it at 30 characters.
    project = bake(package_name="revenue_forecasting_assistants")

    project.assert_valid()


def test_long_project_name_is_refused_with_a_shorter_package(
    bake: Bake, refused_bake: RefusedBake
) -> None:
    answers = {"project_name": "Quarterly Revenue Forecasting And Reconciliation Bot"}

    refusal = refused_bake(**answers)

    error = refusal.assert_one_clear_error("package_name")
    bake_the_suggestion(bake, answers, error)


def test_every_component_off_bakes_without_a_trace_of_them(bake: Bake) -> None:
    project = bake(**ALL_OFF)

    project.assert_valid()
    for absent in ("Dockerfile", "docker-compose.yml", "kubernetes", ".github"):
        assert not project.has_file(absent)
    assert traces_of_removed(project) == []


def test_every_component_on_bakes(bake: Bake) -> None:
    project = bake(**ALL_ON)

    project.assert_valid()
    assert traces_of_removed(project) == []


def test_next_steps_change_to_the_project_wherever_it_was_baked(
    bake: Bake, capfd: pytest.CaptureFixture[str]
) -> None:
    capfd.readouterr()

    project = bake()

    output = capfd.readouterr().out
    assert project.path.parent != Path.cwd()
    cd_lines = [line for line in output.splitlines() if line.strip().startswith("cd ")]
    assert [shlex.split(line) for line in cd_lines] == [["cd", str(project.path)]]


def test_default_description_promises_only_what_is_baked(bake: Bake) -> None:
    project = bake()

    description = project.pyproject()["project"]["description"]
    assert "FastAPI" in description
    assert "OpenRouter" in description
    to_come = r"\b(mcp|worker|task|celery|ui|flask|database|sql)\b"
    assert re.findall(to_come, description, re.IGNORECASE) == []


# A phrase only the chosen license's text contains.
LICENSE_TEXTS = {
    "MIT": "Permission is hereby granted, free of charge",
    "Apache-2.0": "Apache License",
    "BSD-3-Clause": "Neither the name of the copyright holder",
    "Proprietary": "All rights reserved",
}


@pytest.mark.parametrize("license_name", sorted(LICENSE_TEXTS))
def test_each_license_choice_installs_its_text_and_metadata(
    bake: Bake, license_name: str
) -> None:
    project = bake(open_source_license=license_name, author_name="Ada Lovelace")

    text = project.read("LICENSE")
    assert LICENSE_TEXTS[license_name] in text
    others = [phrase for name, phrase in LICENSE_TEXTS.items() if name != license_name]
    assert not [phrase for phrase in others if phrase in text]
    assert not project.has_file("licenses")
    metadata = project.pyproject()["project"]
    if license_name == "Proprietary":
        assert "license" not in metadata
        assert "Ada Lovelace" in text
    else:
        assert metadata["license"] == license_name
    project.assert_valid()


@pytest.mark.parametrize(
    "answers",
    [
        {"project_name": "Ünïcode Shop's API"},
        {"project_name": "my-app"},
        {"project_name": "A 2nd service"},
        {"project_slug": "long-" * 10 + "name-tail", "package_name": "long_name"},
        {"project_slug": "s" * 63, "package_name": "shop"},
    ],
    ids=["unicode", "hyphen", "digit", "hyphenated-slug", "63-chars"],
)
def test_derived_names_are_valid_wherever_they_are_used(
    bake: Bake, answers: dict[str, str]
) -> None:
    project = bake(**answers)

    assert DNS_LABEL.match(project.dns_name), project.dns_name
    assert ENV_NAME.match(project.env_prefix + "_NAME"), project.env_prefix
    assert project.package.isidentifier()
    assert DNS_LABEL.match(project.pyproject()["project"]["name"])
    problems = list(invalid_shipping_names(project))
    assert not problems, "\n".join(problems)
    assert not invalid_env_example_names(project)
    project.assert_valid()


def invalid_shipping_names(project: BakedProject) -> Iterator[str]:
    """Names in compose and Kubernetes files that their tools would reject."""
    for relative, document in project.yaml_documents():
        if not isinstance(document, dict):
            continue
        if "compose" in Path(relative).name:
            yield from _invalid_compose_names(relative, document)
        if "apiVersion" in document and "kind" in document:
            yield from _invalid_kubernetes_names(relative, document)


COMPOSE_SERVICE = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")
# Image reference: lowercase path components, an optional tag.
IMAGE = re.compile(
    r"^([a-z0-9.-]+(:[0-9]+)?/)?[a-z0-9]+([._-][a-z0-9]+)*(/[a-z0-9]+([._-][a-z0-9]+)*)*"
    r"(:[\w][\w.-]{0,127})?(@sha256:[0-9a-f]{64})?$"
)
INTERPOLATION = re.compile(r"\$\{\w+(?::?[-?])([^}]*)\}")


def _image_problem(relative: str, image: Any) -> str | None:
    # Compose fills ${VAR:-default} in; judge the image a user gets by default.
    resolved = INTERPOLATION.sub(lambda match: match.group(1), str(image))
    if "$" in resolved or IMAGE.match(resolved):
        return None
    return f"{relative}: image {image!r} is not a valid image reference"


def _environment_names(environment: Any) -> list[str]:
    if isinstance(environment, dict):
        return [str(name) for name in environment]
    if isinstance(environment, list):
        return [str(item).split("=", 1)[0] for item in environment]
    return []


def _invalid_compose_names(relative: str, document: dict[str, Any]) -> Iterator[str]:
    for name, service in (document.get("services") or {}).items():
        if not COMPOSE_SERVICE.match(name):
            yield f"{relative}: compose service {name!r}"
        service = service or {}
        if "image" in service and (
            problem := _image_problem(relative, service["image"])
        ):
            yield problem
        for variable in _environment_names(service.get("environment")):
            if not ENV_NAME.match(variable):
                yield f"{relative}: {name} environment variable {variable!r}"


# Kubernetes name rules: Services are RFC 1035 labels; workloads are best kept to
# DNS labels because their pods and hostnames take the name; the rest are
# RFC 1123 subdomains. Kustomize's own file is no cluster object.
RFC_1035_LABEL = re.compile(r"^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$")
DNS_SUBDOMAIN = re.compile(
    r"^(?=.{1,253}$)[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$"
)
LABEL_VALUE = re.compile(r"^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$")
WORKLOADS = frozenset({"Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob"})


def _name_rule(kind: str) -> re.Pattern[str]:
    if kind == "Service":
        return RFC_1035_LABEL
    if kind in WORKLOADS:
        return DNS_LABEL
    return DNS_SUBDOMAIN


def _invalid_kubernetes_names(relative: str, document: dict[str, Any]) -> Iterator[str]:
    if str(document["apiVersion"]).startswith("kustomize.config.k8s.io"):
        return
    kind = str(document["kind"])
    metadata = document.get("metadata") or {}
    name = str(metadata.get("name", ""))
    if not _name_rule(kind).match(name):
        yield f"{relative}: {kind} name {name!r} breaks Kubernetes' naming rule"
    for key, value in (metadata.get("labels") or {}).items():
        if not LABEL_VALUE.match(str(value)):
            yield f"{relative}: label {key}={value!r} is not a valid label value"
    if kind == "ConfigMap":
        for key in document.get("data") or {}:
            if not ENV_NAME.match(key):
                yield f"{relative}: ConfigMap key {key!r} is no variable name"
    for container in _containers(document):
        if not DNS_LABEL.match(str(container.get("name", ""))):
            yield f"{relative}: container name {container.get('name')!r}"
        if "image" in container and (
            problem := _image_problem(relative, container["image"])
        ):
            yield problem
        for variable in container.get("env") or []:
            if not ENV_NAME.match(str(variable.get("name", ""))):
                yield f"{relative}: container variable {variable.get('name')!r}"


def _containers(document: dict[str, Any]) -> list[dict[str, Any]]:
    spec = document.get("spec") or {}
    pod = (spec.get("template") or {}).get("spec") or spec
    return [
        *(pod.get("containers") or []),
        *(pod.get("initContainers") or []),
    ]


def invalid_env_example_names(project: BakedProject) -> list[str]:
    """Variables set (or shown commented out) in .env.example with a bad name."""
    if not project.has_file(".env.example"):
        return []
    assignment = re.compile(r"^#?\s*([^\s=#]+)=")
    return [
        match.group(1)
        for line in project.read(".env.example").splitlines()
        if (match := assignment.match(line)) and not ENV_NAME.match(match.group(1))
    ]


@pytest.mark.parametrize("project_name", ["", "   "])
def test_empty_project_name_is_refused_by_the_hook(
    refused_bake: RefusedBake, project_name: str
) -> None:
    refusal = refused_bake(project_name=project_name)

    refusal.assert_one_clear_error("project_name is empty", "My AI Service")
