"""A scripted OpenAI-compatible LLM server on 127.0.0.1, for tests and offline work.

It speaks the real wire format over real sockets: JSON replies, server-sent
events with comment lines, tool-call deltas, error bodies, Retry-After, delays,
and a mode that accepts a request and never answers. Tests queue replies with
`server.script(...)`; with nothing queued it plays a small demo model, which is
what runs by hand:

    python -m tests.fakes.llm_server --port 8999
    OPENROUTER_BASE_URL=http://127.0.0.1:8999/v1 OPENROUTER_TOKEN=fake uv run service
"""

import argparse
import asyncio
import json
import threading
import time
import uuid
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

Json = dict[str, Any]


@dataclass
class Reply:
    """Base of the scripted replies; `delay` waits before the status line."""

    delay: float = field(default=0.0, kw_only=True)


@dataclass
class Completion(Reply):
    """A model reply, sent as JSON or as a stream, whichever the request asked for."""

    content: str | None = None
    tool_calls: list[Json] = field(default_factory=list)
    finish_reason: str | None = None
    usage: Json = field(
        default_factory=lambda: {
            "prompt_tokens": 10,
            "completion_tokens": 5,
            "total_tokens": 15,
        }
    )
    # Stream only: comment lines before the first chunk, as OpenRouter sends.
    comments: Sequence[str] = ()


@dataclass
class JsonReply(Reply):
    """Exactly this status, body and headers."""

    body: Json
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class StreamReply(Reply):
    """Exactly these server-sent events: dicts go out as `data:` JSON, strings as
    raw lines (": comment", "data: [DONE]")."""

    events: Sequence[Json | str]
    done: bool = True


@dataclass
class Hang(Reply):
    """Read the request, then never answer."""


@dataclass
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: Json


def tool_call(name: str, arguments: Json | str, call_id: str | None = None) -> Json:
    """One tool call in the wire format; dict arguments are JSON-encoded."""
    return {
        "id": call_id if call_id is not None else f"call_{uuid.uuid4().hex[:8]}",
        "type": "function",
        "function": {
            "name": name,
            "arguments": arguments
            if isinstance(arguments, str)
            else json.dumps(arguments),
        },
    }


def error_reply(
    status: int, message: str, *, retry_after: float | None = None
) -> JsonReply:
    headers = {"Retry-After": f"{retry_after:g}"} if retry_after is not None else {}
    return JsonReply(
        body={"error": {"message": message, "code": status}},
        status=status,
        headers=headers,
    )


def chunk(
    delta: Json | None = None, finish_reason: str | None = None, **extra: Any
) -> Json:
    """One `chat.completion.chunk` with a single choice."""
    return {
        "id": "gen-fake",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": "fake/model",
        "choices": [{"index": 0, "delta": delta or {}, "finish_reason": finish_reason}],
        **extra,
    }


class FakeLlmServer:
    """The server, running its own event loop in a background thread."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host = host
        self.port = port
        self.requests: list[RecordedRequest] = []
        self._replies: deque[Reply] = deque()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._ready = threading.Event()
        self._stopping: asyncio.Event | None = None
        self._server: asyncio.Server | None = None

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}/v1"

    def script(self, *replies: Reply) -> None:
        """Queue replies; each chat request takes the next one."""
        self._replies.extend(replies)

    @property
    def chat_requests(self) -> list[Json]:
        return [
            request.body
            for request in self.requests
            if request.path.endswith("/chat/completions")
        ]

    def start(self) -> "FakeLlmServer":
        self._thread.start()
        if not self._ready.wait(timeout=5):
            raise RuntimeError("the fake LLM server did not start")
        return self

    def stop(self) -> None:
        if self._stopping is not None:
            self._loop.call_soon_threadsafe(self._stopping.set)
        self._thread.join(timeout=5)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_until_complete(self._serve())
        self._loop.close()

    async def _serve(self) -> None:
        self._stopping = asyncio.Event()
        connections: set[asyncio.Task[None]] = set()

        async def on_connect(
            reader: asyncio.StreamReader, writer: asyncio.StreamWriter
        ) -> None:
            task = asyncio.current_task()
            assert task is not None
            connections.add(task)
            try:
                await self._handle_connection(reader, writer)
            except (ConnectionError, asyncio.IncompleteReadError):
                pass
            finally:
                connections.discard(task)
                writer.close()

        self._server = await asyncio.start_server(on_connect, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        self._ready.set()
        await self._stopping.wait()
        self._server.close()
        for task in list(connections):
            task.cancel()
        await asyncio.gather(*connections, return_exceptions=True)

    async def _handle_connection(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        while True:
            request_line = await reader.readline()
            if not request_line:
                return
            method, path, _ = request_line.decode("latin-1").split(" ", 2)
            headers: dict[str, str] = {}
            while (line := await reader.readline()) not in (b"\r\n", b"\n", b""):
                name, _, value = line.decode("latin-1").partition(":")
                headers[name.strip().lower()] = value.strip()
            raw = await reader.readexactly(int(headers.get("content-length", "0")))
            body = json.loads(raw) if raw else {}
            self.requests.append(RecordedRequest(method, path, headers, body))

            if method == "GET" and path.endswith("/models"):
                await _send_json(writer, 200, {"data": [{"id": "fake/model"}]}, {})
            elif method == "POST" and path.endswith("/chat/completions"):
                reply = self._replies.popleft() if self._replies else demo_reply(body)
                await self._send_reply(writer, reply, body)
            else:
                await _send_json(
                    writer, 404, {"error": {"message": "no such route"}}, {}
                )

    async def _send_reply(
        self, writer: asyncio.StreamWriter, reply: Reply, request: Json
    ) -> None:
        if reply.delay:
            await asyncio.sleep(reply.delay)
        if isinstance(reply, Hang):
            assert self._stopping is not None
            await self._stopping.wait()
        elif isinstance(reply, JsonReply):
            await _send_json(writer, reply.status, reply.body, reply.headers)
        elif isinstance(reply, StreamReply):
            await _send_stream(writer, reply.events, done=reply.done)
        elif isinstance(reply, Completion):
            if request.get("stream"):
                await _send_stream(writer, _completion_events(reply), done=True)
            else:
                await _send_json(writer, 200, _completion_body(reply), {})


async def _send_json(
    writer: asyncio.StreamWriter, status: int, body: Json, headers: dict[str, str]
) -> None:
    payload = json.dumps(body).encode()
    head = [
        f"HTTP/1.1 {status} {HTTPStatus(status).phrase}",
        "Content-Type: application/json",
        f"Content-Length: {len(payload)}",
        *(f"{name}: {value}" for name, value in headers.items()),
    ]
    writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + payload)
    await writer.drain()


async def _send_stream(
    writer: asyncio.StreamWriter, events: Sequence[Json | str], *, done: bool
) -> None:
    writer.write(
        b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
        b"Cache-Control: no-cache\r\nTransfer-Encoding: chunked\r\n\r\n"
    )
    lines = [
        event if isinstance(event, str) else f"data: {json.dumps(event)}"
        for event in events
    ]
    if done:
        lines.append("data: [DONE]")
    for line in lines:
        # A comment is one line; an event ends with a blank line.
        data = (line + ("\n" if line.startswith(":") else "\n\n")).encode()
        writer.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        await writer.drain()
    writer.write(b"0\r\n\r\n")
    await writer.drain()


def _completion_body(reply: Completion) -> Json:
    message: Json = {"role": "assistant", "content": reply.content}
    if reply.tool_calls:
        message["tool_calls"] = reply.tool_calls
    return {
        "id": "gen-fake",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": "fake/model",
        "choices": [
            {
                "index": 0,
                "message": message,
                "finish_reason": _finish_reason(reply),
            }
        ],
        "usage": reply.usage,
    }


def _completion_events(reply: Completion) -> list[Json | str]:
    """The reply as a provider streams it: text in pieces, each tool call as a
    head (id, name) and its arguments in two halves, then usage."""
    events: list[Json | str] = list(reply.comments)
    events.append(chunk({"role": "assistant", "content": ""}))
    for word in _pieces(reply.content or ""):
        events.append(chunk({"content": word}))
    for index, call in enumerate(reply.tool_calls):
        arguments = call["function"]["arguments"]
        half = len(arguments) // 2
        head = {"index": index, "id": call["id"], "type": "function"}
        events.append(
            chunk(
                {
                    "tool_calls": [
                        head | {"function": {"name": call["function"]["name"]}}
                    ]
                }
            )
        )
        for part in (arguments[:half], arguments[half:]):
            events.append(
                chunk(
                    {"tool_calls": [{"index": index, "function": {"arguments": part}}]}
                )
            )
    events.append(chunk({}, _finish_reason(reply)))
    events.append(chunk({}, None, usage=reply.usage) | {"choices": []})
    return events


def _finish_reason(reply: Completion) -> str:
    if reply.finish_reason:
        return reply.finish_reason
    return "tool_calls" if reply.tool_calls else "stop"


def _pieces(text: str) -> list[str]:
    words = text.split(" ")
    return [word + " " for word in words[:-1]] + [words[-1]] if text else []


def demo_reply(request: Json) -> Completion:
    """What the server says when nothing is scripted: enough to click through the
    demo endpoints without a real model."""
    response_format = request.get("response_format") or {}
    if response_format.get("type") == "json_schema":
        schema = response_format["json_schema"]["schema"]
        return Completion(content=json.dumps(example_of(schema, schema)))

    messages = request.get("messages", [])
    last_role = messages[-1].get("role") if messages else None
    tools = request.get("tools") or []
    if tools and last_role != "tool":
        function = tools[0]["function"]
        arguments = example_of(function.get("parameters", {}), function)
        return Completion(tool_calls=[tool_call(function["name"], arguments)])
    if last_role == "tool":
        results = [m["content"] for m in messages if m.get("role") == "tool"]
        return Completion(content="The tools answered: " + "; ".join(results))
    return Completion(
        content="Hello from the fake LLM server. Point OPENROUTER_BASE_URL at a "
        "real provider for real answers."
    )


def example_of(schema: Json, root: Json) -> Any:
    """A small value that fits a JSON schema."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return example_of(root.get("$defs", {}).get(name, {}), root)
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        return schema["enum"][0]
    if "anyOf" in schema:
        options = [o for o in schema["anyOf"] if o.get("type") != "null"]
        return example_of(options[0], root) if options else None
    kind = schema.get("type")
    if kind == "object":
        return {
            name: example_of(value, root)
            for name, value in schema.get("properties", {}).items()
        }
    examples: dict[str, Any] = {
        "array": [],
        "string": "example",
        "integer": 42,
        "number": 21.5,
        "boolean": True,
    }
    return examples.get(kind) if isinstance(kind, str) else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8999)
    options = parser.parse_args()
    server = FakeLlmServer(options.host, options.port).start()
    print(f"Fake LLM server on {server.base_url}; Ctrl+C stops it.")
    print(
        f"  OPENROUTER_BASE_URL={server.base_url} OPENROUTER_TOKEN=fake uv run service"
    )
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        server.stop()


if __name__ == "__main__":
    main()
