"""Tally throughput: votes counted per second by one tally run, per batch size.

    .venv/bin/python bench/tally_bench.py [--votes 100000] [--batches 100,500,2000]

Starts its own embedded Redis (AOF everysec, like production), writes ``--votes``
votes into a fresh duel's stream the way the ingest does (spread over networks, plus
a 10 % flood from one network that goes to quarantine), then times
``workers.tally.tally`` in this process and prints votes/s, batches, quarantined votes,
and the size of the exactly-once guard set afterwards (should be 0).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import redis
from pydantic import SecretStr

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from duels import keys, store, tournament  # noqa: E402
from duels.redis_server import EmbeddedRedis  # noqa: E402
from duels.settings import Settings  # noqa: E402
from workers import tally  # noqa: E402


def make_duel(client: redis.Redis) -> tuple[str, tuple[str, str]]:
    cid = store.create_competition(client, "Bench").id
    first, _ = store.add_company(client, cid, "A")
    second, _ = store.add_company(client, cid, "B")
    home = store.add_team(client, cid, first.id, "Home", "Koch/Köchin")
    away = store.add_team(client, cid, second.id, "Away", "Koch/Köchin")
    tournament.draw(client, cid, seeding="manual", order=[home.id, away.id])
    did = str(next(iter(client.hvals(keys.duel_index(cid)))))
    tournament.open_voting(client, did)
    return did, (home.id, away.id)


def write_votes(client: redis.Redis, did: str, teams: tuple[str, str], count: int) -> None:
    pipe = client.pipeline(transaction=False)
    for number in range(count):
        flood = number % 10 == 0
        pipe.xadd(
            keys.votes(did),
            {
                "t": teams[number % 2],
                "v": f"v{number}",
                "n": "f100d0000000" if flood else f"{number // 20:012x}",
                "u": f"{number // 7:012x}",
                "ip": f"{number:012x}",
            },
        )
        if len(pipe) >= 5000:
            pipe.execute()
    pipe.execute()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--votes", type=int, default=100_000)
    parser.add_argument("--batches", default="100,500,2000")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder, EmbeddedRedis(Path(folder)) as server:
        settings = Settings(
            redis_url=server.url,
            secret_key=SecretStr("bench-" + "k" * 40),
            host_token=SecretStr("bench-host-token-" + "t" * 20),
            data_dir=Path(folder),
        )
        client = redis.Redis.from_url(server.url, decode_responses=True)
        print(f"tally of {options.votes} votes (10 % from one network), one process:")
        print("  batch |  votes/s | batches | quarantined | guard set after")
        for size in (int(part) for part in options.batches.split(",")):
            did, teams = make_duel(client)
            write_votes(client, did, teams, options.votes)
            tuned = settings.model_copy(update={"tally_batch_size": size})
            started = time.perf_counter()
            run = tally.tally(client, tuned, did, consumer="bench", budget_seconds=3600)
            elapsed = time.perf_counter() - started
            assert run.counted == options.votes, run
            print(
                f"  {size:5d} | {run.counted / elapsed:8.0f} | {run.batches:7d} "
                f"| {run.quarantined:11d} | {client.scard(keys.tallied(did))}"
            )
        client.close()


if __name__ == "__main__":
    main()
