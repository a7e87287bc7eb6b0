"""Real processes for the tests: web servers and RQ workers started like in production."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import cast

import httpx
import redis

from duels.connection import StoreCluster
from duels.redis_server import free_port
from duels.settings import Settings
from web.processes import settings_environment


def child_env(settings: Settings, **extra: str) -> dict[str, str]:
    return {**os.environ, **settings_environment(settings), **extra}


def store_client(settings: Settings, *, decode: bool = True) -> redis.Redis:
    """A client of the store, like ``duels.connection.connect`` without its short timeouts:
    on a cluster a RedisCluster client carrying the queue Redis as its event bus."""
    if settings.redis_cluster:
        cluster = cast(
            StoreCluster, StoreCluster.from_url(settings.redis_url or "", decode_responses=decode)
        )
        cluster.event_bus = redis.Redis.from_url(
            settings.queue_redis_url or "", decode_responses=decode
        )
        return cast(redis.Redis, cluster)
    return redis.Redis.from_url(settings.redis_url or "", decode_responses=decode)


def queue_connection(settings: Settings) -> redis.Redis:
    """A bytes client of the queue Redis, as RQ wants one."""
    return redis.Redis.from_url(settings.queue_redis_url or "")


def wait_for(condition: Callable[[], bool], timeout: float = 10.0, interval: float = 0.05) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s")


@dataclass
class Process:
    popen: subprocess.Popen[bytes]
    url: str = ""

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 10.0) -> int:
        if self.popen.poll() is None:
            self.popen.send_signal(sig)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()
        return self.popen.returncode

    def kill(self) -> None:
        self.stop(signal.SIGKILL)


def start_cli(settings: Settings, *argv: str, **extra_env: str) -> Process:
    popen = subprocess.Popen(
        [sys.executable, "-m", "web.cli", *argv],
        env=child_env(settings, **extra_env),
        stdin=subprocess.DEVNULL,
    )
    return Process(popen)


def start_web(settings: Settings, *, workers: int = 1, port: int | None = None) -> Process:
    """A real web server; pass ``port`` to know its URL beforehand (e.g. for public_url)."""
    port = port or free_port()
    process = start_cli(settings, "serve", "--port", str(port), "--workers", str(workers))
    process.url = f"http://127.0.0.1:{port}"

    def answers() -> bool:
        if process.popen.poll() is not None:
            raise AssertionError(f"web server exited with {process.popen.returncode}")
        try:
            return httpx.get(f"{process.url}/healthz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    wait_for(answers, timeout=20)
    return process


def start_worker(settings: Settings) -> Process:
    from rq import Worker

    connection = queue_connection(settings)
    before = {w.name for w in Worker.all(connection=connection)}
    process = start_cli(settings, "worker")

    def registered() -> bool:
        if process.popen.poll() is not None:
            raise AssertionError(f"worker exited with {process.popen.returncode}")
        return bool({w.name for w in Worker.all(connection=connection)} - before)

    wait_for(registered, timeout=20)
    connection.close()
    return process
