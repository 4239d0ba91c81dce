"""Drop the parts the answers switched off, pick the license, print next steps."""

import json
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

ANSWERS = json.loads(r"""{{ cookiecutter | tojson }}""")
PACKAGE = ANSWERS["package_name"]

# Every optional component and the files that exist only for it. Shared files
# differ per component through a few inline conditions in the templates.
COMPONENT_PATHS: dict[str, list[str]] = {
    "worker": [],
    "ui": [],
    "database": [],
    "mcp_server": [],
    "docker": ["Dockerfile", ".dockerignore", "docker-compose.yml"],
    "kubernetes": ["kubernetes"],
    "github_actions": [".github"],
}

LICENSE_DIR = Path("licenses")
# Set by the template's own tests, which bake hundreds of projects offline.
SKIP_LOCK_VARIABLE = "AI_SERVICE_TEMPLATE_SKIP_LOCK"


def remove(relative: str) -> None:
    path = Path(relative.format(package=PACKAGE))
    if path.is_dir():
        shutil.rmtree(path)
    elif path.exists():
        path.unlink()


def remove_switched_off_components() -> None:
    for component, paths in COMPONENT_PATHS.items():
        if not ANSWERS[component]:
            for relative in paths:
                remove(relative)


def install_license() -> None:
    chosen = LICENSE_DIR / ANSWERS["open_source_license"]
    chosen.replace("LICENSE")
    shutil.rmtree(LICENSE_DIR)


def run_optional(command: list[str], what: str, timeout: float) -> None:
    """Run a convenience step; say so and carry on when it cannot run."""
    if shutil.which(command[0]) is None:
        print(f"  skipped {what}: {command[0]} is not installed")
        return
    try:
        result = subprocess.run(
            command, capture_output=True, text=True, timeout=timeout, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        print(f"  skipped {what}: {error}")
        return
    if result.returncode != 0:
        reason = (result.stderr or result.stdout).strip().splitlines()
        print(f"  skipped {what}: {reason[-1] if reason else 'it failed'}")
        return
    print(f"  done: {what}")


def print_next_steps() -> None:
    # The project may have been baked anywhere (-o), so the path is absolute.
    project = Path.cwd()
    print(
        f"""
{ANSWERS["project_name"]} is ready in {project}

Next steps:
  cd {shlex.quote(str(project))}
  cp .env.example .env        # then set OPENROUTER_TOKEN
  uv sync
  uv run service              # http://127.0.0.1:{ANSWERS["port"]}/docs
  uv run pytest
"""
    )


def main() -> None:
    remove_switched_off_components()
    install_license()
    if os.environ.get(SKIP_LOCK_VARIABLE):
        print(f"  skipped uv lock: {SKIP_LOCK_VARIABLE} is set")
    else:
        run_optional(["uv", "lock", "--quiet"], "uv lock", timeout=180)
    run_optional(["git", "init", "--quiet"], "git init", timeout=30)
    print_next_steps()


if __name__ == "__main__":
    main()
    sys.exit(0)
