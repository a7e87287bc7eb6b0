"""What Redis CPU a vote cannot go below on this machine: Redis alone, the real page and
vote scripts called one phone at a time, nothing else running.

    .venv/bin/python bench/redis_floor.py [--rates 50,100,400] [--seconds 10]

Prints the Redis process' CPU (from /proc, like the event scenario) for: an idle Redis,
one PING every 10 ms (one wakeup each), and a phone's page + vote (``voting/page.lua``, with
its view counted for the reach figures, + ``voting/ingest.lua`` through the product's own
batcher) at each rate. At event rates a
call rarely shares its wakeup with another, so the cost of a wakeup sets the floor.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

import psutil
import redis
from pydantic import SecretStr

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from vote_bench import make_duel  # noqa: E402  (bench/ is on the path)

from duels.connection import connect_async  # noqa: E402
from duels.redis_server import EmbeddedRedis  # noqa: E402
from duels.settings import Settings  # noqa: E402
from voting import reach  # noqa: E402
from voting.ingest import Ballot, VoteIngest, mint_key  # noqa: E402
from voting.page_reader import PageReader  # noqa: E402


def cpu(process: psutil.Process) -> float:
    times = process.cpu_times()
    return times.user + times.system


async def phones(url: str, process: psutil.Process, rates: list[int], seconds: float) -> None:
    settings = Settings(
        redis_url=url,
        secret_key=SecretStr("floor-secret-key-" + "k" * 32),
        host_token=SecretStr("floor-host-token-" + "t" * 16),
        data_dir=Path(tempfile.mkdtemp(prefix="machmal-floor-")),
        votes_per_ip_per_minute=10**8,
        votes_per_ip_ua_per_minute=10**8,
        pow_burst_new_voters_per_minute=10**8,
    )
    client = connect_async(settings)
    ingest, reader = VoteIngest(client, settings), PageReader(client, timeout=1.0)
    with redis.Redis.from_url(url, decode_responses=True) as plain:
        duel = make_duel(plain)
    did, team = duel["id"], duel["home"]
    for rate in rates:
        count, start, before = int(rate * seconds), time.monotonic(), cpu(process)
        for n in range(count):
            await asyncio.sleep(max(0.0, start + n / rate - time.monotonic()))
            network = f"net{n % 6}"
            await reader.load(
                did, None, None, "", valid_ms=1000, network_key=mint_key(did, network),
                mint_interval_us=ingest.mint_interval_us, new_voter=True, viewer=f"v{rate}-{n}",
                day=reach.today(),
            )  # fmt: skip
            ballot = Ballot(did, team, f"v{rate}-{n}", network, "ua", f"ip{n % 50}", "ipua")
            await ingest.cast(ballot)
        used = cpu(process) - before
        print(f"page + vote at {rate:>4} votes/s, one phone at a time: "
              f"{used / count * 1e6:6.0f} µs of Redis CPU per vote")  # fmt: skip
    await client.aclose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rates", default="50,100,400")
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    server = EmbeddedRedis(Path(tempfile.mkdtemp(prefix="machmal-floor-")) / "redis")
    server.start()
    try:
        assert server.process is not None
        process = psutil.Process(server.process.pid)
        before = cpu(process)
        time.sleep(args.seconds)
        idle = cpu(process) - before
        print(f"idle Redis: {idle / args.seconds * 1e3:.1f} ms of CPU per second")
        with redis.Redis.from_url(server.url) as client:
            pings, before, start = 0, cpu(process), time.monotonic()
            while time.monotonic() - start < args.seconds:
                client.ping()
                pings += 1
                time.sleep(0.01)
            used = cpu(process) - before - idle
        print(f"one PING every 10 ms: {used / pings * 1e6:.0f} µs of Redis CPU per PING")
        asyncio.run(phones(server.url, process, [int(r) for r in args.rates.split(",")],
                           args.seconds))  # fmt: skip
    finally:
        server.stop()


if __name__ == "__main__":
    main()
