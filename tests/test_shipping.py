"""The baked project's shipping files, linted offline the way its users' CI would.

No Docker engine or cluster is needed: hadolint reads the Dockerfile, the Compose
spec's JSON schema checks docker-compose.yml, kubernetes-validate checks every
manifest strictly, and GitHub's workflow schema checks the CI workflow.
"""

import datetime
import hashlib
import re
import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import BakedProject, bake_into

DNS_LABEL = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
# Kubernetes' rules: a Service name is an RFC 1035 label (it starts with a letter);
# a Deployment name becomes the pods' host names, so it stays a DNS label too;
# ConfigMaps and Secrets may take any DNS subdomain.
RFC1035_LABEL = re.compile(r"^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$")
DNS_SUBDOMAIN = re.compile(
    r"^(?=.{1,253}$)[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$"
)
NAME_RULES = {
    "Service": RFC1035_LABEL,
    "Deployment": DNS_LABEL,
    "ConfigMap": DNS_SUBDOMAIN,
    "Secret": DNS_SUBDOMAIN,
}
LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$")

# The paths each shipping component owns, and words that give it away elsewhere.
COMPONENT_FILES = {
    "docker": ("Dockerfile", ".dockerignore", "docker-compose.yml"),
    "kubernetes": ("kubernetes",),
    "github_actions": (".github",),
}
COMPONENT_WORDS = {
    "docker": re.compile(r"docker", re.IGNORECASE),
    "kubernetes": re.compile(r"kubernetes|kubectl", re.IGNORECASE),
    "github_actions": re.compile(r"\.github/|github actions", re.IGNORECASE),
}

# The Apache License 2.0 as published, with the appendix's placeholder line.
APACHE_PLACEHOLDER = "   Copyright [yyyy] [name of copyright owner]"
APACHE_SHA256 = "cfc7749b96f63bd31c3c42b5c471bf756814053e847c10f3eb003417bc523d30"

RENAMED = {
    "project_name": "Support Bot 2",
    "port": "8080",
    "python_version": "3.13",
}
# The longest slug the pre-generation hook accepts.
LONGEST = {"project_slug": "s" * 63, "package_name": "shop"}


@dataclass(frozen=True)
class Baked(BakedProject):
    """A baked project, seen through its shipping files."""

    @property
    def root(self) -> Path:
        return self.path

    @property
    def port(self) -> int:
        return int(self.context["port"])

    @property
    def python_version(self) -> str:
        return str(self.context["python_version"])

    def text(self, relative: str) -> str:
        return self.read(relative)

    def yaml_documents(self, relative: str) -> list[dict[str, Any]]:
        return [doc for doc in yaml.safe_load_all(self.text(relative)) if doc]

    def manifests(self) -> list[Path]:
        """Every Kubernetes object file; kustomization.yaml is kustomize's own."""
        folder = self.root / "kubernetes"
        return sorted(
            path for path in folder.glob("*.yaml") if path.name != "kustomization.yaml"
        )

    def kubernetes_objects(self) -> dict[tuple[str, str], dict[str, Any]]:
        objects = {}
        for path in self.manifests():
            for document in yaml.safe_load_all(path.read_text(encoding="utf-8")):
                key = (document["kind"], document["metadata"]["name"])
                objects[key] = document
        return objects

    def deployment(self) -> dict[str, Any]:
        return self.kubernetes_objects()[("Deployment", self.dns_name)]

    def container(self) -> dict[str, Any]:
        containers = self.deployment()["spec"]["template"]["spec"]["containers"]
        assert [c["name"] for c in containers] == ["service"]
        return containers[0]

    def compose_service(self) -> dict[str, Any]:
        return yaml.safe_load(self.text("docker-compose.yml"))["services"]["service"]

    def dockerfile_instructions(self) -> list[tuple[str, str]]:
        """(INSTRUCTION, arguments) pairs, continuation lines joined."""
        joined = re.sub(r"\\\n\s*", " ", self.text("Dockerfile"))
        instructions = []
        for line in joined.splitlines():
            stripped = line.strip()
            if stripped and not stripped.startswith("#"):
                keyword, _, arguments = stripped.partition(" ")
                instructions.append((keyword.upper(), arguments.strip()))
        return instructions

    def dockerfile(self, keyword: str) -> list[str]:
        """The arguments of every instruction of one kind (USER, RUN, ...)."""
        return [
            args for name, args in self.dockerfile_instructions() if name == keyword
        ]

    def shipped_text_files(self) -> dict[str, str]:
        files = {}
        for paths in COMPONENT_FILES.values():
            for relative in paths:
                path = self.root / relative
                found = sorted(path.rglob("*")) if path.is_dir() else [path]
                for file in found:
                    if file.is_file():
                        key = file.relative_to(self.root).as_posix()
                        files[key] = file.read_text(encoding="utf-8")
        return files

    def all_text_files(self) -> dict[str, str]:
        return {self.relative(path): text for path, text in self.text_files().items()}


def bake(output_dir: Path, **answers: Any) -> Baked:
    project = bake_into(output_dir, answers)
    return Baked(path=project.path, context=project.context)


def markdown_prose(text: str) -> str:
    """The text outside fenced code blocks, whose Python ruff formats with PEP 8's
    two blank lines; a doubled blank line elsewhere is left-over template logic."""
    return re.sub(r"^```.*?^```$", "(code)", text, flags=re.MULTILINE | re.DOTALL)


def linter(name: str) -> str:
    """A linter from the template's dev environment, or a skip saying why not."""
    template_bin = str(Path(sys.executable).parent)
    found = shutil.which(name, path=template_bin) or shutil.which(name)
    if found is None:
        pytest.skip(f"{name} is not installed; `uv sync` installs the dev group")
    return found


def run(command: Sequence[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        list(command),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def check_against_builtin_schema(
    project: Baked, schema: str, relative: str
) -> subprocess.CompletedProcess[str]:
    """Validate one file with a JSON schema that check-jsonschema ships."""
    check_jsonschema = linter("check-jsonschema")
    command = [check_jsonschema, "--builtin-schema", f"vendor.{schema}", relative]
    return run(command, cwd=project.root)


def report(result: subprocess.CompletedProcess[str]) -> str:
    return (
        f"{' '.join(result.args)} exited with {result.returncode}\n"
        f"--- stdout ---\n{result.stdout}\n--- stderr ---\n{result.stderr}"
    )


@pytest.fixture(scope="module", params=["defaults", "renamed", "longest"])
def project(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Baked:
    """The default bake, one whose name, port and Python differ, the longest name."""
    answers = {"defaults": {}, "renamed": RENAMED, "longest": LONGEST}[request.param]
    return bake(tmp_path_factory.mktemp(request.param), **answers)


# --- Dockerfile --------------------------------------------------------------


def test_dockerfile_passes_hadolint(project: Baked) -> None:
    hadolint = linter("hadolint")

    result = run([hadolint, "--no-color", "Dockerfile"], cwd=project.root)

    assert result.returncode == 0, report(result)
    assert result.stdout.strip() == "", report(result)


def test_image_runs_as_a_numeric_non_root_user(project: Baked) -> None:
    users = project.dockerfile("USER")

    assert users, "the Dockerfile never leaves root"
    assert re.fullmatch(r"[1-9][0-9]*:[1-9][0-9]*", users[-1]), users[-1]


def test_image_checks_liveness_with_the_standard_library(project: Baked) -> None:
    checks = project.dockerfile("HEALTHCHECK")

    assert len(checks) == 1
    assert "/health/live" in checks[0]
    assert "urllib.request" in checks[0]
    assert not re.search(r"\b(curl|wget)\b", checks[0])


def test_image_installs_only_the_locked_runtime_dependencies(project: Baked) -> None:
    runs = project.dockerfile("RUN")
    copies = project.dockerfile("COPY")
    arguments = project.dockerfile("ARG")

    syncs = [command for command in runs if "uv sync" in command]
    assert syncs
    for command in syncs:
        assert "--frozen" in command
        assert "--no-dev" in command
        assert "--no-editable" in command
        assert "--mount=type=cache" in command
    assert any("uv.lock" in copy for copy in copies)
    assert any(re.fullmatch(r"UV_VERSION=\d+\.\d+\.\d+", args) for args in arguments)
    assert any('"uv==${UV_VERSION}"' in command for command in runs)


def test_image_serves_on_all_interfaces_at_the_chosen_port(project: Baked) -> None:
    env = " ".join(project.dockerfile("ENV"))
    prefix = project.env_prefix

    assert f"{prefix}_HOST=0.0.0.0" in env
    assert f"{prefix}_PORT={project.port}" in env
    assert re.search(rf"{prefix}_LOG_DIR=(\s|$)", env), "file logging stays on"
    assert project.dockerfile("EXPOSE") == [str(project.port)]
    assert project.dockerfile("CMD") == ['["service"]']


def test_image_builds_on_the_chosen_python(project: Baked) -> None:
    bases = project.dockerfile("FROM")

    assert f"PYTHON_VERSION={project.python_version}" in project.dockerfile("ARG")
    assert bases == [
        "python:${PYTHON_VERSION}-slim AS build",
        "python:${PYTHON_VERSION}-slim AS runtime",
    ]


def test_image_build_context_leaves_out_secrets_and_local_state(
    project: Baked,
) -> None:
    patterns = set(project.text(".dockerignore").split("\n"))
    copies = project.dockerfile("COPY")

    assert {".env", ".git", ".venv", "tests", "logs/*", "data/*"} <= patterns
    assert not any(re.search(r"(^|\s)\.env\b", copy) for copy in copies)
    assert not any(re.match(r"(--\S+\s+)*\.\s", copy) for copy in copies), (
        "COPY . would put whatever the context holds into the image"
    )


# --- docker-compose.yml ------------------------------------------------------


def test_compose_file_matches_the_compose_spec(project: Baked) -> None:
    result = check_against_builtin_schema(project, "compose-spec", "docker-compose.yml")

    assert result.returncode == 0, report(result)


def test_compose_requires_the_token_and_keeps_env_file_optional(
    project: Baked,
) -> None:
    service = project.compose_service()
    environment = service["environment"]

    assert re.fullmatch(
        r"\$\{OPENROUTER_TOKEN:\?[^}]+\}", environment["OPENROUTER_TOKEN"]
    )
    assert service["env_file"] == [{"path": ".env", "required": False}]
    assert environment[f"{project.env_prefix}_HOST"] == "0.0.0.0"
    assert environment[f"{project.env_prefix}_PORT"] == str(project.port)
    assert environment[f"{project.env_prefix}_LOG_DIR"] == ""


def test_compose_service_is_hardened_and_health_checked(project: Baked) -> None:
    compose = yaml.safe_load(project.text("docker-compose.yml"))
    service = compose["services"]["service"]

    assert DNS_LABEL.match(compose["name"]), compose["name"]
    assert service["image"].split(":")[0] == project.dns_name
    assert service["build"]["context"] == "."
    assert service["ports"] == [f"127.0.0.1:{project.port}:{project.port}"]
    assert service["read_only"] is True
    assert service["cap_drop"] == ["ALL"]
    assert "no-new-privileges:true" in service["security_opt"]
    assert service["restart"] == "unless-stopped"
    health_check = " ".join(service["healthcheck"]["test"])
    assert f"127.0.0.1:{project.port}/health/live" in health_check


# --- kubernetes/ -------------------------------------------------------------


def test_kubernetes_manifests_pass_strict_validation(project: Baked) -> None:
    kubernetes_validate = linter("kubernetes-validate")
    manifests = [path.name for path in project.manifests()]

    result = run(
        [kubernetes_validate, "--strict", *manifests], cwd=project.root / "kubernetes"
    )

    assert result.returncode == 0, report(result)
    # An unknown kind or apiVersion is only a warning to the validator.
    assert "Couldn't find schema" not in result.stdout + result.stderr, report(result)
    assert "secret.example.yaml" in manifests


def test_kustomization_applies_every_manifest_but_the_secret_template(
    project: Baked,
) -> None:
    kustomization = yaml.safe_load(project.text("kubernetes/kustomization.yaml"))
    manifests = {path.name for path in project.manifests()}

    assert kustomization["kind"] == "Kustomization"
    assert set(kustomization["resources"]) == manifests - {"secret.example.yaml"}
    image_names = [image["name"] for image in kustomization["images"]]
    assert project.container()["image"].split(":")[0] in image_names


def test_kubernetes_names_and_labels_are_dns_safe(project: Baked) -> None:
    objects = project.kubernetes_objects()

    assert objects
    for (kind, name), document in objects.items():
        assert NAME_RULES[kind].match(name), f"{kind} {name!r} breaks its naming rule"
        assert name.startswith(project.dns_name), f"{kind} {name!r}"
        for key, value in document["metadata"].get("labels", {}).items():
            assert LABEL_VALUE.match(value), f"{kind} {name}: label {key}={value!r}"
    assert project.container()["image"].startswith(f"{project.dns_name}:")


def test_deployment_probes_the_health_routes(project: Baked) -> None:
    container = project.container()
    ports = {port["name"]: port["containerPort"] for port in container["ports"]}

    assert ports == {"http": project.port}
    for probe, path in [
        ("startupProbe", "/health/live"),
        ("livenessProbe", "/health/live"),
        ("readinessProbe", "/health/ready"),
    ]:
        assert container[probe]["httpGet"] == {"path": path, "port": "http"}, probe


def test_deployment_runs_locked_down_within_its_resources(project: Baked) -> None:
    pod = project.deployment()["spec"]["template"]["spec"]
    container = project.container()
    image_user = project.dockerfile("USER")[-1]

    assert pod["securityContext"]["runAsNonRoot"] is True
    assert f"{pod['securityContext']['runAsUser']}" == image_user.split(":")[0]
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert pod["enableServiceLinks"] is False
    assert container["securityContext"] == {
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "capabilities": {"drop": ["ALL"]},
    }
    mounts = {mount["name"]: mount["mountPath"] for mount in container["volumeMounts"]}
    volumes = {volume["name"]: volume for volume in pod["volumes"]}
    assert "emptyDir" in volumes[next(k for k, v in mounts.items() if v == "/tmp")]
    for bound in ("requests", "limits"):
        assert set(container["resources"][bound]) == {"cpu", "memory"}, bound


def test_deployment_reads_settings_and_secrets_it_can_find(project: Baked) -> None:
    objects = project.kubernetes_objects()
    sources = project.container()["envFrom"]
    config_map = objects[("ConfigMap", f"{project.dns_name}-config")]["data"]
    prefix = project.env_prefix

    referenced = {
        ("ConfigMap", source["configMapRef"]["name"])
        if "configMapRef" in source
        else ("Secret", source["secretRef"]["name"])
        for source in sources
    }
    assert referenced <= set(objects), "envFrom names an object nobody ships"
    assert config_map[f"{prefix}_HOST"] == "0.0.0.0"
    assert config_map[f"{prefix}_PORT"] == str(project.port)
    assert config_map[f"{prefix}_LOG_DIR"] == ""
    assert "OPENROUTER_TOKEN" not in config_map


def test_cluster_service_routes_to_the_deployment_pods(project: Baked) -> None:
    service = project.kubernetes_objects()[("Service", project.dns_name)]
    pod_labels = project.deployment()["spec"]["template"]["metadata"]["labels"]

    assert service["spec"]["selector"].items() <= pod_labels.items()
    assert service["spec"]["ports"] == [
        {"name": "http", "port": project.port, "targetPort": "http", "protocol": "TCP"}
    ]


# --- .github/workflows -------------------------------------------------------


def test_workflow_matches_the_github_workflow_schema(project: Baked) -> None:
    result = check_against_builtin_schema(
        project, "github-workflows", ".github/workflows/ci.yml"
    )

    assert result.returncode == 0, report(result)


def test_workflow_checks_the_locked_environment_on_push_and_pull_request(
    project: Baked,
) -> None:
    text = project.text(".github/workflows/ci.yml")
    workflow = yaml.safe_load(text)
    steps = workflow["jobs"]["check"]["steps"]
    commands = [step["run"] for step in steps if "run" in step]
    actions = [step["uses"] for step in steps if "uses" in step]

    # PyYAML reads the bare key `on` as the boolean True.
    assert set(workflow[True]) == {"push", "pull_request"}
    assert commands == [
        "uv sync --locked",
        "uv run ruff check .",
        "uv run ruff format --check .",
        "uv run mypy src",
        "uv run pytest",
    ]
    assert any(re.fullmatch(r"actions/checkout@v\d+", uses) for uses in actions)
    assert any(
        re.fullmatch(r"astral-sh/setup-uv@v\d+\.\d+\.\d+", uses) for uses in actions
    )
    assert "${{ github.ref }}" in text, "a GitHub expression did not survive Jinja"
    image_steps = [step.get("run", "") for step in workflow["jobs"]["image"]["steps"]]
    assert f"docker build --tag {project.dns_name}:ci ." in image_steps


# --- all shipping files ------------------------------------------------------


def test_no_shipped_file_holds_a_secret(project: Baked) -> None:
    files = project.shipped_text_files()
    assignment = re.compile(r"OPENROUTER_TOKEN\s*[:=]\s*(\S+)")

    assert files
    for relative, text in files.items():
        for value in assignment.findall(text):
            is_reference = value.lstrip("\"'").startswith("$")
            assert is_reference or value == "replace-me", f"{relative}: {value}"
        assert not re.search(r"\bsk-[A-Za-z0-9-]{8,}", text), relative


@pytest.mark.parametrize("component", sorted(COMPONENT_FILES))
def test_a_switched_off_shipping_component_leaves_no_trace(
    component: str, tmp_path: Path
) -> None:
    project = bake(tmp_path, **{component: False})

    for relative in COMPONENT_FILES[component]:
        assert not (project.root / relative).exists(), relative
    for other in set(COMPONENT_FILES) - {component}:
        for relative in COMPONENT_FILES[other]:
            assert (project.root / relative).exists(), relative
    for relative, text in project.all_text_files().items():
        match = COMPONENT_WORDS[component].search(text)
        assert match is None, f"{relative} mentions {match and match.group()!r}"
    assert "\n\n\n" not in markdown_prose(project.text("README.md"))


def test_without_shipping_components_the_readme_has_no_ship_section(
    tmp_path: Path,
) -> None:
    project = bake(tmp_path, docker=False, kubernetes=False, github_actions=False)

    readme = project.text("README.md")

    assert "## Ship it" not in readme
    assert "\n\n\n" not in markdown_prose(readme)
    assert not (project.root / ".dockerignore").exists()


def test_apache_license_is_the_published_text_with_the_author(tmp_path: Path) -> None:
    project = bake(
        tmp_path, open_source_license="Apache-2.0", author_name="Ada Lovelace"
    )
    year = datetime.datetime.now(datetime.UTC).year

    text = project.text("LICENSE")

    copyright_line = f"   Copyright {year} Ada Lovelace"
    assert text.count(copyright_line) == 1
    published = text.replace(copyright_line, APACHE_PLACEHOLDER).encode()
    assert hashlib.sha256(published).hexdigest() == APACHE_SHA256
