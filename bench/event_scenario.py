"""Event scenario: a live event replayed against a real stack this script starts itself.

    .venv/bin/python bench/event_scenario.py                  # 5,000 voters, 60 s, 1,000 viewers
    .venv/bin/python bench/event_scenario.py --voters 500 --seconds 15 --viewers 100

Stack: embedded Redis, ``machmal serve --workers 2``, two ``machmal worker``; product
defaults for every limit (videos not required, to open duels without uploads).

The event: a competition of 8 teams, 4 first-round duels. The host opens them one after
the other (every ``seconds / 4``); each opening brings a burst of phones (60 % of that
duel's voters arrive within seconds, exponentially), the rest trickle in until the end.
A phone GETs the vote page (signed voter cookie), waits a moment, POSTs its vote, solves
the proof-of-work when asked (the venue's networks get busy), honours 429/503
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
import contextlib
import os
import random
import re
import resource
import statistics
import sys
import tempfile
import time
from collections import Counter
from http.cookiejar import CookieJar, DefaultCookiePolicy
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
import orjson  # noqa: E402
import redis  # noqa: E402
from stack import HOST_TOKEN, Stack  # noqa: E402  (bench/ is on the path)

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


class NoCookies(DefaultCookiePolicy):
    """Thousands of phones share one HTTP client: it must not keep anyone's cookie."""

    def set_ok(self, cookie: Any, request: Any) -> bool:
        return False


def phones_client(url: str) -> httpx.AsyncClient:
    # Small pools: one httpx client slows down badly with hundreds of queued requests.
    limits = httpx.Limits(max_connections=PHONE_CONNECTIONS, keepalive_expiry=2.0)
    jar = CookieJar(policy=NoCookies())
    return httpx.AsyncClient(base_url=url, timeout=30, limits=limits, cookies=jar)


class Recorder:
    def __init__(self) -> None:
        self.outcomes: Counter[str] = Counter()
        self.latencies: list[float] = []
        self.accepted: Counter[tuple[str, str]] = Counter()
        self.answered: dict[str, list[tuple[str, float]]] = {}  # duel -> (vote id, 202 at)
        self.errors: Counter[str] = Counter()

    def answer(self, did: str, team: str, response: httpx.Response, took: float) -> str:
        self.latencies.append(took)
        if response.status_code == 202:
            self.accepted[(did, team)] += 1
            self.answered.setdefault(did, []).append((response.json()["vote_id"], time.monotonic()))
            code = "202 accepted"
        else:
            try:
                code = f"{response.status_code} {response.json()['detail']['code']}"
            except (ValueError, KeyError, TypeError):
                code = str(response.status_code)
        self.outcomes[code] += 1
        return code


async def post_vote(
    http: httpx.AsyncClient, rec: Recorder, did: str, team: str, headers: dict[str, str],
    proof: dict[str, str] | None = None,
) -> httpx.Response:  # fmt: skip
    body: dict[str, Any] = {"team_id": team}
    if proof is not None:
        body["pow"] = proof
    started = time.monotonic()
    response = await http.post(f"/api/duels/{did}/votes", json=body, headers=headers)
    rec.answer(did, team, response, time.monotonic() - started)
    return response


async def phone(
    http: httpx.AsyncClient, rec: Recorder, duel: dict[str, Any], at: float, start: float,
    rng: random.Random,
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
        page = await http.get(f"/vote/{did}", headers=headers)
        found = COOKIE.search(page.headers.get("set-cookie", ""))
        if found is None:
            rec.errors[f"page {page.status_code}"] += 1
            return
        headers["Cookie"] = f"{VOTER_COOKIE}={found.group(1)}"
        await asyncio.sleep(rng.uniform(0.5, 3.0))  # reads, watches, taps
        response = await post_vote(http, rec, did, team, headers)
        for _ in range(3):
            detail = response.json().get("detail", {}) if response.status_code != 202 else {}
            if response.status_code == 403 and "challenge" in detail:
                challenge = detail["challenge"]
                nonce = await asyncio.to_thread(
                    solve, challenge["challenge"], int(challenge["difficulty"])
                )
                proof = {"challenge": challenge["challenge"], "nonce": nonce}
                response = await post_vote(http, rec, did, team, headers, proof)
            elif response.status_code in (429, 503):
                wait = min(float(response.headers.get("Retry-After", "1")), 5.0)
                await asyncio.sleep(wait)
                response = await post_vote(http, rec, did, team, headers)
            else:
                break
        if rng.random() < DOUBLE_TAP_SHARE:
            await post_vote(http, rec, did, team, headers)  # answered already_voted
    except httpx.HTTPError as exc:
        rec.errors[type(exc).__name__] += 1


async def bot(
    http: httpx.AsyncClient, rec: Recorder, duels: list[dict[str, Any]], until: float
) -> None:
    headers = {"X-Forwarded-For": BOT_ADDRESS, "User-Agent": "python-requests/2.31"}
    n = 0
    while time.monotonic() < until:
        duel = duels[n % len(duels)]
        n += 1
        try:
            await post_vote(http, rec, duel["id"], duel["home"]["id"], headers)
        except httpx.HTTPError as exc:
            rec.errors[f"bot {type(exc).__name__}"] += 1
        await asyncio.sleep(BOT_PAUSE_SECONDS)


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
        while line := await reader.readline():
            if line.startswith(b"event: tally"):
                self.tally_events[number] += 1

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


def redis_cpu(client: redis.Redis) -> float:
    info = client.info("cpu")
    return float(info["used_cpu_sys"]) + float(info["used_cpu_user"])


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


async def run(url: str, port: int, redis_url: str, args: argparse.Namespace) -> None:
    rng = random.Random(2024)
    cid, duels = await asyncio.to_thread(set_up_competition, url)
    rec = Recorder()
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    cpu_before = redis_cpu(client)
    shown: dict[str, list[tuple[float, int]]] = {}
    viewers = Viewers()
    await viewers.open(port, cid, args.viewers)
    probe = asyncio.create_task(screen_probe(url, cid, shown))
    async with contextlib.AsyncExitStack() as clients:
        pool = [await clients.enter_async_context(phones_client(url)) for _ in range(PHONE_CLIENTS)]
        bots_http = await clients.enter_async_context(phones_client(url))
        host = await clients.enter_async_context(
            httpx.AsyncClient(base_url=url, timeout=10, headers=HOST)
        )
        await asyncio.sleep(1.0)
        start = time.monotonic()
        plan = schedule(args.voters, args.seconds, rng)
        phones = [
            asyncio.create_task(phone(pool[n % PHONE_CLIENTS], rec, duels[duel], at, start, rng))
            for n, (at, duel) in enumerate(plan)
        ]
        bots = [
            asyncio.create_task(bot(bots_http, rec, duels, start + args.seconds))
            for _ in range(BOTS)
        ]
        for number, duel in enumerate(duels):  # the host opens one duel after the other
            await asyncio.sleep(max(0.0, start + number * args.seconds / DUELS - time.monotonic()))
            opened = await host.post(f"/api/duels/{duel['id']}/open", json={"show_results": True})
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
    cpu_used = redis_cpu(client) - cpu_before
    probe.cancel()
    await viewers.close()
    client.close()

    accepted = sum(rec.accepted.values())
    refusals = {code: n for code, n in rec.outcomes.items() if not code.startswith("202")}
    screen = vote_to_screen(rec, shown)
    reached = sum(1 for n in viewers.tally_events.values() if n > 0)
    every = args.seconds / DUELS
    print(f"event: {args.voters} voters over {ran_for:.1f} s, {DUELS} duels opened every "
          f"{every:.0f} s, {BOTS} bots, {viewers.connected} SSE viewers")  # fmt: skip
    posts = rec.latencies
    print(f"requests: {len(posts)} vote POSTs; latency p50 {ms(statistics.median(posts))}, "
          f"p99 {ms(percentile(posts, 0.99))}, max {ms(max(posts))}")  # fmt: skip
    print(f"accepted votes (202): {accepted}")
    print("refused by code: " + ", ".join(f"{code}: {n}" for code, n in sorted(refusals.items())))
    if rec.errors:
        print(f"client-side errors: {dict(rec.errors)}")
    if screen:
        print(f"vote-to-screen (202 -> SSE tally): p50 {ms(statistics.median(screen))}, "
              f"p99 {ms(percentile(screen, 0.99))}, max {ms(max(screen))} "
              f"({len(screen)} of {accepted} votes seen)")  # fmt: skip
    events = sum(len(seen) for seen in shown.values())
    print(f"tally events on a board: {events} ({events / ran_for:.0f}/s); "
          f"viewers that got tally events: {reached} of {viewers.connected}")  # fmt: skip
    per_vote = cpu_used / max(accepted, 1)
    print(f"Redis CPU: {cpu_used:.1f} s for the whole event = {per_vote * 1e6:.0f} µs per "
          f"accepted vote (pages, ingest, refusals, tally, events)")  # fmt: skip
    ok = True
    for duel in duels:
        official, held = totals[duel["id"]]
        match = official + held == expected[duel["id"]]
        ok &= match
        print(f"  duel {duel['id']}: accepted {expected[duel['id']]}, official {official}, "
              f"quarantined {held} -> {'OK' if match else 'MISMATCH'}")  # fmt: skip
    print("totals: official (+ quarantined) == accepted" if ok else "totals: MISMATCH")
    if not ok:
        raise SystemExit(1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--voters", type=int, default=5000)
    parser.add_argument("--seconds", type=float, default=60.0, help="length of the voting")
    parser.add_argument("--viewers", type=int, default=1000, help="SSE live-board clients")
    args = parser.parse_args()
    limit = raise_file_limit()
    print(f"open-file limit {limit}; {os.cpu_count()} CPUs; Python {sys.version.split()[0]}")
    with tempfile.TemporaryDirectory(prefix="machmal-event-") as tmp:
        stack = Stack(
            Path(tmp),
            web_workers=2,
            rq_workers=2,
            environment={
                "MACHMAL_REQUIRE_APPROVED_VIDEOS": "false",
                # Every viewer comes from this one machine: lift the per-address stream cap.
                "MACHMAL_SSE_CLIENTS_PER_ADDRESS": "100000",
            },
        )
        stack.start()
        try:
            asyncio.run(run(stack.url, stack.port, stack.redis.url, args))
        finally:
            stack.stop()


if __name__ == "__main__":
    main()
