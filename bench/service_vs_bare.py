"""Bake the template's defaults and measure the service against a bare FastAPI app.

Both apps run under the same interpreter (the baked project's .venv) and the same
uvicorn settings, one worker each, on 127.0.0.1 only. Two things are compared:

* start-up: from spawning the process to the first 200 on GET /health/live;
* throughput: requests per second on GET /ident under a concurrent keep-alive load,
  plus the server's own CPU time per request (read from /proc), which stays
  meaningful even when the load client and the server fight over the cores.

Runs of the two apps are interleaved and each figure is a median, so a noisy
machine hits both alike; the verdict is the ratio baked/bare.

Run from the template's root:  uv run python bench/service_vs_bare.py
Exit status: 0 when the measurement ran (whether or not the goals were met),
1 on an error (bake, uv sync, a server that never became healthy, failed requests).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import http.client
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

from _baked import TEMPLATE_ROOT, BakeError, bake_and_sync, clean_environment

HOST = "127.0.0.1"
LIVE_PATH = "/health/live"
IDENT_PATH = "/ident"

STARTUP_GOAL = 1.3  # baked/bare start-up time, at most
THROUGHPUT_GOAL = 0.9  # baked/bare requests per second, at least

HEALTH_POLL_SECONDS = 0.01
HEALTH_TIMEOUT_SECONDS = 30.0
STOP_GRACE_SECONDS = 5.0
REQUEST_TIMEOUT_SECONDS = 5.0
WARMUP_SECONDS = 1.0
# A hard cap per load round, on top of its duration.
MAX_REQUESTS_PER_ROUND = 200_000

BARE_APP_SOURCE = '''\
"""The yardstick: FastAPI with two plain routes and nothing else.

No return annotations on purpose: an annotation would give each route a
response model, and validating against it is part of what is being measured.
"""

from fastapi import FastAPI

app = FastAPI()


@app.get("/health/live")
async def live():
    return {"status": "ok"}


@app.get("/ident")
async def ident():
    return {
        "name": "Bare FastAPI App",
        "version": "0.1.0",
        "description": "A FastAPI app with two routes, the yardstick of the bench.",
    }
'''


class BenchError(Exception):
    """Something went wrong that makes the figures meaningless."""


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# -------------------------------------------------------------------------- servers


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


@dataclass
class AppSpec:
    """How to start one of the two apps on a given port."""

    label: str
    python: Path
    target: list[str]  # what follows `python -m uvicorn`
    cwd: Path
    env: dict[str, str]
    log_file: Path

    def command(self, port: int) -> list[str]:
        return [
            str(self.python),
            "-m",
            "uvicorn",
            *self.target,
            "--host",
            HOST,
            "--port",
            str(port),
            "--log-level",
            "warning",
        ]


@dataclass
class Server:
    spec: AppSpec
    port: int
    process: subprocess.Popen[bytes]
    spawned_at: float


@dataclass
class ServerPool:
    """Every process started here, so that all of them die with the script."""

    live: list[Server] = field(default_factory=list)

    def start(self, spec: AppSpec) -> Server:
        port = free_port()
        with spec.log_file.open("ab") as output:
            output.write(f"--- {' '.join(spec.command(port))}\n".encode())
            output.flush()
            spawned_at = time.perf_counter()
            process = subprocess.Popen(
                spec.command(port),
                cwd=spec.cwd,
                env=spec.env,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group, killed as one
            )
        server = Server(spec, port, process, spawned_at)
        self.live.append(server)
        return server

    def stop(self, server: Server) -> None:
        process = server.process
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=STOP_GRACE_SECONDS)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=STOP_GRACE_SECONDS)
        else:
            # The leader is gone; make sure nothing it forked lingers.
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGKILL)
        if server in self.live:
            self.live.remove(server)

    def stop_all(self) -> None:
        for server in list(self.live):
            self.stop(server)


def log_tail(path: Path, lines: int = 20) -> str:
    try:
        text = path.read_text(errors="replace").splitlines()
    except OSError:
        return "(no log)"
    return "\n".join(text[-lines:])


def get(
    port: int, path: str, timeout: float = 1.0
) -> tuple[int, dict[str, str], bytes]:
    connection = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        body = response.read()
        headers = {name.lower(): value for name, value in response.getheaders()}
        return response.status, headers, body
    finally:
        connection.close()


def wait_healthy(server: Server) -> float:
    """Seconds from spawn to the first 200 on /health/live."""
    deadline = server.spawned_at + HEALTH_TIMEOUT_SECONDS
    while True:
        if server.process.poll() is not None:
            raise BenchError(
                f"{server.spec.label} exited with {server.process.returncode} "
                f"before it became healthy:\n{log_tail(server.spec.log_file)}"
            )
        with contextlib.suppress(OSError, http.client.HTTPException):
            status, _, _ = get(server.port, LIVE_PATH)
            if status == 200:
                return time.perf_counter() - server.spawned_at
        if time.perf_counter() > deadline:
            raise BenchError(
                f"{server.spec.label} gave no 200 on {LIVE_PATH} within "
                f"{HEALTH_TIMEOUT_SECONDS:g} s:\n{log_tail(server.spec.log_file)}"
            )
        time.sleep(HEALTH_POLL_SECONDS)


def check_ident(server: Server) -> None:
    status, headers, body = get(
        server.port, IDENT_PATH, timeout=REQUEST_TIMEOUT_SECONDS
    )
    if status != 200:
        raise BenchError(f"{server.spec.label}: GET {IDENT_PATH} answered {status}")
    payload = json.loads(body)
    if not (
        isinstance(payload, dict)
        and len(payload) == 3
        and all(isinstance(value, str) for value in payload.values())
    ):
        raise BenchError(f"{server.spec.label}: unexpected {IDENT_PATH} body {body!r}")
    if server.spec.label == "baked" and "x-request-id" not in headers:
        log("  note: the baked service sent no x-request-id header")


def cpu_seconds(pid: int) -> float | None:
    """User plus system CPU time of a process, or None where /proc is missing."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2 :].split()
    # After the command name: state is field 3, utime 14 and stime 15 (1-based).
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# ----------------------------------------------------------------------- load client
#
# A small hand-written HTTP/1.1 keep-alive client. httpx's AsyncClient tops out at
# a few hundred to ~900 req/s here (fewer with more pooled connections), far below
# what one uvicorn worker serves, so it would hide any difference between the apps.
# An asyncio.Protocol per connection costs the client little CPU, leaving the
# server as the bottleneck on a two-core machine.


@dataclass
class Load:
    """Tallies of one round, shared by its connections."""

    deadline: float
    budget: int = MAX_REQUESTS_PER_ROUND
    ok: int = 0
    failed: int = 0
    examples: list[str] = field(default_factory=list)

    def record(self, head: bytes) -> None:
        status_line = head.split(b"\r\n", 1)[0]
        if status_line.split(b" ", 2)[1:2] == [b"200"]:
            self.ok += 1
            return
        self.failed += 1
        if len(self.examples) < 3:
            self.examples.append(status_line.decode("latin-1"))

    def another(self) -> bool:
        if self.budget <= 0 or time.perf_counter() >= self.deadline:
            return False
        self.budget -= 1
        return True


def content_length(head: bytes) -> int:
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value)
    raise ValueError(f"response without content-length: {head[:200]!r}")


class KeepAliveConnection(asyncio.Protocol):
    """Sends GET /ident, reads the whole response, sends the next, until time is up."""

    def __init__(
        self, request: bytes, load: Load, finished: asyncio.Future[None]
    ) -> None:
        self.request = request
        self.load = load
        self.finished = finished
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.head: bytes | None = None  # of the response being read
        self.body_left = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not asyncio.Transport subclasses; only the
        # methods matter.
        self.transport = cast(asyncio.Transport, transport)
        try:
            self.send_next()
        except Exception as error:  # a callback's error would only be logged
            self.fail(error)

    def send_next(self) -> None:
        assert self.transport is not None
        if self.load.another():
            self.transport.write(self.request)
        else:
            self.transport.close()

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        try:
            while self.transport is not None and not self.transport.is_closing():
                if self.head is None:
                    end = self.buffer.find(b"\r\n\r\n")
                    if end < 0:
                        return
                    self.head = bytes(self.buffer[:end])
                    del self.buffer[: end + 4]
                    self.body_left = content_length(self.head)
                if len(self.buffer) < self.body_left:
                    return
                del self.buffer[: self.body_left]
                self.load.record(self.head)
                self.head = None
                self.send_next()
        except Exception as error:  # a callback's error would only be logged
            self.fail(error)

    def fail(self, error: Exception) -> None:
        if not self.finished.done():
            self.finished.set_exception(error)
        if self.transport is not None:
            self.transport.abort()

    def connection_lost(self, exc: Exception | None) -> None:
        if self.finished.done():
            return
        if exc is None and (self.head is not None or self.buffer):
            exc = ConnectionError("the server closed the connection mid-response")
        if exc is None:
            self.finished.set_result(None)
        else:
            self.finished.set_exception(exc)


async def drive_load(port: int, seconds: float, connections: int) -> tuple[Load, float]:
    """Keep `connections` connections busy for `seconds`; the tallies and wall time."""
    loop = asyncio.get_running_loop()
    request = f"GET {IDENT_PATH} HTTP/1.1\r\nHost: {HOST}:{port}\r\n\r\n".encode()
    started = time.perf_counter()
    load = Load(deadline=started + seconds)
    finished: list[asyncio.Future[None]] = []
    protocols: list[KeepAliveConnection] = []
    try:
        for _ in range(connections):
            future: asyncio.Future[None] = loop.create_future()
            _, protocol = await loop.create_connection(
                lambda future=future: KeepAliveConnection(request, load, future),
                HOST,
                port,
            )
            finished.append(future)
            protocols.append(protocol)
        # Every connection stops at the deadline; a stuck one trips the timeout.
        async with asyncio.timeout(seconds + REQUEST_TIMEOUT_SECONDS):
            await asyncio.gather(*finished)
    finally:
        for protocol in protocols:
            if protocol.transport is not None:
                protocol.transport.abort()
    return load, time.perf_counter() - started


@dataclass
class Round:
    rps: float
    cpu_us_per_request: float | None
    server_busy: float | None  # server CPU seconds per wall second


def load_round(server: Server, seconds: float, connections: int) -> Round:
    cpu_before = cpu_seconds(server.process.pid)
    try:
        load, elapsed = asyncio.run(drive_load(server.port, seconds, connections))
    except Exception as error:  # the server broke the exchange somehow
        raise BenchError(
            f"{server.spec.label}: load failed ({type(error).__name__}: {error})\n"
            f"{log_tail(server.spec.log_file)}"
        ) from error
    cpu_after = cpu_seconds(server.process.pid)
    if load.failed:
        raise BenchError(
            f"{server.spec.label}: {load.failed} of {load.ok + load.failed} requests "
            f"failed, e.g. {load.examples}"
        )
    if load.ok == 0:
        raise BenchError(f"{server.spec.label}: no request completed")
    cpu = None if cpu_before is None or cpu_after is None else cpu_after - cpu_before
    return Round(
        rps=load.ok / elapsed,
        cpu_us_per_request=None if cpu is None else cpu / load.ok * 1e6,
        server_busy=None if cpu is None else cpu / elapsed,
    )


# ------------------------------------------------------------------------- measuring


def interleaved(count: int, action: Callable[[str], None]) -> None:
    """Run action for both apps `count` times, swapping which goes first each time."""
    for index in range(count):
        order = ("bare", "baked") if index % 2 == 0 else ("baked", "bare")
        for label in order:
            action(label)


def measure_startup(
    pool: ServerPool, specs: dict[str, AppSpec], runs: int
) -> dict[str, list[float]]:
    samples: dict[str, list[float]] = {label: [] for label in specs}

    def once(label: str, keep: bool = True) -> None:
        server = pool.start(specs[label])
        try:
            seconds = wait_healthy(server)
        finally:
            pool.stop(server)
        if keep:
            samples[label].append(seconds)

    # The first start of each writes bytecode caches and warms the page cache.
    for label in specs:
        once(label, keep=False)
    interleaved(runs, once)
    return samples


def measure_throughput(
    pool: ServerPool,
    specs: dict[str, AppSpec],
    rounds: int,
    seconds: float,
    connections: int,
) -> dict[str, list[Round]]:
    servers = {label: pool.start(spec) for label, spec in specs.items()}
    for server in servers.values():
        wait_healthy(server)
        check_ident(server)
    for server in servers.values():
        load_round(server, WARMUP_SECONDS, connections)

    results: dict[str, list[Round]] = {label: [] for label in specs}

    def once(label: str) -> None:
        results[label].append(load_round(servers[label], seconds, connections))

    interleaved(rounds, once)
    for server in servers.values():
        pool.stop(server)
    return results


# ------------------------------------------------------------------------- reporting


def ratio(baked: float, bare: float) -> float:
    return baked / bare if bare else float("nan")


def report(
    startup: dict[str, list[float]],
    throughput: dict[str, list[Round]],
    args: argparse.Namespace,
) -> str:
    start_bare = statistics.median(startup["bare"]) * 1000
    start_baked = statistics.median(startup["baked"]) * 1000
    rps_bare = statistics.median(r.rps for r in throughput["bare"])
    rps_baked = statistics.median(r.rps for r in throughput["baked"])
    start_ratio = ratio(start_baked, start_bare)
    rps_ratio = ratio(rps_baked, rps_bare)

    rows = [
        (
            f"start-up to first 200 on {LIVE_PATH}, ms (median of {args.startup_runs})",
            f"{start_bare:.0f}",
            f"{start_baked:.0f}",
            f"{start_ratio:.2f}",
            f"<= {STARTUP_GOAL}",
            "yes" if start_ratio <= STARTUP_GOAL else "no",
        ),
        (
            f"GET {IDENT_PATH}, req/s (median of {args.rounds} x {args.seconds:g} s, "
            f"{args.connections} conns)",
            f"{rps_bare:.0f}",
            f"{rps_baked:.0f}",
            f"{rps_ratio:.2f}",
            f">= {THROUGHPUT_GOAL}",
            "yes" if rps_ratio >= THROUGHPUT_GOAL else "no",
        ),
    ]
    cpu = {
        label: [
            r.cpu_us_per_request for r in rounds if r.cpu_us_per_request is not None
        ]
        for label, rounds in throughput.items()
    }
    if cpu["bare"] and cpu["baked"]:
        cpu_bare = statistics.median(cpu["bare"])
        cpu_baked = statistics.median(cpu["baked"])
        rows.append(
            (
                f"server CPU per GET {IDENT_PATH}, us (median)",
                f"{cpu_bare:.0f}",
                f"{cpu_baked:.0f}",
                f"{ratio(cpu_baked, cpu_bare):.2f}",
                "(info)",
                "-",
            )
        )

    lines = [
        "| metric | bare | baked | ratio | goal | met? |",
        "| --- | ---: | ---: | ---: | --- | --- |",
        *("| " + " | ".join(row) + " |" for row in rows),
        "",
        "Raw samples, in the order they ran per app:",
    ]
    for label in ("bare", "baked"):
        starts = ", ".join(f"{s * 1000:.0f}" for s in startup[label])
        rps = ", ".join(f"{r.rps:.0f}" for r in throughput[label])
        busy = ", ".join(
            f"{r.server_busy:.0%}"
            for r in throughput[label]
            if r.server_busy is not None
        )
        lines.append(
            f"- {label}: start-up ms [{starts}]; req/s [{rps}]; "
            f"server CPU busy [{busy}]"
        )
    return "\n".join(lines)


# ----------------------------------------------------------------------------- main


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--template", type=Path, default=TEMPLATE_ROOT)
    parser.add_argument("--startup-runs", type=int, default=9, help="starts per app")
    parser.add_argument("--rounds", type=int, default=8, help="load rounds per app")
    parser.add_argument(
        "--seconds", type=float, default=2.5, help="length of a load round"
    )
    parser.add_argument(
        "--connections", type=int, default=32, help="keep-alive connections"
    )
    parser.add_argument(
        "--no-pyc",
        action="store_true",
        help="keep an inherited PYTHONDONTWRITEBYTECODE: starts compile from source",
    )
    parser.add_argument(
        "--keep",
        action="store_true",
        help="keep the temporary folder (baked project, logs)",
    )
    args = parser.parse_args(argv)
    if (
        min(args.startup_runs, args.rounds, args.connections) < 1
        or not 0 < args.seconds <= 30
    ):
        parser.error("runs, rounds and connections must be >= 1; seconds in (0, 30]")
    return args


def run(args: argparse.Namespace, workdir: Path, pool: ServerPool) -> str:
    began = time.perf_counter()
    # Without an inherited PYTHONDONTWRITEBYTECODE, the first (discarded) start of
    # each app leaves .pyc files behind; with --no-pyc every start compiles.
    env = clean_environment(bytecode_cache=not args.no_pyc)
    baked = bake_and_sync(workdir / "baked", args.template, env, log=log)
    python, prefix = baked.python, baked.env_prefix

    bare_dir = workdir / "bare"
    bare_dir.mkdir()
    (bare_dir / "bare_app.py").write_text(BARE_APP_SOURCE)
    bare_env = {k: v for k, v in env.items() if not k.startswith(prefix)}
    bare_env["PYTHONPATH"] = str(bare_dir)
    baked_env = {k: v for k, v in env.items() if not k.startswith(prefix)}
    baked_env[f"{prefix}LOG_DIR"] = ""  # console only
    baked_env[f"{prefix}LOG_LEVEL"] = "WARNING"
    specs = {
        "bare": AppSpec(
            "bare", python, ["bare_app:app"], bare_dir, bare_env, workdir / "bare.log"
        ),
        "baked": AppSpec(
            "baked",
            python,
            [f"{baked.package}.api.server:create_app", "--factory"],
            baked.root,
            baked_env,
            workdir / "baked.log",
        ),
    }

    log(f"start-up: {args.startup_runs} interleaved starts per app")
    startup = measure_startup(pool, specs, args.startup_runs)
    log(f"throughput: {args.rounds} interleaved rounds of {args.seconds:g} s per app")
    throughput = measure_throughput(
        pool, specs, args.rounds, args.seconds, args.connections
    )
    log(f"done in {time.perf_counter() - began:.0f} s")
    return report(startup, throughput, args)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)

    def terminate(signum: int, _frame: object) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, terminate)
    pool = ServerPool()
    workdir = Path(tempfile.mkdtemp(prefix="bench-service-vs-bare-"))
    try:
        print(run(args, workdir, pool))
        return 0
    except (BenchError, BakeError) as error:
        log(f"error: {error}")
        return 1
    except KeyboardInterrupt:
        return 130
    finally:
        pool.stop_all()
        if args.keep:
            log(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
