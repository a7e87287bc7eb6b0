"""The product as the benchmarks run it: an embedded Redis, a web server and RQ
workers, all children of the benchmark, their output kept in a log file."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psutil

from duels.redis_server import EmbeddedRedis, free_port

ROOT = Path(__file__).resolve().parent.parent
SECRET_KEY = "bench-secret-key-" + "Zq8xN3vR" * 4
HOST_TOKEN = "bench-host-token-0123456789abcdef"


class Stack:
    def __init__(
        self,
        data_dir: Path,
        *,
        web_workers: int = 1,
        rq_workers: int = 1,
        environment: dict[str, str] | None = None,
        cpus: set[int] | None = None,
    ) -> None:
        self.data_dir = data_dir
        self.redis = EmbeddedRedis(data_dir / "redis")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.web_workers = web_workers
        self.rq_workers = rq_workers
        self.environment = environment or {}
        # Pins Redis, the web server and the workers (and all their children) to these CPUs.
        self.cpus = cpus
        self.children: list[subprocess.Popen[bytes]] = []

    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "MACHMAL_REDIS_URL": self.redis.url,
            "MACHMAL_SECRET_KEY": SECRET_KEY,
            "MACHMAL_HOST_TOKEN": HOST_TOKEN,
            "MACHMAL_DATA_DIR": str(self.data_dir),
            "MACHMAL_PUBLIC_URL": self.url,
            **self.environment,
        }

    def start(self) -> None:
        self.redis.start()
        if self.cpus is not None and self.redis.process is not None:
            os.sched_setaffinity(self.redis.process.pid, self.cpus)
        cli = [sys.executable, "-m", "web.cli"]
        web = [*cli, "serve", "--port", str(self.port), "--workers", str(self.web_workers)]
        log = (self.data_dir / "children.log").open("ab")  # keeps worker chatter off the report
        for argv in (web, *([*cli, "worker"] for _ in range(self.rq_workers))):
            self.children.append(
                subprocess.Popen(
                    argv,
                    env=self.env(),
                    cwd=ROOT,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=log,
                    preexec_fn=self._pin if self.cpus is not None else None,
                )
            )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError("the web server did not come up")

    def _pin(self) -> None:
        assert self.cpus is not None
        os.sched_setaffinity(0, self.cpus)

    def roles(self) -> dict[str, list[int]]:
        """Process ids by role, for CPU accounting and profiling."""
        redis_pid = self.redis.process.pid if self.redis.process is not None else None
        return {
            "redis": [redis_pid] if redis_pid else [],
            "web": [self.children[0].pid],
            "worker": [child.pid for child in self.children[1:]],
        }

    @property
    def web_process(self) -> psutil.Process:
        return psutil.Process(self.children[0].pid)

    def stop(self) -> None:
        for child in reversed(self.children):
            child.terminate()
        for child in self.children:
            try:
                child.wait(15)
            except subprocess.TimeoutExpired:
                child.kill()
        self.redis.stop()
