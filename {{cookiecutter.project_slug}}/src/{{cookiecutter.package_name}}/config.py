"""Settings of the service, read from the environment and the project's .env file."""

import logging
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from . import __summary__, __version__


def _project_root() -> Path:
    """The folder of pyproject.toml, wherever a command runs from.

    That is two levels above src/<package>/ in a checkout; an installed copy (as
    in the container image) lives elsewhere and uses the working directory.
    """
    checkout = Path(__file__).resolve().parents[2]
    return checkout if (checkout / "pyproject.toml").is_file() else Path.cwd()


PROJECT_ROOT = _project_root()
ENV_FILE = PROJECT_ROOT / ".env"
ENV_PREFIX = "{{ cookiecutter.__env_prefix }}_"


def parse_log_level(value: Any) -> Any:
    """Accept a level number (20) or a level name (INFO, info)."""
    if isinstance(value, str):
        text = value.strip()
        if text.lstrip("-").isdigit():
            return int(text)
        number = logging.getLevelNamesMapping().get(text.upper())
        if number is None:
            known = ", ".join(sorted(logging.getLevelNamesMapping()))
            raise ValueError(f"unknown log level {value!r}; use a number or {known}")
        return number
    return value


def _project_path(value: Any) -> Any:
    """Read an empty value as unset and a relative path as under the project root."""
    if value is None or value == "":
        return None
    path = Path(value)
    return path if path.is_absolute() else PROJECT_ROOT / path


def _empty_as_none(value: Any) -> Any:
    return None if value == "" else value


def _http_url(value: Any) -> Any:
    if isinstance(value, str) and not value.startswith(("http://", "https://")):
        raise ValueError(f"{value!r} is not an http:// or https:// URL")
    return value


def _one_line(value: Any) -> Any:
    """Refuse control characters: these values travel in HTTP headers."""
    text = value.get_secret_value() if isinstance(value, SecretStr) else value
    if isinstance(text, str) and any(not character.isprintable() for character in text):
        raise ValueError("contains a line break or another control character")
    return value


LogLevel = Annotated[int, BeforeValidator(parse_log_level), Field(ge=0, le=50)]
ProjectPath = Annotated[Path | None, BeforeValidator(_project_path)]
# An empty value in .env (OPENROUTER_TOKEN=) counts as unset.
OptionalSecret = Annotated[
    SecretStr | None, BeforeValidator(_one_line), BeforeValidator(_empty_as_none)
]
NonEmpty = Annotated[str, Field(min_length=1)]
OneLine = Annotated[str, BeforeValidator(_one_line), Field(min_length=1)]
WebUrl = Annotated[str, BeforeValidator(_http_url)]
OptionalWebUrl = Annotated[
    str | None, BeforeValidator(_http_url), BeforeValidator(_empty_as_none)
]


class Settings(BaseSettings):
    """Base of every settings group: the same .env file, unknown keys ignored."""

    model_config = SettingsConfigDict(
        env_file=ENV_FILE,
        env_file_encoding="utf-8",
        extra="ignore",
    )


class ServiceSettings(Settings):
    """Identity, network and logging ({{ cookiecutter.__env_prefix }}_*)."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX)

    name: NonEmpty = {{ cookiecutter.project_name | python_string }}
    version: NonEmpty = __version__
    # The summary in pyproject.toml, so the two never drift apart.
    description: str = __summary__

    # Loopback by default so a development run is not reachable from the network;
    # containers set HOST=0.0.0.0 explicitly.
    host: str = "127.0.0.1"
    port: int = Field(default={{ cookiecutter.port }}, ge=1, le=65535)

    log_level: LogLevel = logging.INFO
    # Where the rotating log file goes; empty turns file logging off.
    log_dir: ProjectPath = PROJECT_ROOT / "logs"

    # Each dependency check of /health/ready gets this long before it counts as down.
    readiness_timeout: float = Field(default=2.0, gt=0)
    # Larger request bodies are refused with 413 before anything reads them.
    max_request_bytes: int = Field(default=1024 * 1024, gt=0)


@lru_cache
def get_service_settings() -> ServiceSettings:
    return ServiceSettings()


class OpenRouterSettings(Settings):
    """The LLM provider: OpenRouter or any OpenAI-compatible endpoint (OPENROUTER_*)."""

    model_config = SettingsConfigDict(env_prefix="OPENROUTER_")

    # Optional so the service starts without it; the first AI call names it instead.
    token: OptionalSecret = None
    base_url: WebUrl = "https://openrouter.ai/api/v1"
    # Used whenever a call does not pass model=...
    model: NonEmpty = "openai/gpt-4o-mini"

    # Seconds one call may take, retries included: a stuck provider must not hold
    # a request forever. Streams get this long between two chunks.
    timeout: float = Field(default=60.0, gt=0)
    # Retries of rate limits (honouring Retry-After), timeouts and 5xx answers.
    max_retries: int = Field(default=2, ge=0, le=10)

    # OpenRouter's attribution headers (HTTP-Referer and X-Title): how the app
    # shows up in the provider's rankings and logs.
    app_url: OptionalWebUrl = None
    app_title: OneLine = {{ cookiecutter.project_name | python_string }}


@lru_cache
def get_openrouter_settings() -> OpenRouterSettings:
    return OpenRouterSettings()


# Every group, so a bad value anywhere stops the service at start-up.
SETTINGS_GROUPS: tuple[type[Settings], ...] = (ServiceSettings, OpenRouterSettings)


def settings_problems() -> list[str]:
    """One line per bad value in any group, naming its variable; empty if none."""
    problems = []
    for group in SETTINGS_GROUPS:
        try:
            group()
        except ValidationError as error:
            prefix = group.model_config.get("env_prefix", "")
            for problem in error.errors(include_url=False):
                field = "_".join(str(part) for part in problem["loc"])
                message = problem["msg"].removeprefix("Value error, ")
                problems.append(f"{prefix}{field.upper()}: {message}")
    return problems
