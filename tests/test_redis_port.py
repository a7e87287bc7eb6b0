"""The embedded Redis of a second data dir does not collide with the first: it takes a
free port and records it, and the other processes of each data dir find their own."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
import redis

from duels.redis_server import free_port
from duels.settings import Settings
from web import redis_port
from web.processes import redis_for

FIND = "from duels.settings import load_settings\nfrom web.processes import redis_for\n" \
    "with redis_for(load_settings()) as s:\n    print(s.redis_url)"  # fmt: skip


def _settings(data_dir: Path, **overrides: object) -> Settings:
    return Settings(data_dir=data_dir, redis_url=None, **overrides)  # type: ignore[arg-type]


def _env(data_dir: Path, **extra: str) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("MACHMAL_")}
    return {**clean, "MACHMAL_DATA_DIR": str(data_dir), **extra}


def _answers(url: str) -> bool:
    with redis.Redis.from_url(url, socket_connect_timeout=1) as client:
        return bool(client.ping())


def _port(url: str | None) -> int:
    assert url
    return int(url.rsplit(":", 1)[1].split("/")[0])


@pytest.fixture
def listener() -> Iterator[int]:
    """A port some other program listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


def test_two_data_dirs_get_two_ports_and_each_process_finds_its_own(tmp_path: Path) -> None:
    first_dir, second_dir = tmp_path / "first", tmp_path / "second"
    with ExitStack() as stack:
        first = stack.enter_context(redis_for(_settings(first_dir)))
        second = stack.enter_context(redis_for(_settings(second_dir)))
        assert _port(first.redis_url) != _port(second.redis_url)
        assert _answers(first.redis_url or "") and _answers(second.redis_url or "")
        assert redis_port.recorded_port(first) == _port(first.redis_url)
        assert redis_port.recorded_port(second) == _port(second.redis_url)
        # A second process of each data dir (serve, worker) finds that dir's Redis.
        for settings in (first, second):
            found = subprocess.run(
                [sys.executable, "-c", FIND], env=_env(settings.data_dir),
                capture_output=True, text=True, timeout=60, check=True,
            )  # fmt: skip
            assert found.stdout.strip() == settings.redis_url
    assert redis_port.recorded_port(_settings(first_dir)) is None  # forgotten when stopped


def test_a_stale_record_is_not_trusted(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    redis_port.record_port(settings, free_port())  # a Redis of the past
    with redis_for(settings) as running:
        assert _answers(running.redis_url or "")
        assert redis_port.recorded_port(settings) == _port(running.redis_url)


def test_the_default_port_taken_by_another_program_is_skipped(
    tmp_path: Path, listener: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(redis_port, "EMBEDDED_DEFAULT_PORT", listener)
    with redis_for(_settings(tmp_path)) as running:
        assert _port(running.redis_url) != listener
        assert _answers(running.redis_url or "")


def test_an_explicit_port_that_is_taken_fails_clearly(tmp_path: Path, listener: int) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "web.cli", "redis"],
        env=_env(tmp_path, MACHMAL_REDIS_PORT=str(listener)),
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 1
    assert f"Port {listener} (MACHMAL_REDIS_PORT) is taken" in result.stderr
    assert "Traceback" not in result.stderr


def test_an_explicit_port_is_used_as_given(tmp_path: Path) -> None:
    port = free_port()
    with redis_for(_settings(tmp_path, redis_port=port)) as running:
        assert _port(running.redis_url) == port
        assert redis_port.recorded_port(running) is None


def test_demo_on_a_taken_web_port_names_the_port_option(tmp_path: Path, listener: int) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "web.cli", "demo", "--port", str(listener)],
        env=_env(tmp_path, MACHMAL_REDIS_PORT=str(free_port())),
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 1
    assert "--port" in result.stderr and "ist belegt" in result.stderr
    assert "is in use" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "redis").exists()  # nothing was started
