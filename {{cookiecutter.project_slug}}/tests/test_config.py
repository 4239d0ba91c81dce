from pathlib import Path

import pytest
from pydantic import ValidationError

from {{ cookiecutter.package_name }} import __version__, config
from {{ cookiecutter.package_name }}.config import ServiceSettings, get_service_settings

PREFIX = config.ENV_PREFIX
PROJECT_NAME = {{ cookiecutter.project_name | python_string }}


def test_defaults_name_the_service_and_its_version() -> None:
    settings = ServiceSettings()

    assert settings.name == PROJECT_NAME
    assert settings.version == __version__
    assert settings.port == {{ cookiecutter.port }}


@pytest.mark.parametrize(
    ("raw", "level"),
    [("20", 20), ("INFO", 20), ("info", 20), ("DEBUG", 10), (" warning ", 30)],
)
def test_log_level_accepts_numbers_and_names(
    monkeypatch: pytest.MonkeyPatch, raw: str, level: int
) -> None:
    monkeypatch.setenv(f"{PREFIX}LOG_LEVEL", raw)

    assert ServiceSettings().log_level == level


def test_unknown_log_level_is_refused_with_its_value(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(f"{PREFIX}LOG_LEVEL", "LOUD")

    with pytest.raises(ValidationError, match="unknown log level 'LOUD'"):
        ServiceSettings()


def test_bad_port_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(f"{PREFIX}PORT", "70000")

    with pytest.raises(ValidationError, match="port"):
        ServiceSettings()


def test_empty_log_dir_turns_file_logging_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(f"{PREFIX}LOG_DIR", "")

    assert ServiceSettings().log_dir is None


def test_relative_log_dir_lives_under_the_project_root(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(f"{PREFIX}LOG_DIR", "var/log")

    assert ServiceSettings().log_dir == config.PROJECT_ROOT / "var" / "log"


def test_env_file_is_the_one_in_the_project_root() -> None:
    assert config.ENV_FILE == config.PROJECT_ROOT / ".env"
    assert (config.PROJECT_ROOT / "pyproject.toml").is_file()


def test_env_file_is_read_whatever_the_working_directory(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    env_file = tmp_path / "project" / ".env"
    env_file.parent.mkdir()
    env_file.write_text(f"{PREFIX}NAME=From The File\n", encoding="utf-8")
    monkeypatch.setitem(ServiceSettings.model_config, "env_file", env_file)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)

    assert ServiceSettings().name == "From The File"


def test_environment_wins_over_the_env_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text(f"{PREFIX}NAME=From The File\n", encoding="utf-8")
    monkeypatch.setitem(ServiceSettings.model_config, "env_file", env_file)
    monkeypatch.setenv(f"{PREFIX}NAME", "From The Environment")

    assert ServiceSettings().name == "From The Environment"


def test_settings_are_read_once_per_process() -> None:
    assert get_service_settings() is get_service_settings()
