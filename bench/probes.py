"""What a benchmark measures besides its own requests: where the CPU went (per process
role), what Redis spent it on (``INFO commandstats``, ``SLOWLOG``, a ``PING`` latency
sampler like ``redis-cli --latency``) and, on request, py-spy profiles of the product's
Python processes summarised as the functions holding the most samples."""

from __future__ import annotations

import collections
import hashlib
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil
import redis


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


class RedisProbe:
    """Command statistics, slow log and round-trip latency of one Redis over a run."""

    def __init__(
        self,
        url: str,
        slower_than_us: int = 5000,
        monitor: Path | None = None,
        every_command: bool = False,
    ) -> None:
        self.url = url
        # The slow log of every command (threshold 0): the cost of each script, measured
        # by Redis itself under the real load.
        self.every_command = every_command
        # MONITOR costs Redis time itself: for the command mix, not for CPU figures.
        self.monitor = monitor
        self._monitoring: subprocess.Popen[bytes] | None = None
        self.client = redis.Redis.from_url(url, decode_responses=True)
        self.slower_than_us = slower_than_us
        self.pings: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, name="redis-latency", daemon=True)

    def start(self) -> None:
        self.client.config_resetstat()
        self.client.config_set(
            "slowlog-log-slower-than", 0 if self.every_command else self.slower_than_us
        )
        if self.every_command:
            self.client.config_set("slowlog-max-len", 1_000_000)
        self.client.slowlog_reset()
        self._reads_before = self._io()
        self._thread.start()
        if self.monitor is not None:
            port = str(self.client.connection_pool.connection_kwargs["port"])
            with self.monitor.open("wb") as out:
                self._monitoring = subprocess.Popen(
                    ["redis-cli", "-p", port, "monitor"], stdout=out
                )

    def _sample(self) -> None:
        with redis.Redis.from_url(self.url) as client:
            # Every 100 ms: a round trip costs Redis ~60 µs of CPU on this VM, and the
            # probe must not add more than a few µs per vote to what it measures.
            while not self._stop.wait(0.1):
                started = time.perf_counter()
                try:
                    client.ping()
                except redis.RedisError:
                    continue
                self.pings.append(time.perf_counter() - started)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(2)
        if self._monitoring is not None:
            self._monitoring.terminate()
            self._monitoring.wait(5)
            self._monitoring = None

    def _io(self) -> tuple[int, int]:
        stats = self.client.info("stats")
        return int(stats.get("total_reads_processed", 0)), int(
            stats.get("total_writes_processed", 0)
        )

    def report(self, votes: int, top: int = 10) -> list[str]:
        stats = self.client.info("commandstats")
        rows = sorted(
            ((name.removeprefix("cmdstat_"), int(s["calls"]), float(s["usec"]))
             for name, s in stats.items()),
            key=lambda row: -row[2],
        )  # fmt: skip
        total = sum(usec for _, _, usec in rows)
        lines = [
            f"Redis commands (INFO commandstats): {total / 1e6:.2f} s in commands, "
            f"{total / max(votes, 1):.0f} µs per accepted vote"
        ]
        lines.append("  command            |    calls |  usec/call | share | µs per vote")
        for name, calls, usec in rows[:top]:
            lines.append(
                f"  {name:<18} | {calls:>8} | {usec / max(calls, 1):>10.1f} | "
                f"{usec / max(total, 1):>5.0%} | {usec / max(votes, 1):>8.1f}"
            )
        (reads_after, writes_after), (reads_before, writes_before) = self._io(), self._reads_before
        reads, writes = reads_after - reads_before, writes_after - writes_before
        lines.append(
            f"Redis socket reads / writes (round trips, roughly): {reads / max(votes, 1):.1f} / "
            f"{writes / max(votes, 1):.1f} per accepted vote"
        )
        if self.every_command:
            lines += script_costs(self.client.slowlog_get(1_000_000), votes)
            self.client.config_set("slowlog-log-slower-than", self.slower_than_us)
            self.client.slowlog_reset()
        slow = self.client.slowlog_get(10)
        count = self.client.slowlog_len()
        lines.append(f"SLOWLOG (> {self.slower_than_us / 1000:.0f} ms): {count} entries")
        for entry in slow[:5]:
            command = entry["command"]
            command = command if isinstance(command, str) else command.decode("latin-1", "replace")
            lines.append(f"  {entry['duration'] / 1000:7.1f} ms  {command[:90]}")
        if self.monitor is not None and self.monitor.exists():
            lines += command_mix(self.monitor, votes)
        if self.pings:
            lines.append(
                f"Redis PING round trip from outside (like redis-cli --latency, every 100 ms): "
                f"p50 {percentile(self.pings, 0.5) * 1000:.2f} ms, "
                f"p99 {percentile(self.pings, 0.99) * 1000:.2f} ms, "
                f"max {max(self.pings) * 1000:.2f} ms ({len(self.pings)} samples)"
            )
        return lines

    def close(self) -> None:
        self.stop()
        self.client.close()


_MONITORED = re.compile(rb'^[\d.]+ \[\d+ ([^\]]+)\] "([^"]+)"(?: "([^"]*)")?')


def _script_names() -> dict[str, str]:
    root = Path(__file__).resolve().parent.parent
    return {
        hashlib.sha1(path.read_bytes()).hexdigest(): path.stem
        for path in [*root.glob("voting/*.lua"), *root.glob("workers/*.lua")]
    }


def script_costs(entries: list[dict[str, object]], votes: int, top: int = 12) -> list[str]:
    """Redis' own time per top-level command (scripts by name) from a threshold-0 slow log."""
    names = _script_names()
    spent: collections.Counter[str] = collections.Counter()
    calls: collections.Counter[str] = collections.Counter()
    for entry in entries:
        command = entry["command"]
        text = command.decode("latin-1") if isinstance(command, bytes) else str(command)
        words = text.split(" ")
        name = words[0].upper()
        if name in ("EVALSHA", "EVAL") and len(words) > 1:
            name = f"EVALSHA {names.get(words[1], words[1][:8])}"
        spent[name] += int(str(entry["duration"]))
        calls[name] += 1
    total = sum(spent.values())
    lines = [f"Redis time by top-level command (slow log at 0): {total / 1e6:.2f} s, "
             f"{total / max(votes, 1):.0f} µs per accepted vote"]  # fmt: skip
    lines.append("  command            |    calls |  µs/call | µs per vote")
    for name, usec in spent.most_common(top):
        lines.append(f"  {name:<18} | {calls[name]:>8} | {usec / calls[name]:>8.1f} | "
                     f"{usec / max(votes, 1):>8.1f}")  # fmt: skip
    return lines


def command_mix(monitor: Path, votes: int, top: int = 14) -> list[str]:
    """Top-level commands (not those a script ran) per accepted vote, from a MONITOR log;
    EVALSHA by script."""
    names = _script_names()
    calls: collections.Counter[str] = collections.Counter()
    scripted = 0
    with monitor.open("rb") as log:
        for line in log:
            found = _MONITORED.match(line)
            if found is None:
                continue
            if found.group(1) == b"lua":
                scripted += 1
                continue
            command = found.group(2).decode().upper()
            if command in ("EVALSHA", "EVAL") and found.group(3):
                command = (
                    f"EVALSHA {names.get(found.group(3).decode(), found.group(3).decode()[:8])}"
                )
            calls[command] += 1
    total = sum(calls.values())
    lines = [f"top-level commands (MONITOR): {total} = {total / max(votes, 1):.1f} per accepted "
             f"vote; {scripted / max(votes, 1):.1f} more run inside scripts per vote"]  # fmt: skip
    lines += [f"  {n / max(votes, 1):6.2f}  {command}" for command, n in calls.most_common(top)]
    return lines


class ProcessCpu:
    """CPU seconds per role (``redis``, ``web``, ``worker``, ``load``) over a run,
    children included (uvicorn's worker processes, RQ's work horses)."""

    def __init__(self, roles: dict[str, list[int]]) -> None:
        self.roles = roles
        self.before = self._sample()

    def _sample(self) -> dict[str, float]:
        families: dict[str, list[psutil.Process]] = {}
        for role, pids in self.roles.items():
            families[role] = []
            for pid in pids:
                try:
                    process = psutil.Process(pid)
                    families[role] += [process, *process.children(recursive=True)]
                except psutil.NoSuchProcess:
                    continue
        # The load generator is the parent of the product's processes: each counts once,
        # for its own role; py-spy's samplers count for nobody.
        product = {p.pid for role, members in families.items() if role != "load" for p in members}
        used: dict[str, float] = collections.defaultdict(float)
        for role, family in families.items():
            for member in family:
                if role == "load" and (member.pid in product or _is_sampler(member)):
                    continue
                try:
                    times = member.cpu_times()
                except psutil.NoSuchProcess:
                    continue
                # children_*: forked work horses that already ended.
                used[role] += times.user + times.system + times.children_user
                used[role] += times.children_system
        return used

    def report(self, seconds: float, votes: int) -> list[str]:
        after = self._sample()
        lines = ["CPU by process role over the event (seconds; share of one core):"]
        for role in self.roles:
            spent = after[role] - self.before[role]
            lines.append(
                f"  {role:<8} {spent:7.1f} s  {spent / seconds:5.0%} of a core  "
                f"{spent / max(votes, 1) * 1e6:7.0f} µs per accepted vote"
            )
        return lines


def _is_sampler(process: psutil.Process) -> bool:
    try:
        return process.name() == "py-spy"
    except psutil.NoSuchProcess:
        return True


class Profiler:
    """``py-spy record`` on every Python process of the product for a fixed time; the
    report lists the functions with the most samples (own time and with callees)."""

    def __init__(self, out: Path, pids: dict[str, list[int]], seconds: float, rate: int = 67):
        self.out = out
        self.pids = pids
        self.seconds = seconds
        self.rate = rate
        self.runs: list[tuple[str, Path, subprocess.Popen[bytes]]] = []

    @staticmethod
    def available() -> str | None:
        beside = Path(sys.executable).with_name("py-spy")
        return str(beside) if beside.exists() else shutil.which("py-spy")

    def start(self) -> None:
        spy = self.available()
        if spy is None:
            raise SystemExit("py-spy is not installed (pip install py-spy)")
        self.out.mkdir(parents=True, exist_ok=True)
        for role, pids in self.pids.items():
            for pid in pids:
                for process in [psutil.Process(pid), *psutil.Process(pid).children(True)]:
                    if "python" not in process.name() and "machmal" not in process.name():
                        continue
                    target = self.out / f"{role}-{process.pid}.txt"
                    argv = [spy, "record", "--nonblocking", "--format", "raw", "--rate",
                            str(self.rate), "--duration", str(int(self.seconds)), "--pid",
                            str(process.pid), "--output", str(target)]  # fmt: skip
                    run = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
                    self.runs.append((role, target, run))

    def report(self, top: int = 12) -> list[str]:
        lines = []
        for role, target, run in self.runs:
            run.wait()
            if not target.exists():
                continue
            own: collections.Counter[str] = collections.Counter()
            inclusive: collections.Counter[str] = collections.Counter()
            total = 0
            for line in target.read_text().splitlines():
                stack, _, count = line.rpartition(" ")
                if not count.isdigit():
                    continue
                samples = int(count)
                frames = [_short(frame) for frame in stack.split(";")]
                total += samples
                own[frames[-1]] += samples
                for frame in set(frames):
                    inclusive[frame] += samples
            if not total:
                continue
            lines.append(f"py-spy {role} (pid {target.stem.split('-')[-1]}, {total} samples, "
                         f"{target}):")  # fmt: skip
            lines.append("  own time:")
            lines += [f"    {n / total:5.1%}  {frame}" for frame, n in own.most_common(top)]
            lines.append("  with callees (ours and the libraries'):")
            lines += [
                f"    {n / total:5.1%}  {frame}"
                for frame, n in inclusive.most_common(top * 3)
                if n < total * 0.98
            ][:top]
        return lines


def _short(frame: str) -> str:
    """``function (path/to/module.py:line)`` -> ``function (module.py)``."""
    name, _, where = frame.partition(" (")
    path = where.rstrip(")").rsplit(":", 1)[0]
    parts = Path(path).parts
    return f"{name} ({'/'.join(parts[-2:])})"
