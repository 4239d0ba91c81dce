"""Measure what the baked LLM client adds on top of the bare openai SDK.

Run from the template repo root:

    uv run python bench/llm_overhead.py

It bakes the default answers into a temporary folder and syncs that project
(bench/_baked.py), then runs the measurements inside its environment against
one fake LLM server (the project's own tests/fakes/llm_server.py) on 127.0.0.1:

  a) per-call time of client.create() versus a raw AsyncOpenAI call, the two
     alternating call by call so drift and noise hit both alike (goal <= 1.1);
  b) one agent turn with 8 tool calls of 200 ms each, versus one tool call plus
     two model round trips: the concurrency check (goal <= 1.5).
"""

import sys
import textwrap

from _baked import BakeError, baked_project, clean_environment, find_uv, run

RUN_TIMEOUT = 120

MEASURE = textwrap.dedent(
    '''
    import asyncio
    import os
    import statistics
    import sys
    import time

    sys.path.insert(0, os.getcwd())

    from openai import AsyncOpenAI

    from tests.fakes.llm_server import Completion, FakeLlmServer, tool_call

    CALLS = 400
    WARMUP = 30
    AGENT_RUNS = 5
    TOOL_SECONDS = 0.2
    MESSAGES = [{"role": "user", "content": "Hello"}]


    async def per_call(server):
        from PACKAGE.clients.openrouter import OpenRouterApiClient

        raw = AsyncOpenAI(api_key="bench", base_url=server.base_url, max_retries=0)
        client = OpenRouterApiClient()

        async def raw_call():
            await raw.chat.completions.create(model="fake/model", messages=MESSAGES)

        async def our_call():
            await client.create(messages=MESSAGES)

        for _ in range(WARMUP):
            await raw_call()
            await our_call()
        raw_times, our_times = [], []
        for index in range(CALLS):
            # Alternate which goes first, so neither always gets a warm socket.
            pair = [(raw_call, raw_times), (our_call, our_times)]
            for call, times in pair if index % 2 else reversed(pair):
                started = time.perf_counter()
                await call()
                times.append(time.perf_counter() - started)
        await raw.close()
        return statistics.median(raw_times), statistics.median(our_times)


    async def agent_turn(server):
        from PACKAGE.clients.openrouter import OpenRouterApiClient

        client = OpenRouterApiClient()

        @client.tool
        async def slow_lookup(n: int) -> str:
            """Take a while to look something up."""
            await asyncio.sleep(TOOL_SECONDS)
            return str(n)

        agent_times, round_trips = [], []
        for _ in range(AGENT_RUNS):
            calls = [tool_call("slow_lookup", {"n": n}) for n in range(8)]
            server.script(Completion(tool_calls=calls), Completion(content="done"))
            started = time.perf_counter()
            response = await client.agent(messages=MESSAGES)
            agent_times.append(time.perf_counter() - started)
            assert len(response["tool_results"]) == 8, response

            # A model round trip the agent makes: a streamed reply.
            server.script(Completion(content="done"))
            started = time.perf_counter()
            async for _ in client.stream(messages=MESSAGES):
                pass
            round_trips.append(time.perf_counter() - started)
        return statistics.median(agent_times), statistics.median(round_trips)


    async def main():
        server = FakeLlmServer().start()
        os.environ.update(
            OPENROUTER_BASE_URL=server.base_url,
            OPENROUTER_TOKEN="bench",
            OPENROUTER_MAX_RETRIES="0",
        )
        try:
            raw, ours = await per_call(server)
            agent, round_trip = await agent_turn(server)
        finally:
            from PACKAGE.utils.client import close_clients

            await close_clients()
            server.stop()

        ideal = TOOL_SECONDS + 2 * round_trip
        rows = [
            ("raw openai call (median)", f"{raw * 1000:.2f} ms", ""),
            ("client.create (median)", f"{ours * 1000:.2f} ms", ""),
            ("create / raw", f"{ours / raw:.2f}", "<= 1.10"),
            ("agent turn, 8 tools x 200 ms", f"{agent * 1000:.0f} ms", ""),
            ("1 tool + 2 round trips", f"{ideal * 1000:.0f} ms", ""),
            ("agent / ideal", f"{agent / ideal:.2f}", "<= 1.50"),
        ]
        print(f"{'measure':<32}{'value':>12}{'goal':>10}")
        for name, value, goal in rows:
            print(f"{name:<32}{value:>12}{goal:>10}")


    asyncio.run(main())
    '''
)


def main() -> None:
    # The baked project must not pick up this repo's virtualenv or settings.
    env = {
        name: value
        for name, value in clean_environment().items()
        if not name.startswith("OPENROUTER_")
    }
    print("baking and syncing the default project ...", flush=True)
    try:
        with baked_project("llm-bench-", env=env) as baked:
            script = baked.root / "bench_llm_overhead.py"
            script.write_text(MEASURE.replace("PACKAGE", baked.package))
            print("measuring ...", flush=True)
            command = [find_uv(), "run", "python", script.name]
            print(run("the measurement", command, baked.root, env, RUN_TIMEOUT))
    except BakeError as error:
        sys.exit(f"error: {error}")


if __name__ == "__main__":
    main()
