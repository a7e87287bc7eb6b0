"""Event scenario: a live event replayed against a real stack this script starts itself.

    .venv/bin/python bench/event_scenario.py                  # 5,000 voters, 60 s, 1,000 viewers
    .venv/bin/python bench/event_scenario.py --voters 500 --seconds 15 --viewers 100

Stack: embedded Redis, ``machmal serve --workers 2``, two ``machmal worker``; product
defaults for every limit (videos not required, to open duels without uploads).

The event: a competition of 8 teams, 4 first-round duels. The host opens them one after
the other (every ``seconds / 4``); each opening brings a burst of phones (60 % of that
duel's voters arrive within seconds, exponentially), the rest trickle in until the end.
A phone GETs the vote page (signed voter cookie), solves the challenge the page brings (as
vote.js does; the venue's networks get busy) while it waits a moment, POSTs its vote,
solves a fresh challenge when still asked, honours 429/503
``Retry-After`` once, and 10 % tap the button twice. Phones sit behind six venue NATs
(different /24s) or on mobile networks (an address each), with 40 browser versions.
Three bots hammer the vote API from one address without cookies. ``viewers`` live
boards hold the SSE stream the whole time; one of them measures vote-to-screen (each
202 until a ``tally`` event counts it).

Reports accepted votes, refusals by code, request latency (p50/p99), vote-to-screen
latency, viewers reached, and checks the totals once the tally caught up: official
(+ quarantined, if the fraud rules held any) == accepted, per duel.
"""

from __future__ import annotations

import argparse
import asyncio
import html
import os
import random
import re
import resource
import statistics
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
import orjson  # noqa: E402
import redis  # noqa: E402
from probes import ProcessCpu, Profiler, RedisProbe  # noqa: E402  (bench/ is on the path)
from rawhttp import Answer, Pool  # noqa: E402
from stack import HOST_TOKEN, Stack  # noqa: E402

from duels import keys  # noqa: E402
from voting.tokens import VOTER_COOKIE, solve  # noqa: E402

HOST = {"Authorization": f"Bearer {HOST_TOKEN}"}
DUELS = 4
BURST_SHARE = 0.6
BURST_MEAN_SECONDS = 3.0
DOUBLE_TAP_SHARE = 0.1
VENUE_SHARE = 0.7
VENUE_NATS = [f"10.{20 + n}.{n * 7}.1" for n in range(6)]
BOT_ADDRESS = "198.51.100.66"
BOTS = 3
BOT_PAUSE_SECONDS = 0.05
AGENTS = [
    f"Mozilla/5.0 (Linux; Android 14) Mobile Safari/537.36 Chrome/{120 + n}" for n in range(40)
]
PHONE_CLIENTS = 32
PHONE_CONNECTIONS = 16
COOKIE = re.compile(rf"{VOTER_COOKIE}=([^;]+)")
CHALLENGE = re.compile(rb'data-challenge="([^"]*)"')


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def raise_file_limit() -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = min(hard if hard != resource.RLIM_INFINITY else 65536, 65536)
    if soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def set_up_competition(url: str) -> tuple[str, list[dict[str, Any]]]:
    with httpx.Client(base_url=url, headers=HOST, timeout=10) as http:
        cid = http.post("/api/competitions", json={"title": "Mach mal – Live"}).json()["id"]
        trades = ["Bäcker/in", "Tischler/in", "Elektroniker/in", "Koch/Köchin"]
        for n in range(DUELS * 2):
            company = http.post(f"/api/competitions/{cid}/companies", json={"name": f"Firma {n}"})
            http.post(
                f"/api/competitions/{cid}/teams",
                json={
                    "company_id": company.json()["id"],
                    "name": f"Team {n}",
                    "trade": trades[n % 4],
                },
            ).raise_for_status()
        drawn = http.post(
            f"/api/competitions/{cid}/bracket",
            json={"format": "single_elimination", "seeding": "random", "seed": 7},
        )
        drawn.raise_for_status()
        view = http.get(f"/api/competitions/{cid}/bracket").json()
        duels = [d for r in view["rounds"] if r["number"] == view["round"] for d in r["duels"]]
    return cid, duels


class Recorder:
    def __init__(self) -> None:
        self.outcomes: Counter[str] = Counter()
        self.latencies: list[float] = []
        self.accepted: Counter[tuple[str, str]] = Counter()
        self.answered: dict[str, list[tuple[str, float]]] = {}  # duel -> (vote id, 202 at)
        self.errors: Counter[str] = Counter()
        self.pages: list[float] = []

    def answer(self, did: str, team: str, response: Answer, took: float) -> str:
        self.latencies.append(took)
        if response.status == 202:
            self.accepted[(did, team)] += 1
            vote_id = orjson.loads(response.body)["vote_id"]
            self.answered.setdefault(did, []).append((vote_id, time.monotonic()))
            code = "202 accepted"
        else:
            try:
                code = f"{response.status} {orjson.loads(response.body)['detail']['code']}"
            except (ValueError, KeyError, TypeError):
                code = str(response.status)
        self.outcomes[code] += 1
        return code


async def post_vote(
    http: Pool, rec: Recorder, did: str, team: str, headers: dict[str, str],
    proof: dict[str, str] | None = None,
) -> Answer:  # fmt: skip
    body: dict[str, Any] = {"team_id": team}
    if proof is not None:
        body["pow"] = proof
    started = time.monotonic()
    response = await http.request("POST", f"/api/duels/{did}/votes", headers, orjson.dumps(body))
    rec.answer(did, team, response, time.monotonic() - started)
    return response


async def phone(
    http: Pool, rec: Recorder, duel: dict[str, Any], at: float, start: float,
    rng: random.Random, solver: ProcessPoolExecutor,
) -> None:  # fmt: skip
    await asyncio.sleep(max(0.0, start + at - time.monotonic()))
    address = (
        rng.choice(VENUE_NATS)
        if rng.random() < VENUE_SHARE
        else f"100.{rng.randrange(64, 128)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"
    )
    headers = {"X-Forwarded-For": address, "User-Agent": rng.choice(AGENTS)}
    did = duel["id"]
    team = duel["home"]["id"] if rng.random() < 0.55 else duel["away"]["id"]
    try:
        started = time.monotonic()
        page = await http.request("GET", f"/vote/{did}", headers)
        rec.pages.append(time.monotonic() - started)
        found = COOKIE.search(page.headers.get("set-cookie", ""))
        if found is None:
            rec.errors[f"page {page.status}"] += 1
            return
        headers["Cookie"] = f"{VOTER_COOKIE}={found.group(1)}"
        headers["Content-Type"] = "application/json"
        # As vote.js does: the page's challenge is solved while the phone shows the videos.
        given = CHALLENGE.search(page.body)
        solving = None
        if given is not None and given.group(1):
            challenge = orjson.loads(html.unescape(given.group(1).decode()))
            solving = asyncio.get_running_loop().run_in_executor(
                solver, solve, challenge["challenge"], int(challenge["difficulty"])
            )
        await asyncio.sleep(rng.uniform(0.5, 3.0))  # reads, watches, taps
        proof = None
        if solving is not None:
            proof = {"challenge": challenge["challenge"], "nonce": await solving}
        response = await post_vote(http, rec, did, team, headers, proof)
        for _ in range(3):
            answer: Any = response.json() if response.status != 202 else {}
            detail = answer.get("detail", {})
            if response.status == 403 and "challenge" in detail:
                # The phone's own CPU solves it: another process, not this event loop.
                challenge = detail["challenge"]
                nonce = await asyncio.get_running_loop().run_in_executor(
                    solver, solve, challenge["challenge"], int(challenge["difficulty"])
                )
                proof = {"challenge": challenge["challenge"], "nonce": nonce}
                response = await post_vote(http, rec, did, team, headers, proof)
            elif response.status in (429, 503):
                wait = min(float(response.headers.get("retry-after", "1")), 5.0)
                await asyncio.sleep(wait)
                response = await post_vote(http, rec, did, team, headers)
            else:
                break
        if rng.random() < DOUBLE_TAP_SHARE:
            await post_vote(http, rec, did, team, headers)  # answered already_voted
    except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
        rec.errors[type(exc).__name__] += 1


async def bot(http: Pool, rec: Recorder, duels: list[dict[str, Any]], until: float) -> None:
    headers = {
        "X-Forwarded-For": BOT_ADDRESS,
        "User-Agent": "python-requests/2.31",
        "Content-Type": "application/json",
    }
    n = 0
    while time.monotonic() < until:
        duel = duels[n % len(duels)]
        n += 1
        try:
            await post_vote(http, rec, duel["id"], duel["home"]["id"], headers)
        except (OSError, asyncio.IncompleteReadError) as exc:
            rec.errors[f"bot {type(exc).__name__}"] += 1
        await asyncio.sleep(BOT_PAUSE_SECONDS)


async def loop_lag(lags: list[float], stop: asyncio.Event) -> None:
    """How late the load generator's own event loop wakes up: when this grows, its
    latency figures include its own queueing, not only the server's."""
    while not stop.is_set():
        started = time.monotonic()
        await asyncio.sleep(0.01)
        lags.append(time.monotonic() - started - 0.01)


class Viewers:
    """Raw-socket SSE clients (the live board on phones and the projector)."""

    def __init__(self) -> None:
        self.tally_events: Counter[int] = Counter()  # viewer -> tally events received
        self.connected = 0
        self.writers: list[asyncio.StreamWriter] = []
        self.tasks: list[asyncio.Task[None]] = []

    async def open(self, port: int, cid: str, count: int) -> None:
        for start in range(0, count, 250):
            await asyncio.gather(
                *(self._one(port, cid, n) for n in range(start, min(count, start + 250)))
            )

    async def _one(self, port: int, cid: str, number: int) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(
            f"GET /api/competitions/{cid}/events HTTP/1.1\r\nHost: bench\r\n"
            "Accept: text/event-stream\r\n\r\n".encode()
        )
        self.writers.append(writer)
        self.connected += 1
        self.tasks.append(asyncio.create_task(self._read(reader, number)))

    async def _read(self, reader: asyncio.StreamReader, number: int) -> None:
        # Whole reads, not lines: a thousand boards must not cost this process a core.
        tail = b""
        while chunk := await reader.read(65536):
            seen = tail + chunk
            self.tally_events[number] += seen.count(b"\nevent: tally\n")
            tail = seen[-13:]  # shorter than the pattern: nothing counted twice

    async def close(self) -> None:
        for writer in self.writers:
            writer.close()
        for task in self.tasks:
            task.cancel()


async def screen_probe(url: str, cid: str, shown: dict[str, list[tuple[float, int]]]) -> None:
    """One board that parses every tally: (arrival, counted total) per duel."""
    async with (
        httpx.AsyncClient(timeout=None) as http,
        http.stream("GET", f"{url}/api/competitions/{cid}/events") as response,
    ):
        kind = ""
        async for line in response.aiter_lines():
            if line.startswith("event: "):
                kind = line[7:]
            elif line.startswith("data: ") and kind == "tally":
                payload = orjson.loads(line[6:])
                if "counts" in payload:
                    total = sum(payload["counts"].values()) + sum(payload["quarantined"].values())
                    shown.setdefault(payload["duel"], []).append((time.monotonic(), total))


def vote_to_screen(rec: Recorder, shown: dict[str, list[tuple[float, int]]]) -> list[float]:
    def order(vote_id: str) -> tuple[int, int]:
        head, _, tail = vote_id.partition("-")
        return int(head), int(tail)

    latencies = []
    for did, answered in rec.answered.items():
        events = shown.get(did, [])
        for position, (_, answered_at) in enumerate(sorted(answered, key=lambda a: order(a[0])), 1):
            seen = next((at for at, total in events if total >= position), None)
            if seen is not None:
                latencies.append(max(0.0, seen - answered_at))
    return latencies


def schedule(voters: int, seconds: float, rng: random.Random) -> list[tuple[float, int]]:
    """(arrival second, duel index): a burst after each opening, the rest spread out."""
    arrivals = []
    slot = seconds / DUELS
    for n in range(voters):
        duel = n % DUELS
        opened = duel * slot
        if rng.random() < BURST_SHARE:
            at = opened + min(rng.expovariate(1 / BURST_MEAN_SECONDS), slot)
        else:
            at = rng.uniform(opened, seconds)
        arrivals.append((at, duel))
    return arrivals


async def run(stack: Stack, args: argparse.Namespace) -> bool:
    url, port = stack.url, stack.port
    rng = random.Random(2024)
    cid, duels = await asyncio.to_thread(set_up_competition, url)
    rec = Recorder()
    client = redis.Redis.from_url(stack.redis.url, decode_responses=True)
    shown: dict[str, list[tuple[float, int]]] = {}
    viewers = Viewers()
    await viewers.open(port, cid, args.viewers)
    probe = asyncio.create_task(screen_probe(url, cid, shown))
    pools = [Pool("127.0.0.1", port, PHONE_CONNECTIONS) for _ in range(PHONE_CLIENTS)]
    bots_http = Pool("127.0.0.1", port, BOTS)
    lags: list[float] = []
    lag_stop = asyncio.Event()
    lagging = asyncio.create_task(loop_lag(lags, lag_stop))
    roles = {**stack.roles(), "load": [os.getpid()]}
    redis_probe = RedisProbe(
        stack.redis.url,
        monitor=Path(args.monitor) if args.monitor else None,
        every_command=args.script_costs,
    )
    profiler = (
        Profiler(Path(args.profile), stack.roles(), args.seconds + 5) if args.profile else None
    )
    with (
        ProcessPoolExecutor(2) as solver,
        httpx.Client(base_url=url, timeout=10, headers=HOST) as host,
    ):
        await asyncio.sleep(1.0)
        redis_probe.start()
        cpu = ProcessCpu(roles)
        if profiler is not None:
            profiler.start()
        start = time.monotonic()
        plan = schedule(args.voters, args.seconds, rng)
        phones = [
            asyncio.create_task(
                phone(pools[n % PHONE_CLIENTS], rec, duels[duel], at, start, rng, solver)
            )
            for n, (at, duel) in enumerate(plan)
        ]
        bots = [
            asyncio.create_task(bot(bots_http, rec, duels, start + args.seconds))
            for _ in range(BOTS)
        ]
        for number, duel in enumerate(duels):  # the host opens one duel after the other
            await asyncio.sleep(max(0.0, start + number * args.seconds / DUELS - time.monotonic()))
            opened = await asyncio.to_thread(
                host.post, f"/api/duels/{duel['id']}/open", json={"show_results": True}
            )
            opened.raise_for_status()
        await asyncio.gather(*phones, *bots)
        ran_for = time.monotonic() - start

    expected = {
        d["id"]: sum(n for (did, _), n in rec.accepted.items() if did == d["id"]) for d in duels
    }

    def counted() -> dict[str, tuple[int, int]]:
        result = {}
        for duel in duels:
            official = {k: int(v) for k, v in client.hgetall(keys.official(duel["id"])).items()}
            teams = (duel["home"]["id"], duel["away"]["id"])
            result[duel["id"]] = (
                sum(official.get(t, 0) for t in teams),
                sum(official.get(f"q:{t}", 0) for t in teams),
            )
        return result

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and any(  # noqa: ASYNC110 - polls Redis
        sum(counted()[did]) != n for did, n in expected.items()
    ):
        await asyncio.sleep(0.25)
    await asyncio.sleep(1.0)  # the last tally events reach the boards
    totals = counted()
    accepted = sum(rec.accepted.values())
    whole = time.monotonic() - start
    cpu_lines = cpu.report(whole, accepted)
    redis_probe.stop()
    redis_lines = redis_probe.report(accepted)
    lag_stop.set()
    await lagging
    probe.cancel()
    await viewers.close()
    for pool in (*pools, bots_http):
        await pool.close()
    client.close()
    redis_probe.close()

    refusals = {code: n for code, n in rec.outcomes.items() if not code.startswith("202")}
    screen = vote_to_screen(rec, shown)
    reached = sum(1 for n in viewers.tally_events.values() if n > 0)
    every = args.seconds / DUELS
    pinned = "load generator on CPU 0, product on CPU 1" if args.pin else "not pinned"
    print(f"event: {args.voters} voters over {ran_for:.1f} s, {DUELS} duels opened every "
          f"{every:.0f} s, {BOTS} bots, {viewers.connected} SSE viewers ({pinned})")  # fmt: skip
    posts = rec.latencies
    print(f"requests: {len(posts)} vote POSTs; latency p50 {ms(statistics.median(posts))}, "
          f"p99 {ms(percentile(posts, 0.99))}, max {ms(max(posts))}")  # fmt: skip
    if rec.pages:
        print(f"vote page GETs: {len(rec.pages)}; latency p50 {ms(statistics.median(rec.pages))}, "
              f"p99 {ms(percentile(rec.pages, 0.99))}, max {ms(max(rec.pages))}")  # fmt: skip
    print(f"accepted votes (202): {accepted}")
    print("refused by code: " + ", ".join(f"{code}: {n}" for code, n in sorted(refusals.items())))
    if rec.errors:
        print(f"client-side errors: {dict(rec.errors)}")
    if screen:
        print(f"vote-to-screen (202 -> SSE tally): p50 {ms(statistics.median(screen))}, "
              f"p95 {ms(percentile(screen, 0.95))}, p99 {ms(percentile(screen, 0.99))}, "
              f"max {ms(max(screen))} ({len(screen)} of {accepted} votes seen)")  # fmt: skip
    events = sum(len(seen) for seen in shown.values())
    print(f"tally events on a board: {events} ({events / ran_for:.0f}/s); "
          f"viewers that got tally events: {reached} of {viewers.connected}")  # fmt: skip
    print(f"load generator's own event-loop lag: p50 {ms(percentile(lags, 0.5))}, "
          f"p99 {ms(percentile(lags, 0.99))}, max {ms(max(lags, default=0.0))}")  # fmt: skip
    for line in (*cpu_lines, *redis_lines):
        print(line)
    if profiler is not None:
        for line in profiler.report():
            print(line)
    ok = True
    for duel in duels:
        official, held = totals[duel["id"]]
        match = official + held == expected[duel["id"]]
        ok &= match
        print(f"  duel {duel['id']}: accepted {expected[duel['id']]}, official {official}, "
              f"quarantined {held} -> {'OK' if match else 'MISMATCH'}")  # fmt: skip
    print("totals: official (+ quarantined) == accepted" if ok else "totals: MISMATCH")
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--voters", type=int, default=5000)
    parser.add_argument("--seconds", type=float, default=60.0, help="length of the voting")
    parser.add_argument("--viewers", type=int, default=1000, help="SSE live-board clients")
    parser.add_argument(
        "--pin", action="store_true",
        help="load generator on CPU 0, Redis, web and workers on CPU 1 (needs 2 CPUs)",
    )  # fmt: skip
    parser.add_argument("--web-workers", type=int, default=2)
    parser.add_argument("--rq-workers", type=int, default=2)
    parser.add_argument("--profile", metavar="DIR", help="py-spy the product into DIR")
    parser.add_argument(
        "--monitor", metavar="FILE", help="log Redis MONITOR to FILE and print the command mix"
    )
    parser.add_argument(
        "--script-costs", action="store_true",
        help="slow log of every command: Redis time per script and command",
    )  # fmt: skip
    args = parser.parse_args()
    limit = raise_file_limit()
    print(f"open-file limit {limit}; {os.cpu_count()} CPUs; Python {sys.version.split()[0]}")
    if args.pin:
        os.sched_setaffinity(0, {0})
    with tempfile.TemporaryDirectory(prefix="machmal-event-") as tmp:
        stack = Stack(
            Path(tmp),
            web_workers=args.web_workers,
            rq_workers=args.rq_workers,
            environment={
                "MACHMAL_REQUIRE_APPROVED_VIDEOS": "false",
                # Every viewer comes from this one machine: lift the per-address stream cap.
                "MACHMAL_SSE_CLIENTS_PER_ADDRESS": "100000",
            },
            cpus={1} if args.pin else None,
        )
        stack.start()
        try:
            ok = asyncio.run(run(stack, args))
        finally:
            stack.stop()
    if not ok:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
