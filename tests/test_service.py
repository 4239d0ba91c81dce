"""The baked service starts in every documented way and answers over real HTTP."""

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from conftest import BakedProject, bake_into, clean_environment, require_uv

pytestmark = pytest.mark.slow

HOST = "127.0.0.1"
START_TIMEOUT = 60.0
STOP_TIMEOUT = 10.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


@dataclass
class RunningService:
    """A service process in its own process group, with its output in a file."""

    process: subprocess.Popen[bytes]
    port: int
    log: Path
    command: Sequence[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def describe(self) -> str:
        return f"{' '.join(self.command)}\n--- output ---\n{self.output()}"

    def wait_until_live(self, timeout: float = START_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(
                    f"the service exited with {self.process.returncode}:\n"
                    + self.describe(),
                    pytrace=False,
                )
            try:
                if httpx.get(f"{self.url}/health/live", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        pytest.fail(
            f"no answer within {timeout:g} s:\n{self.describe()}", pytrace=False
        )

    def get(self, path: str) -> httpx.Response:
        return httpx.get(f"{self.url}{path}", timeout=10)

    def stop(self) -> int:
        """End the whole process group: uv, the server and any reloader child."""
        if self.process.poll() is None:
            self._signal_group(signal.SIGTERM)
            try:
                self.process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self._signal_group(signal.SIGKILL)
                self.process.wait(STOP_TIMEOUT)
        # Children may outlive the leader; nothing of the group may stay behind.
        self._signal_group(signal.SIGKILL)
        return self.process.returncode

    def interrupt(self) -> bool:
        """Press Ctrl+C in the service's terminal; True once its whole group is gone."""
        self._signal_group(signal.SIGINT)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(STOP_TIMEOUT)
        deadline = time.monotonic() + STOP_TIMEOUT
        while time.monotonic() < deadline:
            try:
                os.killpg(self.process.pid, 0)
            except ProcessLookupError:
                return True
            time.sleep(0.1)
        return False

    def _signal_group(self, signal_number: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal_number)


Start = Callable[..., RunningService]
# The first documented form; "{port}" becomes a free port, "uv" the real uv.
SERVE = ["uv", "run", "service", "--", "--host", HOST, "--port", "{port}"]


def launch(
    command: Sequence[str],
    cwd: Path,
    log: Path,
    env: Mapping[str, str] | None = None,
) -> RunningService:
    """Start a command in its own process group, as a user's shell would."""
    port = free_port()
    arguments = [
        require_uv() if part == "uv" else part.format(port=port) for part in command
    ]
    with log.open("wb") as output:
        process = subprocess.Popen(
            arguments,
            cwd=cwd,
            env=clean_environment(env),
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return RunningService(process, port, log, arguments)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> BakedProject:
    """One baked and synced project shared by every test here."""
    require_uv()
    baked = bake_into(tmp_path_factory.mktemp("service"), {})
    baked.uv("sync")
    return baked


@pytest.fixture
def start(project: BakedProject, tmp_path: Path) -> Iterator[Start]:
    """Start the service with a command; every process started is ended after."""
    started: list[RunningService] = []

    def _start(
        command: Sequence[str],
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
    ) -> RunningService:
        log = tmp_path / f"service-{len(started)}.log"
        service = launch(command, cwd or project.path, log, env)
        started.append(service)
        return service

    yield _start
    for service in started:
        service.stop()


@pytest.fixture(scope="module")
def running(
    project: BakedProject, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningService]:
    """The service started the first documented way, shared by the API checks."""
    log = tmp_path_factory.mktemp("running") / "service.log"
    service = launch(SERVE, project.path, log)
    try:
        service.wait_until_live()
        yield service
    finally:
        service.stop()


def test_ident_names_the_service(
    running: RunningService, project: BakedProject
) -> None:
    response = running.get("/ident")

    assert response.status_code == 200
    assert response.json() == {
        "name": project.context["project_name"],
        "version": project.context["version"],
        "description": project.context["description"],
    }


def test_health_endpoints_answer(running: RunningService) -> None:
    assert running.get("/health/live").status_code == 200
    assert running.get("/health/ready").status_code == 200


def test_definition_describes_every_operation(running: RunningService) -> None:
    response = running.get("/mbxai-definition")

    assert response.status_code == 200
    operations = response.json()
    assert isinstance(operations, list)
    assert operations
    required = {
        "endpoint",
        "method",
        "request_schema",
        "response_schema",
        "name",
        "summary",
        "description",
        "path_parameters",
        "query_parameters",
    }
    for operation in operations:
        assert required <= set(operation), operation
    by_route = {(op["endpoint"], op["method"]): op for op in operations}
    assert {("/ident", "GET"), ("/health/live", "GET")} <= set(by_route)
    hello = by_route[("/api/hello", "POST")]
    assert "name" in hello["request_schema"]["properties"]
    assert hello["response_schema"] is not None


def test_hello_answers_a_post(running: RunningService) -> None:
    response = httpx.post(f"{running.url}/api/hello", json={"name": "Ada"}, timeout=10)

    assert response.status_code == 200
    assert "Ada" in str(response.json())


def test_service_with_reload_answers_and_stops_on_ctrl_c(start: Start) -> None:
    service = start([*SERVE, "--reload"])
    service.wait_until_live()

    status = service.get("/ident").status_code
    group_gone = service.interrupt()

    assert status == 200
    assert group_gone, f"processes left after Ctrl+C:\n{service.describe()}"
    assert service.process.returncode is not None


def test_module_form_starts_the_service(start: Start, project: BakedProject) -> None:
    module = f"{project.package}.api.run"
    service = start(
        ["uv", "run", "python", "-m", module, "--host", HOST, "--port", "{port}"]
    )

    service.wait_until_live()

    assert service.get("/ident").status_code == 200


@pytest.mark.parametrize("level", ["20", "INFO", "debug"])
def test_log_level_is_accepted_as_number_or_name(
    start: Start, project: BakedProject, level: str
) -> None:
    service = start(SERVE, env={f"{project.env_prefix}_LOG_LEVEL": level})

    service.wait_until_live()

    assert service.get("/health/live").status_code == 200


@pytest.mark.parametrize(("setting", "value"), [("PORT", "abc"), ("LOG_LEVEL", "LOUD")])
def test_bad_setting_stops_start_up_with_one_line(
    start: Start, project: BakedProject, setting: str, value: str
) -> None:
    variable = f"{project.env_prefix}_{setting}"

    service = start(SERVE, env={variable: value})
    try:
        returncode = service.process.wait(START_TIMEOUT)
    except subprocess.TimeoutExpired:
        pytest.fail(f"started despite {variable}={value}:\n{service.describe()}")

    output = service.output()
    assert returncode != 0, output
    assert "Traceback" not in output, output
    assert len([line for line in output.splitlines() if variable in line]) == 1, output


@pytest.fixture
def dotenv(project: BakedProject) -> Iterator[Callable[[str], None]]:
    """Write the project's .env for one test and take it away afterwards."""
    path = project.path / ".env"
    assert not path.exists(), "a .env was left in the shared project"

    def _write(text: str) -> None:
        path.write_text(text, encoding="utf-8")

    yield _write
    path.unlink(missing_ok=True)


@pytest.mark.parametrize("where", ["another folder", "src"])
def test_dotenv_in_the_project_root_is_read_from_any_folder(
    start: Start,
    project: BakedProject,
    dotenv: Callable[[str], None],
    tmp_path: Path,
    where: str,
) -> None:
    dotenv(f"{project.env_prefix}_NAME=From Dotenv\n")
    if where == "src":
        service = start(SERVE, cwd=project.path / "src")
    else:
        elsewhere = tmp_path / "elsewhere"
        elsewhere.mkdir()
        service = start(
            ["uv", "run", "--project", str(project.path), *SERVE[2:]], cwd=elsewhere
        )

    service.wait_until_live()

    assert service.get("/ident").json()["name"] == "From Dotenv"
