"""Bake the template's defaults and `uv sync` them, for the benchmark scripts.

The bake runs cookiecutter with --no-input and AI_SERVICE_TEMPLATE_SKIP_LOCK=1
(so the hook skips `uv lock`) in a child process, with its output kept off the
caller's stdout. The project is then synced with `uv sync --quiet`. Children get
an environment without the virtualenv the calling script runs in.

    with baked_project("my-bench-") as baked:        # a temporary folder
        subprocess.run([baked.python, ...], cwd=baked.root, env=clean_environment())

or, to bake into a folder the caller owns: bake_and_sync(folder).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

TEMPLATE_ROOT = Path(__file__).resolve().parents[1]
SKIP_LOCK_VARIABLE = "AI_SERVICE_TEMPLATE_SKIP_LOCK"
BAKE_TIMEOUT_SECONDS = 120
SYNC_TIMEOUT_SECONDS = 600

# Variables that would point a child process at the virtualenv this script runs in.
OUTER_ENV_VARIABLES = (
    "VIRTUAL_ENV",
    "VIRTUAL_ENV_PROMPT",
    "PYTHONHOME",
    "PYTHONPATH",
    "PYTHONSTARTUP",
    "CONDA_PREFIX",
    "CONDA_DEFAULT_ENV",
    "UV_PROJECT_ENVIRONMENT",
    "UV_RUN_RECURSION_DEPTH",
    "__PYVENV_LAUNCHER__",
)


class BakeError(Exception):
    """Baking or syncing the template's defaults failed."""


@dataclass(frozen=True)
class BakedProject:
    """A baked and synced project: where it is and what its package is called."""

    root: Path
    python: Path  # the interpreter of root/.venv
    package: str  # the import name under root/src
    env_prefix: str  # of its settings' environment variables, e.g. "MY_AI_SERVICE_"


def clean_environment(bytecode_cache: bool = False) -> dict[str, str]:
    """This process's environment without any trace of the outer virtualenv.

    With bytecode_cache, PYTHONDONTWRITEBYTECODE goes too, so that children write
    .pyc files as a built image would have them; otherwise an inherited one stays.
    """
    env = dict(os.environ)
    if bytecode_cache:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
    venv_bins = set()
    for root in (
        env.get("VIRTUAL_ENV"),
        sys.prefix if sys.prefix != sys.base_prefix else None,
    ):
        if root:
            venv_bins.add(os.path.normpath(os.path.join(root, "bin")))
    for name in OUTER_ENV_VARIABLES:
        env.pop(name, None)
    env["PATH"] = os.pathsep.join(
        entry
        for entry in env.get("PATH", "").split(os.pathsep)
        if entry and os.path.normpath(entry) not in venv_bins
    )
    return env


def find_uv() -> str:
    """The path of the uv executable."""
    uv = shutil.which("uv") or (
        "/usr/local/bin/uv" if Path("/usr/local/bin/uv").exists() else None
    )
    if uv is None:
        raise BakeError("uv is not on PATH")
    return uv


def run(
    what: str, command: list[str], cwd: Path, env: dict[str, str], timeout: float
) -> str:
    """Run a command and return its output; raise BakeError naming `what`."""
    try:
        result = subprocess.run(
            command,
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as error:
        raise BakeError(f"{what} took over {timeout:g} s") from error
    except OSError as error:
        raise BakeError(f"{what} could not start: {error}") from error
    if result.returncode != 0:
        output = "\n".join(
            text.strip() for text in (result.stdout, result.stderr) if text.strip()
        )
        raise BakeError(f"{what} failed (exit {result.returncode}):\n{output}")
    return result.stdout


def bake(template: Path, output_dir: Path, env: dict[str, str]) -> Path:
    """Bake the template's default answers into output_dir; the project's folder."""
    output_dir.mkdir(parents=True, exist_ok=True)
    before = set(output_dir.iterdir())
    command = [
        sys.executable,
        "-m",
        "cookiecutter",
        str(template),
        "--no-input",
        "--output-dir",
        str(output_dir),
    ]
    bake_env = {**env, SKIP_LOCK_VARIABLE: "1"}
    run(f"baking {template}", command, template, bake_env, BAKE_TIMEOUT_SECONDS)
    made = [path for path in output_dir.iterdir() if path not in before]
    if len(made) != 1 or not made[0].is_dir():
        raise BakeError(
            f"baking {template} left {len(made)} new entries in {output_dir}, "
            "not one project folder"
        )
    return made[0]


def uv_sync(project: Path, env: dict[str, str]) -> Path:
    """Run `uv sync` in the project; the interpreter of its .venv."""
    command = [find_uv(), "sync", "--quiet"]
    run(f"uv sync in {project}", command, project, env, SYNC_TIMEOUT_SECONDS)
    python = project / ".venv" / "bin" / "python"
    if not python.exists():
        raise BakeError(f"uv sync left no interpreter at {python}")
    return python


def find_package(project: Path) -> tuple[str, str]:
    """The baked package's name and its settings' environment prefix."""
    for config in sorted(project.glob("src/*/config.py")):
        match = re.search(
            r'^ENV_PREFIX\s*=\s*"([^"]+)"', config.read_text(), re.MULTILINE
        )
        if match and (config.parent / "api" / "server.py").exists():
            return config.parent.name, match.group(1)
    raise BakeError(f"no src/<package>/config.py with ENV_PREFIX under {project}")


def bake_and_sync(
    output_dir: Path,
    template: Path = TEMPLATE_ROOT,
    env: dict[str, str] | None = None,
    log: Callable[[str], None] | None = None,
) -> BakedProject:
    """Bake the defaults into output_dir and sync them; log reports each step."""
    env = clean_environment() if env is None else env
    if log:
        log(f"baking {template} into {output_dir}")
    root = bake(template, output_dir, env)
    if log:
        log(f"uv sync in {root}")
    python = uv_sync(root, env)
    package, env_prefix = find_package(root)
    return BakedProject(root, python, package, env_prefix)


@contextlib.contextmanager
def baked_project(
    prefix: str = "bench-",
    template: Path = TEMPLATE_ROOT,
    env: dict[str, str] | None = None,
) -> Iterator[BakedProject]:
    """Bake and sync the defaults in a temporary folder, removed on the way out."""
    with tempfile.TemporaryDirectory(prefix=prefix) as folder:
        yield bake_and_sync(Path(folder), template, env)
