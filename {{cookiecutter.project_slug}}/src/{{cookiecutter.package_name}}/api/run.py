"""The `service` command: serve the API with uvicorn."""

import argparse
import os
import socket
import sys
from collections.abc import Sequence

import uvicorn

from ..config import (
    ENV_PREFIX,
    PROJECT_ROOT,
    ServiceSettings,
    get_service_settings,
    parse_log_level,
    settings_problems,
)
from ..logging_config import LOG_FILE_NAME, configure_logging

APP_FACTORY = "{{ cookiecutter.package_name }}.api.server:create_app"


def port_number(text: str) -> int:
    port = int(text) if text.isdigit() else 0
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a TCP port (1-65535)")
    return port


def worker_count(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of processes (1+)")
    return int(text)


def log_level_name(text: str) -> str:
    try:
        parse_log_level(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
    return text


def listen_problem(host: str, port: int) -> str | None:
    """Why the server could not listen on host:port, found before uvicorn tries."""
    try:
        family, kind, protocol, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM
        )[0]
        with socket.socket(family, kind, protocol) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind(address)
    except OSError as error:
        reason = error.strerror or str(error)
        return (
            f"cannot listen on {host}:{port} ({reason}); check --host and --port "
            f"or {ENV_PREFIX}HOST and {ENV_PREFIX}PORT"
        )
    return None


def build_parser(settings: ServiceSettings) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="service", description=f"Serve {settings.name} over HTTP."
    )
    parser.add_argument("--host", default=settings.host, help="interface to bind")
    parser.add_argument(
        "--port", type=port_number, default=settings.port, help="TCP port"
    )
    parser.add_argument(
        "--reload", action="store_true", help="restart when the code changes"
    )
    parser.add_argument(
        "--workers",
        type=worker_count,
        default=1,
        help="worker processes (not with --reload)",
    )
    parser.add_argument(
        "--log-level",
        type=log_level_name,
        help=f"override {ENV_PREFIX}LOG_LEVEL (a name or a number)",
    )
    return parser


def log_dir_problems(settings: ServiceSettings) -> list[str]:
    if settings.log_dir is None:
        return []
    log_file = settings.log_dir / LOG_FILE_NAME
    try:
        settings.log_dir.mkdir(parents=True, exist_ok=True)
        log_file.open("a", encoding="utf-8").close()
    except OSError as error:
        return [f"{ENV_PREFIX}LOG_DIR: cannot write {log_file} ({error.strerror})"]
    return []


def load_settings() -> ServiceSettings:
    """Read every setting, or stop with one line per bad value, not a traceback."""
    problems = settings_problems() or log_dir_problems(get_service_settings())
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    if problems:
        raise SystemExit(2)
    return get_service_settings()


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
    problem = listen_problem(options.host, options.port)
    if problem is not None:
        raise SystemExit(f"error: {problem}")

    # The supervising process of --reload and --workers logs too ("Uvicorn
    # running on ..."); to the console only, as the file belongs to the app.
    configure_logging(settings.log_level, None, LOG_FILE_NAME)
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
