"""The template's own CI runs what the README promises, and GitHub can read it."""

import os
import re

import yaml
from conftest import TEMPLATE_DIR, run_command, template_tool

CI_SCRIPT = TEMPLATE_DIR / ".ci" / "run"
WORKFLOW = TEMPLATE_DIR / ".github" / "workflows" / "template.yml"


def readme_test_command() -> str:
    """The command under the README's 'Run the template's tests' comment."""
    readme = (TEMPLATE_DIR / "README.md").read_text(encoding="utf-8")
    match = re.search(r"# \d+\. Run the template's tests\n(.+)\n", readme)
    assert match, "the README no longer shows the test command"
    return match.group(1).strip()


def test_ci_script_is_executable_bash_that_stops_on_errors() -> None:
    script = CI_SCRIPT.read_text(encoding="utf-8")

    run_command(["bash", "-n", CI_SCRIPT], cwd=TEMPLATE_DIR)

    assert os.access(CI_SCRIPT, os.X_OK)
    assert "set -euo pipefail" in script


def test_ci_script_runs_the_readme_test_command() -> None:
    command = readme_test_command()

    script = CI_SCRIPT.read_text(encoding="utf-8")

    assert re.search(rf"^\s*{re.escape(command)}\b", script, re.MULTILINE), command


def test_workflow_matches_githubs_schema_and_runs_the_ci_script() -> None:
    run_command(
        [
            template_tool("check-jsonschema"),
            "--builtin-schema",
            "vendor.github-workflows",
            WORKFLOW,
        ],
        cwd=TEMPLATE_DIR,
    )

    steps = [
        step
        for job in yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))["jobs"].values()
        for step in job["steps"]
    ]
    assert any(step.get("run") == "bash .ci/run" for step in steps)
