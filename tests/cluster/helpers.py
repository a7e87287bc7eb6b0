"""Shared bits of the cluster suite: the mode switch and raw node access."""

from __future__ import annotations

import pytest
import redis

from tests.cluster.embedded import CLUSTER_MODE

cluster_only = pytest.mark.skipif(
    not CLUSTER_MODE, reason="runs in the cluster pass (MACHMAL_TEST_CLUSTER=1, scripts/test)"
)

# No per-IP or fraud limit gets in the way of a crowd that all comes from 127.0.0.1.
CROWD = {
    "votes_per_ip_per_minute": 1_000_000,
    "votes_per_ip_ua_per_minute": 1_000_000,
    "pow_burst_new_voters_per_minute": 1_000_000,
    "fraud_votes_per_network": 1_000_000,
}


def node_id(node: redis.Redis) -> str:
    return str(node.execute_command("CLUSTER", "MYID"))


def begin_migration(source: redis.Redis, target: redis.Redis, slot: int) -> None:
    target.execute_command("CLUSTER", "SETSLOT", slot, "IMPORTING", node_id(source))
    source.execute_command("CLUSTER", "SETSLOT", slot, "MIGRATING", node_id(target))


def migrate_keys(source: redis.Redis, target: redis.Redis, slot: int) -> int:
    names = source.execute_command("CLUSTER", "GETKEYSINSLOT", slot, 10_000)
    if names:
        port = target.connection_pool.connection_kwargs["port"]
        source.execute_command("MIGRATE", "127.0.0.1", port, "", 0, 5000, "KEYS", *names)
    return len(names)


def finish_migration(nodes: list[redis.Redis], target: redis.Redis, slot: int) -> None:
    owner = node_id(target)
    for node in nodes:
        node.execute_command("CLUSTER", "SETSLOT", slot, "NODE", owner)
