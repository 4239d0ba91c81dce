"""A baked project passes its own checks, run as its user would run them."""

import tomllib
from pathlib import Path

import pytest
from conftest import (
    ALL_OFF,
    BakedProject,
    bake_into,
    bake_on_command_line,
    require_uv,
    run_command,
)

pytestmark = pytest.mark.slow

VARIANTS = {
    "defaults": {},
    "everything-off": {**ALL_OFF, "python_version": "3.13"},
}


@pytest.fixture(scope="module", params=sorted(VARIANTS))
def synced_project(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> BakedProject:
    """A baked project after its first documented step, `uv sync`."""
    require_uv()
    project = bake_into(tmp_path_factory.mktemp(request.param), VARIANTS[request.param])
    project.uv("sync")
    return project


def test_ruff_check_passes(synced_project: BakedProject) -> None:
    synced_project.uv("run", "ruff", "check", ".")


def test_ruff_format_check_passes(synced_project: BakedProject) -> None:
    synced_project.uv("run", "ruff", "format", "--check", ".")


def test_mypy_strict_passes(synced_project: BakedProject) -> None:
    synced_project.uv("run", "mypy", "--strict", "src")


def test_own_test_suite_passes(synced_project: BakedProject) -> None:
    output = synced_project.uv("run", "pytest", timeout=900)

    assert " passed" in output, output


def test_bake_from_the_command_line_locks_the_dependencies(tmp_path: Path) -> None:
    uv = require_uv()

    result = bake_on_command_line(tmp_path, {"project_name": "Locked Service"})

    lock = tmp_path / "locked_service" / "uv.lock"
    assert "done: uv lock" in result.stdout, result.stdout + result.stderr
    assert lock.exists()
    packages = {
        package["name"] for package in tomllib.loads(lock.read_text())["package"]
    }
    assert {"locked-service", "fastapi"} <= packages
    run_command([uv, "sync", "--locked"], cwd=lock.parent, timeout=300)
