"""Fixtures of the abuse and privacy tests: apps seen from chosen client addresses, and a
whole-database snapshot to prove that a refused request changed nothing."""

from __future__ import annotations

from typing import Any

import pytest
import redis
from starlette.testclient import TestClient

from tests.conftest import ClientFactory


@pytest.fixture
def client_from(make_client: ClientFactory) -> ClientFactory:
    """TestClients of the app (settings overridable) whose requests come from ``ip``."""

    def build(ip: str = "198.51.100.7", **overrides: Any) -> TestClient:
        return make_client(ip, **overrides)

    return build


def database(
    client: redis.Redis, *, skip_prefixes: tuple[str, ...] = ("rq:",), lasting_only: bool = True
) -> dict[str, Any]:
    """Every lasting key with its type and value, as text. Keys with a TTL (throttle
    windows, spent challenges) are left out unless ``lasting_only`` is false: they expire on
    their own, so a snapshot taken a moment later may miss them on a busy machine. RQ's own
    keys are skipped by default: a worker heartbeat or a queued tally job is no change of
    ours."""
    where = client.connection_pool.connection_kwargs
    raw = redis.Redis(host=where["host"], port=where["port"], db=where.get("db", 0))
    dump: dict[str, Any] = {}
    try:
        for key in sorted(raw.scan_iter(count=1000)):
            name = key.decode("latin-1")
            if name.startswith(skip_prefixes) or (lasting_only and raw.pttl(key) > 0):
                continue
            value = _value(raw, key)
            if value[0] != "none":  # expired between the scan and the read
                dump[name] = value
    finally:
        raw.close()
    return dump


def _text(value: Any) -> Any:
    if isinstance(value, bytes):
        return value.decode("latin-1")
    if isinstance(value, dict):
        return {_text(k): _text(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_text(item) for item in value]
    return value


def _value(raw: redis.Redis, key: bytes) -> Any:
    kind = raw.type(key).decode()  # type: ignore[union-attr]
    if kind == "string":
        return [kind, _text(raw.get(key))]
    if kind == "hash":
        return [kind, _text(raw.hgetall(key))]
    if kind == "set":
        return [kind, sorted(_text(list(raw.smembers(key))))]  # type: ignore[arg-type]
    if kind == "zset":
        return [kind, _text(raw.zrange(key, 0, -1, withscores=True))]
    if kind == "list":
        return [kind, _text(raw.lrange(key, 0, -1))]
    if kind == "stream":
        groups = [
            {"name": g["name"], "last": g["last-delivered-id"], "pending": g["pending"]}
            for g in raw.xinfo_groups(key)
        ]
        return [kind, _text(raw.xrange(key)), _text(groups)]
    return [kind]
