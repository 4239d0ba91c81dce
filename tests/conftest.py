"""Bake projects from the template and inspect them the way a user would."""

import ast
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import pytest
import yaml
from cookiecutter.exceptions import FailedHookException
from cookiecutter.main import cookiecutter

TEMPLATE_DIR = Path(__file__).resolve().parents[1]
TEMPLATE_VENV = TEMPLATE_DIR / ".venv"
SKIP_LOCK_VARIABLE = "AI_SERVICE_TEMPLATE_SKIP_LOCK"

# The yes/no questions, in the order cookiecutter.json asks them.
COMPONENTS = (
    "worker",
    "ui",
    "database",
    "mcp_server",
    "docker",
    "kubernetes",
    "github_actions",
)
ALL_OFF = dict.fromkeys(COMPONENTS, False)
ALL_ON = dict.fromkeys(COMPONENTS, True)

# Directories a bake or a tool run leaves behind that are not part of the project.
NOT_PROJECT_FILES = frozenset(
    {".git", ".venv", ".mypy_cache", ".ruff_cache", ".pytest_cache", "__pycache__"}
)
YAML_SUFFIXES = (".yml", ".yaml")
# Text a rendered file must never contain: a variable or tag that escaped Jinja.
TEMPLATE_RESIDUE = re.compile(r"\{\{-?\s*cookiecutter|cookiecutter\.[a-z_]|\{%|%\}")
# Folders whose files are Jinja templates of the baked app itself (Flask's).
OWN_JINJA_FOLDERS = frozenset({"templates"})
DNS_LABEL = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
ENV_NAME = re.compile(r"^[A-Z_][A-Z0-9_]*$")

# Outer variables that would make a baked project's commands use the template's
# tools instead of its own. Machine-level uv settings (cache, index) are kept.
_STRIPPED_VARIABLES = frozenset(
    {
        "VIRTUAL_ENV",
        "VIRTUAL_ENV_PROMPT",
        "CONDA_PREFIX",
        "CONDA_DEFAULT_ENV",
        "PYTHONPATH",
        "PYTHONHOME",
        "PYTHONSTARTUP",
        "PYTHONSAFEPATH",
        "PYENV_VERSION",
        # Set for the in-process bakes only; a user's bake runs `uv lock`.
        SKIP_LOCK_VARIABLE,
    }
)
_STRIPPED_PREFIXES = ("UV_", "PYTEST_", "COV_CORE_", "_PYTEST")
_KEPT_UV_VARIABLES = frozenset(
    {
        "UV_CACHE_DIR",
        "UV_DEFAULT_INDEX",
        "UV_INDEX_URL",
        "UV_EXTRA_INDEX_URL",
        "UV_NATIVE_TLS",
        "UV_HTTP_TIMEOUT",
    }
)


def clean_environment(overrides: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment a user's shell would have: no trace of the template's venv."""
    outer_bins = {str(TEMPLATE_VENV / "bin")}
    if os.environ.get("VIRTUAL_ENV"):
        outer_bins.add(str(Path(os.environ["VIRTUAL_ENV"]) / "bin"))

    environment = {
        name: value
        for name, value in os.environ.items()
        if name not in _STRIPPED_VARIABLES
        and (name in _KEPT_UV_VARIABLES or not name.startswith(_STRIPPED_PREFIXES))
    }
    environment["PATH"] = os.pathsep.join(
        entry
        for entry in environment.get("PATH", "").split(os.pathsep)
        if entry and entry.rstrip("/") not in outer_bins
    )
    environment.update(overrides or {})
    return environment


def run_command(
    command: Sequence[str | Path],
    cwd: Path,
    env: Mapping[str, str] | None = None,
    timeout: float = 600,
    check: bool = True,
) -> subprocess.CompletedProcess[str]:
    """Run a command in a clean environment; on failure, fail with its output."""
    arguments = [str(part) for part in command]
    try:
        result = subprocess.run(
            arguments,
            cwd=cwd,
            env=clean_environment(env),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as error:
        pytest.fail(
            f"{' '.join(arguments)} (in {cwd}) did not finish within {timeout:g} s\n"
            f"--- stdout ---\n{_text(error.stdout)}\n"
            f"--- stderr ---\n{_text(error.stderr)}",
            pytrace=False,
        )
    if check and result.returncode != 0:
        pytest.fail(describe_failure(arguments, cwd, result), pytrace=False)
    return result


def describe_failure(
    arguments: Sequence[str], cwd: Path, result: subprocess.CompletedProcess[str]
) -> str:
    return (
        f"{' '.join(arguments)} (in {cwd}) exited with {result.returncode}\n"
        f"--- stdout ---\n{result.stdout}\n--- stderr ---\n{result.stderr}"
    )


def _text(output: str | bytes | None) -> str:
    if isinstance(output, bytes):
        return output.decode(errors="replace")
    return output or ""


def template_tool(name: str) -> Path:
    """A tool installed in the template's own dev environment (ruff, cookiecutter)."""
    path = Path(sys.executable).parent / name
    if not path.exists():
        pytest.fail(f"{name} is not in the template's dev environment; run uv sync")
    return path


def ruff_problems(paths: Sequence[Path]) -> str:
    """What `ruff check` and `ruff format --check` say about baked projects, one
    line per finding; empty when all is clean."""
    findings = ruff_findings(paths)
    return "\n".join(line for path in paths for line in findings[path])


def ruff_findings(projects: Sequence[Path]) -> dict[Path, list[str]]:
    """Run `ruff check` and `ruff format --check` over baked projects at once,
    one line per finding, sorted out by project.

    Each file is judged by the pyproject.toml of its own project, as it would be
    inside that project.
    """
    ruff = template_tool("ruff")
    findings: dict[Path, list[str]] = {project: [] for project in projects}
    commands = (
        ["check", "--no-cache", "--output-format", "concise"],
        ["format", "--check", "--no-cache"],
    )
    for command in commands:
        result = subprocess.run(
            [str(ruff), *command, *map(str, projects)],
            env=clean_environment(),
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        attributed = False
        for line in (result.stdout + result.stderr).splitlines():
            for project in projects:
                if f"{project}{os.sep}" in line:
                    findings[project].append(f"ruff {command[0]}: {line}")
                    attributed = True
        if result.returncode != 0 and not attributed:
            for project in projects:
                findings[project].append(describe_failure(command, projects[0], result))
    return findings


@dataclass(frozen=True)
class BakedProject:
    """A project baked from the template, with questions a test can ask of it."""

    path: Path
    context: dict[str, Any]

    @property
    def package(self) -> str:
        return str(self.context["package_name"])

    @property
    def package_dir(self) -> Path:
        return self.path / "src" / self.package

    @property
    def env_prefix(self) -> str:
        return str(self.context["__env_prefix"])

    @property
    def dns_name(self) -> str:
        return str(self.context["__dns_name"])

    def has_file(self, relative: str) -> bool:
        return (self.path / relative).exists()

    def read(self, relative: str) -> str:
        return (self.path / relative).read_text(encoding="utf-8")

    def pyproject(self) -> dict[str, Any]:
        return tomllib.loads(self.read("pyproject.toml"))

    def files(self) -> list[Path]:
        """Every file of the project, without the VCS and tool caches."""
        found = []
        for root, folders, names in os.walk(self.path):
            folders[:] = sorted(f for f in folders if f not in NOT_PROJECT_FILES)
            found.extend(Path(root) / name for name in sorted(names))
        return found

    def relative_files(self) -> set[str]:
        return {path.relative_to(self.path).as_posix() for path in self.files()}

    def text_files(self) -> dict[Path, str]:
        """Every file that is UTF-8 text, with its contents."""
        texts = {}
        for path in self.files():
            data = path.read_bytes()
            if b"\0" in data:
                continue
            try:
                texts[path] = data.decode("utf-8")
            except UnicodeDecodeError:
                continue
        return texts

    def python_files(self) -> list[Path]:
        return [path for path in self.files() if path.suffix == ".py"]

    def relative(self, path: Path) -> str:
        return path.relative_to(self.path).as_posix()

    def uncompilable_python(self) -> list[str]:
        problems = []
        for path in self.python_files():
            try:
                compile(path.read_bytes(), str(path), "exec", dont_inherit=True)
            except SyntaxError as error:
                problems.append(f"{self.relative(path)}:{error.lineno}: {error.msg}")
        return problems

    def unparsable_data_files(self) -> list[str]:
        """TOML, YAML and JSON files that their format's parser rejects."""
        problems = []
        for path in self.files():
            try:
                if path.suffix == ".toml" or path.name == "uv.lock":
                    tomllib.loads(path.read_text(encoding="utf-8"))
                elif path.suffix in YAML_SUFFIXES:
                    list(yaml.safe_load_all(path.read_text(encoding="utf-8")))
                elif path.suffix == ".json":
                    json.loads(path.read_text(encoding="utf-8"))
            except (ValueError, yaml.YAMLError) as error:
                problems.append(f"{self.relative(path)}: {error}")
        return problems

    def yaml_documents(self) -> Iterator[tuple[str, Any]]:
        for path in self.files():
            if path.suffix in YAML_SUFFIXES:
                for document in yaml.safe_load_all(path.read_text(encoding="utf-8")):
                    if document is not None:
                        yield self.relative(path), document

    def template_residue(self) -> list[str]:
        """Lines where a template variable or tag survived rendering."""
        found = []
        for path, text in self.text_files().items():
            relative = self.relative(path)
            if OWN_JINJA_FOLDERS & set(Path(relative).parts[:-1]):
                # The app's own Jinja templates use tags; only ours must be gone.
                pattern = re.compile(r"cookiecutter")
            else:
                pattern = TEMPLATE_RESIDUE
            for number, line in enumerate(text.splitlines(), start=1):
                if pattern.search(line):
                    found.append(f"{relative}:{number}: {line.strip()}")
        for path in self.files():
            if "cookiecutter" in self.relative(path) or "{{" in self.relative(path):
                found.append(f"{self.relative(path)}: the path itself")
        return found

    def string_literals(self) -> set[str]:
        """Every string constant in the project's Python code."""
        literals = set()
        for path in self.python_files():
            for node in ast.walk(ast.parse(path.read_bytes())):
                if isinstance(node, ast.Constant) and isinstance(node.value, str):
                    literals.add(node.value)
        return literals

    def validity_problems(self) -> list[str]:
        """Everything that stops the project from being 'valid', ruff aside."""
        problems = self.uncompilable_python() + self.unparsable_data_files()
        problems += self.template_residue()
        if self.has_file("licenses"):
            problems.append("licenses/: the folder of license choices was left behind")
        if not self.has_file("LICENSE"):
            problems.append("LICENSE: missing")
        return problems

    def assert_valid(self) -> None:
        problems = self.validity_problems()
        if problems:
            pytest.fail(
                "\n".join([f"{self.path} is not valid:", *problems]), pytrace=False
            )
        report = ruff_problems([self.path])
        if report:
            pytest.fail(f"ruff rejects {self.path}:\n{report}", pytrace=False)

    def run(
        self,
        command: Sequence[str | Path],
        env: Mapping[str, str] | None = None,
        timeout: float = 600,
        check: bool = True,
        cwd: Path | None = None,
    ) -> subprocess.CompletedProcess[str]:
        """Run a command in the project as its user would, in a clean environment."""
        return run_command(
            command, cwd=cwd or self.path, env=env, timeout=timeout, check=check
        )

    def uv(self, *arguments: str, timeout: float = 600) -> str:
        """Run `uv <arguments>` in the project and return its output."""
        result = self.run([require_uv(), *arguments], timeout=timeout)
        return result.stdout + result.stderr


def require_uv() -> str:
    uv = shutil.which("uv", path=clean_environment()["PATH"])
    if uv is None:
        pytest.skip("uv is not on PATH; the baked project's own commands need it")
    return uv


@dataclass(frozen=True)
class Refusal:
    """What the pre-generation hook said when it refused a set of answers."""

    stdout: str
    stderr: str

    @cached_property
    def errors(self) -> list[str]:
        return [line for line in self.stderr.splitlines() if line.startswith("ERROR: ")]

    def assert_one_clear_error(self, *mentions: str) -> str:
        """Exactly one ERROR line, naming the problem and a fix; no traceback."""
        output = f"--- stdout ---\n{self.stdout}\n--- stderr ---\n{self.stderr}"
        assert "Traceback" not in self.stdout + self.stderr, output
        assert len(self.errors) == 1, output
        error = self.errors[0]
        for mention in mentions:
            assert mention in error, output
        # The reason and what to do instead, separated as the hook writes them.
        reason, _, suggestion = error.removeprefix("ERROR: ").partition("; ")
        assert reason, output
        assert suggestion, f"no suggestion after '; ' in: {error}"
        return error


def bake_into(output_dir: Path, answers: Mapping[str, Any]) -> BakedProject:
    """Bake with cookiecutter's Python API, offline, as `--no-input` would."""
    output_dir.mkdir(parents=True, exist_ok=True)
    replay_dir = output_dir / ".replay"
    path = cookiecutter(
        str(TEMPLATE_DIR),
        no_input=True,
        extra_context=dict(answers),
        output_dir=str(output_dir),
        default_config={
            "replay_dir": str(replay_dir),
            "cookiecutters_dir": str(output_dir / ".cookiecutters"),
        },
    )
    replay = json.loads((replay_dir / f"{TEMPLATE_DIR.name}.json").read_text())
    shutil.rmtree(replay_dir)
    return BakedProject(path=Path(path), context=replay["cookiecutter"])


def bake_on_command_line(
    output_dir: Path,
    answers: Mapping[str, str],
    env: Mapping[str, str] | None = None,
    check: bool = True,
) -> subprocess.CompletedProcess[str]:
    """Bake the way the README tells a user to: the cookiecutter command."""
    output_dir.mkdir(parents=True, exist_ok=True)
    config = output_dir / ".cookiecutter.yaml"
    config.write_text(
        f"replay_dir: {output_dir / '.replay'}\n"
        f"cookiecutters_dir: {output_dir / '.cookiecutters'}\n"
    )
    command = [
        template_tool("cookiecutter"),
        TEMPLATE_DIR,
        "--no-input",
        "--config-file",
        config,
        "--output-dir",
        output_dir,
        *(f"{question}={answer}" for question, answer in answers.items()),
    ]
    return run_command(command, cwd=output_dir, env=env, timeout=300, check=check)


@pytest.fixture(autouse=True, scope="session")
def _bake_without_lock() -> Iterator[None]:
    """The hooks run as subprocesses and read this; tests bake hundreds offline."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(SKIP_LOCK_VARIABLE, "1")
        yield


@pytest.fixture
def bake(tmp_path: Path) -> Callable[..., BakedProject]:
    """Bake a project with the given answers into the test's own folder."""
    counter = iter(range(1_000))

    def _bake(**answers: Any) -> BakedProject:
        return bake_into(tmp_path / f"bake{next(counter)}", answers)

    return _bake


@pytest.fixture
def refused_bake(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> Callable[..., Refusal]:
    """Bake answers the pre-generation hook must refuse; return what it said."""

    def _refused(**answers: Any) -> Refusal:
        output_dir = tmp_path / "refused"
        capfd.readouterr()
        with pytest.raises(FailedHookException):
            bake_into(output_dir, answers)
        captured = capfd.readouterr()
        left = [p.name for p in output_dir.iterdir() if not p.name.startswith(".")]
        assert left == [], f"a refused bake left {left} behind"
        return Refusal(stdout=captured.out, stderr=captured.err)

    return _refused


@dataclass(frozen=True)
class Traces:
    """How to recognise an optional component in a project that should lack it."""

    text: str
    path: str
    script: str | None = None


# Case-insensitive unless a pattern says otherwise with (?-i:...).
COMPONENT_TRACES: dict[str, Traces] = {
    "worker": Traces(
        text=r"\bcelery\b|rabbitmq|\bredis\b|\buv run worker\b",
        path=r"(^|/)(worker|celery)(/|\.py$)",
        script="worker",
    ),
    "ui": Traces(
        text=r"\bflask\b|\buv run ui\b",
        path=r"(^|/)(ui|templates|static)(/|\.py$)",
        script="ui",
    ),
    "database": Traces(
        text=r"sqlalchemy|alembic|\bDATABASE_URL\b",
        path=r"(^|/)(db|migrations)(/|\.py$)|alembic",
    ),
    "mcp_server": Traces(
        text=r"(?-i:\bmcp_server\b)|\buv run mcp\b",
        path=r"(^|/)mcp_server(/|\.py$)",
        script="mcp",
    ),
    "docker": Traces(text=r"docker", path=r"docker"),
    "kubernetes": Traces(
        text=r"kubernetes|kubectl|\bk8s\b", path=r"kubernetes|(^|/)k8s(/|$)"
    ),
    "github_actions": Traces(
        text=r"github actions|\.github/workflows", path=r"^\.github(/|$)"
    ),
}


def traces_of_removed(project: BakedProject) -> list[str]:
    """Where a switched-off component still shows: its files, names or scripts."""
    found = []
    texts = {
        project.relative(path): text for path, text in project.text_files().items()
    }
    relative_files = sorted(project.relative_files())
    scripts = project.pyproject().get("project", {}).get("scripts", {})
    for component, traces in COMPONENT_TRACES.items():
        if project.context[component]:
            continue
        path_pattern = re.compile(traces.path, re.IGNORECASE)
        text_pattern = re.compile(traces.text, re.IGNORECASE)
        found += [
            f"{relative}: file of the switched-off {component}"
            for relative in relative_files
            if path_pattern.search(relative)
        ]
        for relative, text in texts.items():
            for number, line in enumerate(text.splitlines(), start=1):
                if text_pattern.search(line):
                    found.append(f"{relative}:{number}: {component}: {line.strip()}")
        if traces.script in scripts:
            found.append(f"pyproject.toml: script {traces.script!r} of {component}")
    return found
