import socket
from pathlib import Path
from typing import Any

import pytest

from {{ cookiecutter.package_name }}.api import run
from {{ cookiecutter.package_name }}.config import ENV_PREFIX


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """What the command hands to uvicorn, captured instead of serving."""
    captured: dict[str, Any] = {}

    def fake_run(app: str, **options: Any) -> None:
        captured.update(options, app=app)

    monkeypatch.setattr(run.uvicorn, "run", fake_run)
    # Nothing listens here, so the chosen port may be taken on this machine.
    monkeypatch.setattr(run, "listen_problem", lambda host, port: None)
    return captured


def test_defaults_come_from_the_settings(served: dict[str, Any]) -> None:
    run.main([])

    assert served["app"] == "{{ cookiecutter.package_name }}.api.server:create_app"
    assert served["factory"] is True
    assert served["host"] == "127.0.0.1"
    assert served["port"] == {{ cookiecutter.port }}
    assert served["workers"] == 1
    assert served["reload"] is False


def test_the_documented_uv_run_form_is_accepted(served: dict[str, Any]) -> None:
    run.main(["--", "--host", "127.0.0.1", "--port", "5001", "--reload"])

    assert served["port"] == 5001
    assert served["reload"] is True
    assert served["workers"] is None
    assert served["reload_dirs"][0].endswith("src")


def test_workers_and_log_level_are_passed_on(served: dict[str, Any]) -> None:
    run.main(["--workers", "3", "--log-level", "DEBUG"])

    assert served["workers"] == 3
    assert served["log_level"] == 10


def test_reload_with_several_workers_is_refused(served: dict[str, Any]) -> None:
    with pytest.raises(SystemExit, match="--reload runs one process"):
        run.main(["--reload", "--workers", "2"])

    assert served == {}


def test_a_bad_setting_stops_with_one_line_naming_it(
    served: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv(f"{ENV_PREFIX}PORT", "not-a-port")

    with pytest.raises(SystemExit) as stopped:
        run.main([])

    assert stopped.value.code == 2
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith(f"error: {ENV_PREFIX}PORT:")
    assert served == {}


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("OPENROUTER_TIMEOUT", "abc", "valid number"),
        ("OPENROUTER_MAX_RETRIES", "many", "valid integer"),
        ("OPENROUTER_BASE_URL", "not-a-url", "is not an http:// or https:// URL"),
        ("OPENROUTER_APP_URL", "example.org", "is not an http:// or https:// URL"),
        ("OPENROUTER_TOKEN", "sk-abc\ndef", "line break"),
        ("OPENROUTER_MODEL", "", "at least 1 character"),
        (f"{ENV_PREFIX}NAME", "", "at least 1 character"),
        (f"{ENV_PREFIX}LOG_LEVEL", "verbose", "unknown log level 'verbose'"),
    ],
)
def test_a_bad_value_in_any_settings_group_stops_the_start(
    served: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    variable: str,
    value: str,
    message: str,
) -> None:
    monkeypatch.setenv(variable, value)

    with pytest.raises(SystemExit):
        run.main([])

    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith(f"error: {variable}: ")
    assert message in line
    assert "Value error" not in line
    assert served == {}


def test_an_unwritable_log_dir_stops_the_start_with_one_line(
    served: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    not_a_folder = tmp_path / "taken"
    not_a_folder.write_text("a file, not a folder", encoding="utf-8")
    monkeypatch.setenv(f"{ENV_PREFIX}LOG_DIR", str(not_a_folder))

    with pytest.raises(SystemExit):
        run.main([])

    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith(f"error: {ENV_PREFIX}LOG_DIR: cannot write ")
    assert served == {}


@pytest.mark.parametrize("port", ["0", "99999", "http"])
def test_a_port_outside_the_tcp_range_is_refused(
    served: dict[str, Any], capsys: pytest.CaptureFixture[str], port: str
) -> None:
    with pytest.raises(SystemExit):
        run.main(["--port", port])

    assert "is not a TCP port (1-65535)" in capsys.readouterr().err
    assert served == {}


def test_workers_must_be_at_least_one(
    served: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit):
        run.main(["--workers", "0"])

    assert "is not a number of processes" in capsys.readouterr().err
    assert served == {}


def test_a_bad_log_level_flag_is_blamed_on_the_flag(
    served: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit):
        run.main(["--log-level", "nope"])

    error = capsys.readouterr().err
    assert "argument --log-level: unknown log level 'nope'" in error
    assert served == {}


def test_a_host_that_does_not_resolve_cannot_be_listened_on() -> None:
    problem = run.listen_problem("no-such-host.invalid", 8080)

    assert problem is not None
    assert problem.startswith("cannot listen on no-such-host.invalid:8080 (")
    assert f"{ENV_PREFIX}HOST" in problem


def test_a_port_in_use_cannot_be_listened_on() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]

        problem = run.listen_problem("127.0.0.1", port)

    assert problem is not None
    assert f"cannot listen on 127.0.0.1:{port}" in problem


def test_a_free_port_can_be_listened_on() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    assert run.listen_problem("127.0.0.1", port) is None
