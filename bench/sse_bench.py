"""SSE benchmark: vote-to-screen latency and SSE clients per web process.

    .venv/bin/python bench/sse_bench.py [--rate 100] [--seconds 15] [--clients 500,1000,2000,4000]

Starts its own embedded Redis, ONE web process (``machmal serve``) and one worker.

1. Vote-to-screen latency: votes go to the real vote endpoint at a steady rate; the
   clock runs from each 202 answer until an SSE ``tally`` event shows that vote
   counted (official + quarantined total, in stream order).
2. Fan-out capacity: N concurrent SSE clients (raw asyncio sockets, one process),
   events published at 1/s through ``duels.events.publish``; reports how many
   clients got each event within 1 s, the delivery latency, and the web process's
   memory per client (RSS delta / N, via psutil).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import resource
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
import orjson  # noqa: E402
import redis  # noqa: E402
from rawhttp import Pool  # noqa: E402
from stack import SECRET_KEY, Stack  # noqa: E402  (bench/ is on the path)

from duels import events, store, tournament  # noqa: E402
from voting.tokens import VOTER_COOKIE, VoteSecrets, new_voter_id  # noqa: E402

BENCH_EVENT = re.compile(rb"id: (\S+)\nevent: bench\n")


def raise_file_limit() -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = hard if hard != resource.RLIM_INFINITY else 65536
    wanted = min(wanted, 65536)
    if soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def make_competition(client: redis.Redis) -> tuple[str, str, list[str]]:
    competition = store.create_competition(client, "SSE-Benchmark")
    company, _ = store.add_company(client, competition.id, "Firma Bench")
    teams = [
        store.add_team(client, competition.id, company.id, f"Team {n}", "Tischler/in")
        for n in range(2)
    ]
    tournament.draw(client, competition.id, seeding="manual", order=[t.id for t in teams])
    (duel,) = store.duels_of_competition(client, competition.id)
    tournament.open_voting(client, duel.id)
    return competition.id, duel.id, [t.id for t in teams]


# SSE over raw sockets ------------------------------------------------------------


class RawSSE:
    """One SSE connection; records when each event id arrived."""

    def __init__(self) -> None:
        self.arrived: dict[str, float] = {}
        self.hello = asyncio.Event()
        self.task: asyncio.Task[None] | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def connect(self, port: int, cid: str) -> None:
        reader, self.writer = await asyncio.open_connection("127.0.0.1", port)
        self.writer.write(
            f"GET /api/competitions/{cid}/events HTTP/1.1\r\nHost: bench\r\n"
            "Accept: text/event-stream\r\n\r\n".encode()
        )
        self.task = asyncio.create_task(self._read(reader))

    async def _read(self, reader: asyncio.StreamReader) -> None:
        # Whole chunks, not lines: thousands of clients in this one process must stay
        # cheaper than the server they measure.
        tail = b""
        while chunk := await reader.read(65536):
            now = time.monotonic()
            seen = tail + chunk
            if b"event: hello" in seen:
                self.hello.set()
            for found in BENCH_EVENT.finditer(seen):
                self.arrived.setdefault(found.group(1).decode(), now)
            tail = seen[-128:]

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        if self.task is not None:
            self.task.cancel()


# 1. vote-to-screen -----------------------------------------------------------------


async def vote_to_screen(stack: Stack, client: redis.Redis, rate: float, seconds: float) -> None:
    cid, did, teams = make_competition(client)
    secrets = VoteSecrets(SECRET_KEY)
    tallies: list[tuple[float, int]] = []  # (arrival, counted total)
    hops: list[float] = []  # event logged (stream id time) -> received, wall clock
    answered: list[tuple[str, float]] = []  # (vote id, 202 time)
    refused: dict[str, int] = {}

    async def watch(http: httpx.AsyncClient, ready: asyncio.Event) -> None:
        url = f"{stack.url}/api/competitions/{cid}/events"
        async with http.stream("GET", url) as response:
            kind = ""
            async for line in response.aiter_lines():
                if line.startswith("id: "):
                    hops.append(time.time() - int(line[4:].partition("-")[0]) / 1000)
                elif line.startswith("event: "):
                    kind = line[7:]
                    ready.set()
                elif line.startswith("data: ") and kind == "tally":
                    payload = orjson.loads(line[6:])
                    total = sum(payload["counts"].values()) + sum(payload["quarantined"].values())
                    tallies.append((time.monotonic(), total))

    async def vote(http: httpx.AsyncClient, n: int) -> None:
        cookie = secrets.sign_voter(new_voter_id())
        try:
            answer = await http.post(
                f"/api/duels/{did}/votes",
                json={"team_id": teams[n % 2]},
                cookies={VOTER_COOKIE: cookie},
                headers={"User-Agent": f"bench-phone/{n % 50}"},
            )
        except httpx.HTTPError as exc:
            refused[type(exc).__name__] = refused.get(type(exc).__name__, 0) + 1
            return
        if answer.status_code == 202:
            answered.append((answer.json()["vote_id"], time.monotonic()))
        else:
            refused[str(answer.status_code)] = refused.get(str(answer.status_code), 0) + 1

    # Drop idle connections before uvicorn's 5 s keep-alive does (no reuse of a closed one).
    limits = httpx.Limits(max_connections=64, keepalive_expiry=2.0)
    async with (
        httpx.AsyncClient(timeout=30) as sse_http,
        httpx.AsyncClient(base_url=stack.url, timeout=30, limits=limits) as http,
    ):
        ready = asyncio.Event()
        watcher = asyncio.create_task(watch(sse_http, ready))
        await asyncio.wait_for(ready.wait(), 10)
        started = time.monotonic()
        pending = []
        total_votes = int(rate * seconds)
        for n in range(total_votes):
            await asyncio.sleep(max(0.0, started + n / rate - time.monotonic()))
            pending.append(asyncio.create_task(vote(http, n)))
        await asyncio.gather(*pending)
        sent_for = time.monotonic() - started
        deadline = time.monotonic() + 15
        behind = lambda: not tallies or tallies[-1][1] < len(answered)  # noqa: E731
        while time.monotonic() < deadline and behind():  # noqa: ASYNC110 - plain list
            await asyncio.sleep(0.05)
        watcher.cancel()

    def order(vote_id: str) -> tuple[int, int]:
        head, _, tail = vote_id.partition("-")
        return (int(head), int(tail)) if head.isdigit() and tail.isdigit() else (0, 0)

    answered.sort(key=lambda item: order(item[0]))
    latencies = []
    for position, (_, answered_at) in enumerate(answered, start=1):
        shown = next((at for at, total in tallies if total >= position), None)
        if shown is not None:
            latencies.append(max(0.0, shown - answered_at))
    print("1) vote-to-screen (real vote endpoint -> tally worker -> SSE)")
    print(f"   votes sent: {total_votes} at {rate:.0f}/s over {sent_for:.1f} s; "
          f"202: {len(answered)}; refused: {refused or 'none'}")  # fmt: skip
    print(f"   tally events received: {len(tallies)}; votes seen on screen: {len(latencies)}")
    if latencies:
        print(
            f"   latency 202 -> SSE: p50 {ms(statistics.median(latencies))}, "
            f"p95 {ms(percentile(latencies, 0.95))}, max {ms(max(latencies))}"
        )
    if hops:
        print(
            f"   of which event logged -> SSE client: p50 {ms(statistics.median(hops))}, "
            f"p95 {ms(percentile(hops, 0.95))} (the rest is the tally job's batching)"
        )


# 2. fan-out capacity ----------------------------------------------------------------


async def vote_load(
    stack: Stack, did: str, teams: list[str], rate: float, stop: asyncio.Event
) -> Counter[int]:
    """Votes at ``rate`` per second (each a new voter) until ``stop``; answers by status."""
    secrets = VoteSecrets(SECRET_KEY)
    pool = Pool("127.0.0.1", stack.port, 32)
    answers: Counter[int] = Counter()

    async def one(n: int) -> None:
        headers = {
            "Cookie": f"{VOTER_COOKIE}={secrets.sign_voter(new_voter_id())}",
            "Content-Type": "application/json",
            "User-Agent": f"bench-phone/{n % 50}",
        }
        body = orjson.dumps({"team_id": teams[n % 2]})
        try:
            answers[
                (await pool.request("POST", f"/api/duels/{did}/votes", headers, body)).status
            ] += 1
        except (OSError, asyncio.IncompleteReadError):
            answers[0] += 1

    started, n, pending = time.monotonic(), 0, set()
    while not stop.is_set():
        await asyncio.sleep(max(0.0, started + n / rate - time.monotonic()))
        task = asyncio.create_task(one(n))
        pending.add(task)
        task.add_done_callback(pending.discard)
        n += 1
    await asyncio.gather(*pending)
    await pool.close()
    return answers


async def fan_out(stack: Stack, client: redis.Redis, steps: list[int], rate: float) -> None:
    cid, did, teams = make_competition(client)
    web = stack.web_process
    print(f"2) concurrent SSE clients on ONE web process (events published at 1/s, while "
          f"{rate:.0f} votes/s come in to the competition's duel, whose tallies go out "
          "too)")  # fmt: skip
    print("   clients | connected | got all 5 events <1s | p50 | p95 | max | RSS | per client "
          "| vote answers by status")  # fmt: skip
    # Per client = RSS growth over the process before its first SSE client (an upper
    # bound: memory freed by an earlier step stays with the process).
    baseline_rss = web.memory_info().rss
    print(f"   RSS before any SSE client: {baseline_rss / 2**20:.1f} MiB")
    for count in steps:
        await asyncio.sleep(1.0)
        clients = [RawSSE() for _ in range(count)]
        for start in range(0, count, 250):  # batches, so the listen backlog keeps up
            batch = clients[start : start + 250]
            await asyncio.gather(*(c.connect(stack.port, cid) for c in batch))
            await asyncio.gather(
                *(asyncio.wait_for(c.hello.wait(), 30) for c in batch), return_exceptions=True
            )
        connected = sum(c.hello.is_set() for c in clients)
        await asyncio.sleep(1.0)
        rss = web.memory_info().rss
        stop = asyncio.Event()
        voting = asyncio.create_task(vote_load(stack, did, teams, rate, stop)) if rate else None
        published: list[tuple[str, float]] = []
        for _ in range(5):
            at = time.monotonic()
            entry_id = await asyncio.to_thread(events.publish, client, cid, "bench", {"at": at})
            published.append((entry_id, at))
            await asyncio.sleep(1.0)
        await asyncio.sleep(1.0)
        stop.set()
        answers = await voting if voting is not None else Counter()
        latencies = []
        on_time = 0
        for c in clients:
            delays = [c.arrived[i] - at for i, at in published if i in c.arrived]
            latencies.extend(delays)
            on_time += len(delays) == len(published) and max(delays) < 1.0
        per_client = (rss - baseline_rss) / max(connected, 1)
        print(
            f"   {count:7d} | {connected:9d} | {on_time:20d} | "
            f"{ms(statistics.median(latencies)) if latencies else '-':>8} | "
            f"{ms(percentile(latencies, 0.95)) if latencies else '-':>8} | "
            f"{ms(max(latencies)) if latencies else '-':>8} | "
            f"{rss / 2**20:6.1f} MiB | {per_client / 1024:5.1f} KiB | "
            f"votes {dict(answers)}"
        )
        await asyncio.gather(*(c.close() for c in clients))
        gauge_deadline = time.monotonic() + 20
        while time.monotonic() < gauge_deadline:
            answer = await asyncio.to_thread(httpx.get, f"{stack.url}/metrics", timeout=5)
            metrics = answer.text
            if "machmal_sse_clients 0.0" in metrics:
                break
            await asyncio.sleep(0.2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=20.0, help="votes per second (part 1)")
    parser.add_argument(
        "--fanout-rate", type=float, default=500.0, help="votes per second during part 2"
    )
    parser.add_argument("--seconds", type=float, default=15.0, help="length of the vote load")
    parser.add_argument("--clients", default="1000,2500,5000", help="SSE client counts")
    args = parser.parse_args()
    limit = raise_file_limit()  # children (the web process) inherit it
    steps = [int(n) for n in args.clients.split(",") if n]
    print(f"open-file limit {limit}; {os.cpu_count()} CPUs; Python {sys.version.split()[0]}")
    with tempfile.TemporaryDirectory(prefix="machmal-sse-bench-") as tmp:
        stack = Stack(
            Path(tmp),
            environment={
                # One machine sends every vote: lift the per-IP limits and the PoW burst.
                "MACHMAL_VOTES_PER_IP_PER_MINUTE": "100000000",
                "MACHMAL_VOTES_PER_IP_UA_PER_MINUTE": "100000000",
                "MACHMAL_POW_BURST_VOTES_PER_IP": "100000000",
                "MACHMAL_POW_BURST_NEW_VOTERS_PER_MINUTE": "100000000",
                "MACHMAL_SSE_CLIENTS_PER_ADDRESS": "100000",
                "MACHMAL_SSE_CLIENTS_PER_PROCESS": "6000",
            },
        )
        stack.start()
        client = redis.Redis.from_url(stack.redis.url, decode_responses=True)
        try:
            asyncio.run(vote_to_screen(stack, client, args.rate, args.seconds))
            asyncio.run(fan_out(stack, client, steps, args.fanout_rate))
        finally:
            client.close()
            stack.stop()


if __name__ == "__main__":
    main()
