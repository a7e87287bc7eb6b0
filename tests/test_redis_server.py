"""The embedded Redis: AOF on, loopback only, data kept across restarts."""

from __future__ import annotations

from pathlib import Path

import pytest
import redis

from duels.redis_server import EmbeddedRedis, RedisServerError, find_redis_server


def test_embedded_redis_keeps_data_across_a_crash(tmp_path: Path) -> None:
    server = EmbeddedRedis(tmp_path)
    server.start()
    client = redis.Redis.from_url(server.url)
    assert client.config_get("appendonly") == {"appendonly": "yes"}
    assert client.config_get("bind") == {"bind": "127.0.0.1"}
    client.set("kept", "yes")
    port = server.port
    server.kill()  # SIGKILL: only the AOF can bring it back
    server = EmbeddedRedis(tmp_path, port=port)
    server.start()
    try:
        assert client.get("kept") == b"yes"
    finally:
        client.close()
        server.stop()


def test_stop_leaves_no_process(tmp_path: Path) -> None:
    server = EmbeddedRedis(tmp_path)
    server.start()
    process = server.process
    assert process is not None
    server.stop()
    assert process.poll() is not None


def test_a_port_in_use_is_a_clear_error(tmp_path: Path) -> None:
    first = EmbeddedRedis(tmp_path / "a")
    first.start()
    try:
        with pytest.raises(RedisServerError, match="exited early"):
            EmbeddedRedis(tmp_path / "b", port=first.port).start(timeout=5)
    finally:
        first.stop()


def test_a_redis_server_binary_is_found() -> None:
    assert Path(find_redis_server()).exists()
