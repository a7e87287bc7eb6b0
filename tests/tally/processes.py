"""Real worker processes for the tally reliability tests."""

from __future__ import annotations

import contextlib

import psutil
from rq import Worker

from duels.settings import Settings
from tests.support import Process, queue_connection, start_cli, wait_for


def start_tally_worker(settings: Settings, **env: str) -> Process:
    """``machmal worker`` with extra MACHMAL_* variables (e.g. a small batch size)."""
    connection = queue_connection(settings)
    try:
        before = {w.name for w in Worker.all(connection=connection)}
        process = start_cli(settings, "worker", **env)

        def registered() -> bool:
            if process.popen.poll() is not None:
                raise AssertionError(f"worker exited with {process.popen.returncode}")
            return bool({w.name for w in Worker.all(connection=connection)} - before)

        wait_for(registered, timeout=20)
    finally:
        connection.close()
    return process


def kill_worker(process: Process) -> None:
    """SIGKILL the worker and its work horse together, as a crash or an OOM kill would."""
    with contextlib.suppress(psutil.NoSuchProcess):
        parent = psutil.Process(process.popen.pid)
        family = [*parent.children(recursive=True), parent]
        for member in family:
            with contextlib.suppress(psutil.NoSuchProcess):
                member.kill()
    process.popen.wait(10)
