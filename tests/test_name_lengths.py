"""Every accepted length of package name and slug bakes code ruff leaves alone."""

import subprocess
import sys
from pathlib import Path

import pytest
from cookiecutter.exceptions import FailedHookException
from cookiecutter.main import cookiecutter

TEMPLATE_DIR = Path(__file__).resolve().parents[1]
SKIP_LOCK_VARIABLE = "AI_SERVICE_TEMPLATE_SKIP_LOCK"
PACKAGE_NAME_LIMIT = 30
SLUG_LIMIT = 63


def bake(output_dir: Path, answers: dict[str, str]) -> Path:
    """Bake offline, keeping cookiecutter's replay files out of the home folder."""
    project = cookiecutter(
        str(TEMPLATE_DIR),
        no_input=True,
        extra_context=answers,
        output_dir=str(output_dir),
        default_config={
            "replay_dir": str(output_dir / ".replay"),
            "cookiecutters_dir": str(output_dir / ".cookiecutters"),
        },
    )
    return Path(project)


def ruff_complaints(project: Path) -> str:
    """What `ruff check` and `ruff format --check` say about a project, if anything."""
    complaints = []
    for command in (["check"], ["format", "--check"]):
        result = subprocess.run(
            [sys.executable, "-m", "ruff", *command, "--no-cache", "."],
            cwd=project,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        if result.returncode != 0:
            output = result.stdout + result.stderr
            complaints.append(f"ruff {' '.join(command)} in {project}:\n{output}")
    return "\n".join(complaints)


@pytest.fixture(autouse=True)
def _skip_lock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(SKIP_LOCK_VARIABLE, "1")


@pytest.mark.parametrize(
    "answers",
    [
        {"package_name": "a"},
        {"package_name": "a" * PACKAGE_NAME_LIMIT},
        # Sorts after the tests package, whose imports must still come last.
        {"package_name": "z" * PACKAGE_NAME_LIMIT},
        {"project_slug": "s" * SLUG_LIMIT, "package_name": "shop"},
    ],
    ids=["package-1", "package-30", "package-30-after-tests", "slug-63"],
)
def test_longest_and_shortest_names_bake_code_ruff_accepts(
    tmp_path: Path, answers: dict[str, str]
) -> None:
    project = bake(tmp_path, answers)

    complaints = ruff_complaints(project)

    assert not complaints, complaints


def test_package_name_over_the_limit_is_refused_in_one_line(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    too_long = "a" * (PACKAGE_NAME_LIMIT + 1)

    with pytest.raises(FailedHookException):
        bake(tmp_path, {"package_name": too_long})

    errors = [line for line in capfd.readouterr().err.splitlines() if "ERROR" in line]
    assert len(errors) == 1, errors
    assert f"is {len(too_long)} characters; keep it to 30" in errors[0]
    assert not (tmp_path / "my_ai_service").exists()
