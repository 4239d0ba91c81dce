"""The `service` command: serve the API with uvicorn."""

import argparse
import os
import sys
from collections.abc import Sequence

import uvicorn
from pydantic import ValidationError

from ..config import (
    ENV_PREFIX,
    PROJECT_ROOT,
    ServiceSettings,
    get_service_settings,
)

APP_FACTORY = "{{ cookiecutter.package_name }}.api.server:create_app"


def build_parser(settings: ServiceSettings) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="service", description=f"Serve {settings.name} over HTTP."
    )
    parser.add_argument("--host", default=settings.host, help="interface to bind")
    parser.add_argument("--port", type=int, default=settings.port, help="TCP port")
    parser.add_argument(
        "--reload", action="store_true", help="restart when the code changes"
    )
    parser.add_argument(
        "--workers", type=int, default=1, help="worker processes (not with --reload)"
    )
    parser.add_argument(
        "--log-level", help=f"override {ENV_PREFIX}LOG_LEVEL (a name or a number)"
    )
    return parser


def load_settings() -> ServiceSettings:
    """Read the settings, or stop with one line per bad value instead of a traceback."""
    try:
        return get_service_settings()
    except ValidationError as error:
        for problem in error.errors():
            name = ENV_PREFIX + "_".join(str(part) for part in problem["loc"]).upper()
            print(f"error: {name}: {problem['msg']}", file=sys.stderr)
        raise SystemExit(2) from None


def main(argv: Sequence[str] | None = None) -> None:
    arguments = list(sys.argv[1:] if argv is None else argv)
    # `uv run service -- --port 5000` hands the separator through; skip it.
    if arguments[:1] == ["--"]:
        arguments = arguments[1:]

    options = build_parser(load_settings()).parse_args(arguments)
    if options.reload and options.workers > 1:
        raise SystemExit("error: --reload runs one process; drop --workers or --reload")
    if options.log_level is not None:
        # Every worker process builds its app from the settings, so the override
        # travels through the environment.
        os.environ[f"{ENV_PREFIX}LOG_LEVEL"] = options.log_level
        get_service_settings.cache_clear()
    settings = load_settings()

    uvicorn.run(
        APP_FACTORY,
        factory=True,
        host=options.host,
        port=options.port,
        reload=options.reload,
        reload_dirs=[str(PROJECT_ROOT / "src")] if options.reload else None,
        workers=None if options.reload else options.workers,
        log_config=None,
        log_level=settings.log_level,
    )


if __name__ == "__main__":
    main()
