"""Vote ingest benchmark: our endpoint vs. a naive baseline, same server, same flags.

    .venv/bin/python bench/vote_bench.py [--workers 1] [--seconds 10] [--connections 64]
        [--modes open,venue,codes] [--before REV]

Starts its own embedded Redis and server processes, drives ``POST /api/duels/{did}/votes``
with ``wrk`` (one distinct, pre-minted voter cookie per request; proof-of-work off; per-IP
limits raised because all traffic comes from 127.0.0.1), then runs the baseline app
(``bench/baseline_app.py``) the same way and prints the figures.

Admission: each mode in ``--modes`` is measured on a duel of that mode: ``open`` (no
admission check), ``venue`` (every voter has a presence mark, as after scanning the screen)
and ``codes`` (every voter carries its own attendee-code pass). ``--before REV`` also
measures the vote path of an earlier commit (checked out with ``git worktree`` into the
temporary folder) in the same run, against the same Redis.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import redis

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from duels import keys  # noqa: E402
from duels.redis_server import EmbeddedRedis, free_port  # noqa: E402
from voting.admission import ADMISSION_COOKIE, AdmissionPass, AdmissionSecrets  # noqa: E402
from voting.tokens import VOTER_COOKIE, VoteSecrets, new_voter_id  # noqa: E402

WRK_SCRIPT = ROOT / "bench" / "vote.lua"
RESULT = re.compile(r"RESULT (.*)")


def make_duel(client: redis.Redis, admission: str = "open") -> dict[str, str]:
    cid, did = "bench" + secrets.token_hex(3), "d" + secrets.token_hex(4)
    home, away = "t" + secrets.token_hex(4), "t" + secrets.token_hex(4)
    client.hset(keys.competition(cid), mapping={"id": cid, "title": "Bench", "slug": cid})
    for team, name in ((home, "Team A"), (away, "Team B")):
        record = {"id": team, "competition": cid, "company_id": "k1", "name": name,
                  "trade": "Bench", "members": []}  # fmt: skip
        client.hset(keys.teams(cid), team, json.dumps(record))
    duel = {
        "id": did, "competition": cid, "match": "m1", "round": "1", "home": home, "away": away,
        "home_name": "Team A", "away_name": "Team B", "home_company": "k1", "away_company": "k2",
        "trade": "Bench", "title": "Bench", "status": "voting", "opens_at": "", "closes_at": "",
        "show_results": "1", "winner": "", "decided_by": "", "admission": admission,
    }  # fmt: skip
    client.hset(keys.duel(did), mapping=duel)
    return duel


def write_ballots(
    path: Path,
    count: int,
    duel: dict[str, str],
    voter_secrets: VoteSecrets | None,
    admission: AdmissionSecrets | None = None,
    client: redis.Redis | None = None,
) -> None:
    """One ``<cookie header> <team>`` line per request, each a new voter; admitted as the
    duel's mode asks (a presence mark in Redis, or an attendee-code pass cookie)."""
    teams = (duel["home"], duel["away"])
    mode = duel.get("admission", "open")
    pipe = client.pipeline(transaction=False) if client is not None else None
    mark = f"{admission.slot():x} {int(time.time() * 1000)}" if admission else ""
    with path.open("w") as handle:
        for n in range(count):
            if voter_secrets is None:
                handle.write(f"- {teams[n % 2]}\n")
                continue
            voter = new_voter_id()
            cookie = f"{VOTER_COOKIE}={voter_secrets.sign_voter(voter)}"
            if mode == "venue" and pipe is not None:
                pipe.hset(keys.present(duel["id"]), voter, mark)
            if mode == "codes" and admission is not None:
                code = admission.subject_hash("k", f"{path.stem}-{n}")
                signed = admission.sign_pass(AdmissionPass(duel["competition"], "k", code))
                cookie += f";{ADMISSION_COOKIE}={signed}"
            handle.write(f"{cookie} {teams[n % 2]}\n")
            if pipe is not None and len(pipe) >= 10_000:
                pipe.execute()
    if pipe is not None:
        pipe.execute()


def start_server(
    target: list[str], env: dict[str, str], workers: int, cwd: Path = ROOT,
    server: str = "uvicorn",
) -> tuple[subprocess.Popen[bytes], str]:  # fmt: skip
    port = free_port()
    if server == "granian":
        app, *rest = target
        command = [
            str(Path(sys.executable).with_name("granian")), "--interface", "asgi",
            "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
            "--loop", "uvloop", "--http", "1", "--no-ws", "--log-level", "warning",
            "--no-access-log", *(["--factory"] if "--factory" in rest else []), app,
        ]  # fmt: skip
    else:
        command = [
            sys.executable, "-m", "uvicorn", *target, "--host", "127.0.0.1", "--port", str(port),
            "--workers", str(workers), "--loop", "uvloop", "--http", "httptools",
            "--log-level", "warning", "--no-proxy-headers", "--no-access-log",
        ]  # fmt: skip
    process = subprocess.Popen(command, env=env, cwd=cwd, stdin=subprocess.DEVNULL,
                               start_new_session=True)  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"server {target} exited with {process.returncode}")
        try:
            httpx.get(f"{url}/openapi.json", timeout=1)
            return process, url
        except httpx.HTTPError:
            time.sleep(0.2)
    raise SystemExit(f"server {target} did not come up")


def stop_server(process: subprocess.Popen[bytes]) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def run_wrk(
    url: str, path: str, ballots: Path, seconds: float, connections: int, threads: int
) -> dict[str, int]:
    command = [
        "wrk", "-t", str(threads), "-c", str(connections), "-d", f"{max(1, round(seconds))}s",
        "--timeout", "5s", "-s", str(WRK_SCRIPT), url, "--", str(ballots), str(threads), path,
    ]  # fmt: skip
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    match = RESULT.search(output)
    if not match:
        raise SystemExit(f"wrk gave no result:\n{output}")
    return {
        name: int(value) for name, value in (pair.split("=") for pair in match.group(1).split())
    }


def wait_for_expiry(client: redis.Redis, pattern: str, timeout: float = 120.0) -> float:
    """Seconds until no key matches ``pattern`` (the throttle keys expire)."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if next(client.scan_iter(match=pattern, count=10_000), None) is None:
            return time.monotonic() - started
        time.sleep(0.5)
    raise SystemExit(f"keys {pattern} did not expire within {timeout}s")


def measure(
    name: str,
    target: list[str],
    env: dict[str, str],
    client: redis.Redis,
    args: argparse.Namespace,
    ballots: Path,
    warmup: Path,
    duel: dict[str, str],
    cwd: Path = ROOT,
    server: str = "uvicorn",
) -> dict[str, float]:
    path = f"/api/duels/{duel['id']}/votes"
    process, url = start_server(target, env, args.workers, cwd, server)
    try:
        run_wrk(url, path, warmup, args.warmup, args.connections, args.threads)
        before = counted(client, duel)
        result = run_wrk(url, path, ballots, args.seconds, args.connections, args.threads)
        accepted = counted(client, duel) - before
    finally:
        stop_server(process)
    seconds = result["duration_us"] / 1e6
    figures = {
        "requests": result["requests"],
        "accepted": accepted,
        "non_2xx": result["non2xx"],
        "socket_errors": result["socket_errors"],
        "votes_per_s": accepted / seconds,
        "p50_ms": result["p50_us"] / 1000,
        "p99_ms": result["p99_us"] / 1000,
        "max_ms": result["max_us"] / 1000,
    }
    print(
        f"{name:18s} accepted {accepted:>7d} in {seconds:5.1f}s = "
        f"{figures['votes_per_s']:8.0f} votes/s | p50 {figures['p50_ms']:6.2f} ms  "
        f"p99 {figures['p99_ms']:6.2f} ms  max {figures['max_ms']:7.2f} ms | "
        f"requests {result['requests']}, non-2xx {result['non2xx']}, "
        f"socket errors {result['socket_errors']}"
    )
    return figures


def counted(client: redis.Redis, duel: dict[str, str]) -> int:
    return sum(int(n) for n in client.hvals(keys.provisional(duel["id"])))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--workers", type=int, default=1, help="uvicorn workers (both apps)")
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--warmup", type=float, default=2)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--threads", type=int, default=1, help="wrk threads")
    parser.add_argument("--voters", type=int, default=250_000, help="pre-minted voters")
    parser.add_argument("--modes", default="open,venue,codes", help="admission modes to run")
    parser.add_argument("--before", default="", help="also measure this earlier commit")
    parser.add_argument(
        "--granian", action=argparse.BooleanOptionalAction, default=True,
        help="also serve the naive endpoint and ours (open) with granian",
    )  # fmt: skip
    parser.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="measure every variant this often, interleaved; "
        "the best run of each counts (less noise from the shared cores)",
    )
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (apt-get install wrk)")

    work = Path(tempfile.mkdtemp(prefix="vote-bench-"))
    server = EmbeddedRedis(work / "redis")
    (work / "redis").mkdir()
    server.start()
    try:
        client = redis.Redis.from_url(server.url, decode_responses=True)
        secret = secrets.token_urlsafe(32)
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "MACHMAL_MODE": "development",
            "MACHMAL_REDIS_URL": server.url,
            "MACHMAL_SECRET_KEY": secret,
            "MACHMAL_HOST_TOKEN": secrets.token_urlsafe(24),
            "MACHMAL_DATA_DIR": str(work / "data"),
            "MACHMAL_POW_DIFFICULTY": "0",
            # All load comes from 127.0.0.1: lift the per-IP limits and the burst trigger.
            "MACHMAL_VOTES_PER_IP_PER_MINUTE": "100000000",
            "MACHMAL_VOTES_PER_IP_UA_PER_MINUTE": "100000000",
            "MACHMAL_POW_BURST_VOTES_PER_IP": "100000000",
            "MACHMAL_POW_BURST_NEW_VOTERS_PER_MINUTE": "100000000",
        }
        voter_secrets = VoteSecrets(secret)
        admission = AdmissionSecrets(secret)
        modes = [mode for mode in args.modes.split(",") if mode]
        variants: list[tuple[str, dict[str, str], Path, dict[str, str]]] = []
        if args.before:
            tree = work / "before"
            subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(tree),
                            args.before], check=True, capture_output=True)  # fmt: skip
            before_env = {**env, "PYTHONPATH": str(tree)}
            variants.append((f"before {args.before[:7]}", make_duel(client), tree, before_env))
        for mode in modes:
            variants.append((f"ours {mode}", make_duel(client, mode), ROOT, env))
        if args.granian:
            variants.append(("ours open granian", make_duel(client), ROOT, env))
        started = time.monotonic()
        files: dict[tuple[int, str], tuple[Path, Path]] = {}
        for turn in range(args.rounds):
            for name, duel, _, _ in variants:
                # Distinct voters for every run: a repeat would be refused (409).
                stem = f"{turn}-{name.replace(' ', '-')}"
                ballots, warmup = work / f"{stem}-a.txt", work / f"{stem}-w.txt"
                write_ballots(ballots, args.voters, duel, voter_secrets, admission, client)
                write_ballots(warmup, 40_000, duel, voter_secrets, admission, client)
                files[turn, name] = ballots, warmup
        print(f"minted voters for {len(variants)} variants in {time.monotonic() - started:.1f}s; "
              f"uvicorn workers={args.workers}, wrk threads={args.threads}, "
              f"connections={args.connections}, {args.seconds:.0f}s per run, "
              f"{args.rounds} round(s)")  # fmt: skip
        runs: dict[str, dict[str, float]] = {}
        memory: list[str] = []
        app = ["web.asgi:app_from_environment", "--factory"]
        for turn in range(args.rounds):
            for name, duel, cwd, variant_env in variants:
                ballots, warmup = files[turn, name]
                memory_before = int(client.info("memory")["used_memory"])
                figures = measure(
                    name, app, variant_env, client, args, ballots, warmup, duel, cwd=cwd,
                    server="granian" if name.endswith("granian") else "uvicorn",
                )  # fmt: skip
                if name not in runs or figures["votes_per_s"] > runs[name]["votes_per_s"]:
                    runs[name] = figures
                if name == "ours open" and not memory:
                    total_votes = client.xlen(keys.votes(duel["id"]))
                    waited = wait_for_expiry(client, keys.rate(duel["id"], "*", "*"))
                    memory_after = int(client.info("memory")["used_memory"])
                    per_vote = (memory_after - memory_before) / max(total_votes, 1)
                    memory.append(
                        f"Redis memory per accepted vote (open): {per_vote:.0f} bytes "
                        f"(used_memory delta {memory_after - memory_before} B / {total_votes} "
                        f"votes incl. warm-up; after all throttle keys expired, {waited:.0f}s "
                        "after the run; target <= 300)"
                    )
        ours = runs.get("ours open") or next(iter(runs.values()))
        if ours["requests"] + 40_000 > args.voters + 40_000:
            print("note: more requests than minted voters; repeats were refused (409)")

        # The naive endpoint, interleaved like ours, under uvicorn and (the HTTP server's
        # share) under granian.
        baseline_duel = make_duel(client)
        anonymous = work / "baseline.txt"
        write_ballots(anonymous, 1000, baseline_duel, None)
        bases: dict[str, dict[str, float]] = {}
        for _ in range(args.rounds):
            for http_server in ("uvicorn", *(["granian"] if args.granian else [])):
                name = f"baseline {http_server}"
                figures = measure(
                    name, ["bench.baseline_app:app"], env, client, args, anonymous, anonymous,
                    baseline_duel, server=http_server,
                )  # fmt: skip
                if name not in bases or figures["votes_per_s"] > bases[name]["votes_per_s"]:
                    bases[name] = figures
        base = bases["baseline uvicorn"]

        print()
        print(f"ours/baseline votes/s ratio (both uvicorn, one process each): "
              f"{ours['votes_per_s'] / base['votes_per_s']:.2f}x (target >= 2.0x)")  # fmt: skip
        print("votes/s, best of each:  | " + " | ".join(
            f"{name} {figures['votes_per_s']:.0f} (p99 {figures['p99_ms']:.1f} ms)"
            for name, figures in {**runs, **bases}.items()
        ))  # fmt: skip
        if "baseline granian" in bases:
            granian = bases["baseline granian"]
            print(f"naive endpoint granian/uvicorn: "
                  f"{granian['votes_per_s'] / base['votes_per_s']:.2f}x; ours/naive-on-granian: "
                  f"{ours['votes_per_s'] / granian['votes_per_s']:.2f}x")  # fmt: skip
        if "ours open granian" in runs:
            print(
                f"ours granian/uvicorn: "
                f"{runs['ours open granian']['votes_per_s'] / ours['votes_per_s']:.2f}x"
            )
        print(f"ours p99 latency: {ours['p99_ms']:.2f} ms at {args.connections} connections "
              "(target < 50 ms)")  # fmt: skip
        reference = runs.get(f"before {args.before[:7]}") if args.before else None
        reference = reference or runs.get("ours open")
        if reference:
            print(f"best of {args.rounds} round(s):")
            for name, figures in runs.items():
                cost = reference["votes_per_s"] / figures["votes_per_s"] - 1
                print(f"{name:18s} cost per vote vs. {'before' if args.before else 'open'}: "
                      f"{cost * 100:+5.1f} % (target <= +10 %)")  # fmt: skip
        for line in memory:
            print(line)
        client.close()
    finally:
        server.stop()
        if args.before:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force",
                            str(work / "before")], capture_output=True)  # fmt: skip
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
