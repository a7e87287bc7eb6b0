"""The store on a real Redis Cluster: settings, key placement, the host flows of the store
code, and the vote batcher following MOVED and ASK redirections."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import pytest
import redis
from starlette.testclient import TestClient

from duels import backup, keys, store
from duels.settings import Settings, SettingsError, load_settings
from tests.cluster import EmbeddedCluster
from tests.cluster.helpers import (
    CROWD,
    begin_migration,
    cluster_only,
    finish_migration,
    migrate_keys,
)
from tests.host.helpers import Host
from tests.voting.factories import make_duel, voter_cookie
from tests.voting.helpers import SECRET, vote
from web.app import create_app
from workers import tally


def test_a_cluster_without_a_queue_redis_is_refused_at_start_up() -> None:
    with pytest.raises(SettingsError, match="MACHMAL_QUEUE_URL"):
        load_settings(redis_cluster=True, redis_url="redis://127.0.0.1:7000/0")
    with pytest.raises(SettingsError, match="MACHMAL_REDIS_URL"):
        load_settings(redis_cluster=True, queue_url="redis://127.0.0.1:6379/0")


def test_the_command_line_explains_the_missing_queue_redis(tmp_path: object) -> None:
    env = {"MACHMAL_REDIS_CLUSTER": "true", "MACHMAL_REDIS_URL": "redis://127.0.0.1:7000/0"}
    done = subprocess.run(
        [sys.executable, "-m", "web.cli", "worker"],
        env={"PATH": "/usr/bin:/bin", "MACHMAL_DATA_DIR": str(tmp_path), **env},
        capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert done.returncode == 2
    assert "MACHMAL_QUEUE_URL" in done.stderr


def test_the_queue_redis_defaults_to_the_store() -> None:
    settings = Settings(redis_url="redis://127.0.0.1:6390/0")
    assert settings.queue_redis_url == "redis://127.0.0.1:6390/0"
    assert (
        Settings(redis_url="redis://a/0", queue_url="redis://b/0").queue_redis_url == "redis://b/0"
    )


@pytest.fixture
def nodes(redis_cluster: EmbeddedCluster) -> Iterator[list[redis.Redis]]:
    clients = [redis.Redis(port=node.port, decode_responses=True) for node in redis_cluster.nodes]
    yield clients
    for client in clients:
        client.close()


@cluster_only
def test_keys_of_a_duel_share_one_slot_and_duels_spread_over_the_masters(
    settings: Settings, redis_client: redis.Redis, nodes: list[redis.Redis]
) -> None:
    assert settings.redis_cluster and settings.queue_url
    duels = [make_duel(redis_client) for _ in range(12)]
    for duel in duels:
        did, cid = duel["id"], duel["competition"]
        duel_keys = [keys.duel(did), keys.votes(did), keys.voters(did), keys.provisional(did)]
        assert len({redis_client.keyslot(key) for key in duel_keys}) == 1  # type: ignore[attr-defined]
        comp_keys = [keys.competition(cid), keys.teams(cid), keys.duel_index(cid)]
        assert len({redis_client.keyslot(key) for key in comp_keys}) == 1  # type: ignore[attr-defined]
    holding = [node.dbsize() > 0 for node in nodes]
    assert sum(holding) >= 2, "a dozen competitions land on more than one master"


@cluster_only
def test_host_flows_of_the_store_run_on_the_cluster(
    settings: Settings, redis_client: redis.Redis, client: TestClient, host_headers: dict[str, str]
) -> None:
    host = Host(client, host_headers)
    cid, _ = host.competition(4)
    host.post(f"/api/competitions/{cid}/bracket", {"format": "single_elimination"}, 201)
    first_round = host.current_duels(cid)
    assert len(first_round) == 2
    for number, duel in enumerate(first_round):
        did = duel["id"]
        host.post(f"/api/duels/{did}/open")
        for voter in range(3 + number):
            team = duel["home"]["id"] if voter else duel["away"]["id"]
            assert vote(client, did, team, cookie=voter_cookie(SECRET)).status_code == 202
        tally.tally(redis_client, settings, did, consumer="test")
        host.post(f"/api/duels/{did}/close")
    host.post(f"/api/competitions/{cid}/advance")
    final = host.current_duels(cid)
    assert len(final) == 1 and {final[0]["home"]["id"], final[0]["away"]["id"]} == {
        duel["home"]["id"] for duel in first_round
    }
    host.post(f"/api/competitions/{cid}/undo", {"reason": "Test"})
    assert [d["id"] for d in host.current_duels(cid)] == [d["id"] for d in first_round]
    audit = client.get(f"/api/competitions/{cid}/audit", headers=host_headers).json()
    assert audit

    exported = backup.export_competition(redis_client, cid)
    assert backup.import_competition(redis_client, exported, replace=True) == cid
    restored = backup.export_competition(redis_client, cid)["keys"]
    # Throttle windows carry their TTL and may lapse between the two exports.
    lasting = {key for key, entry in exported["keys"].items() if not entry["ttl_ms"]}
    assert lasting <= restored.keys() <= exported["keys"].keys()
    assert all(restored[key]["value"] == exported["keys"][key]["value"] for key in lasting)
    assert store.get_competition(redis_client, cid).title == "Testcup"


@pytest.fixture
def crowd_client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings.model_copy(update=CROWD))) as test_client:
        yield test_client


def _slot_owner(
    redis_client: redis.Redis, nodes: list[redis.Redis], key: str
) -> tuple[int, redis.Redis, redis.Redis]:
    slot = int(redis_client.keyslot(key))  # type: ignore[attr-defined]
    node = redis_client.get_node_from_key(key)  # type: ignore[attr-defined]
    source = next(n for n in nodes if n.connection_pool.connection_kwargs["port"] == node.port)
    target = next(n for n in nodes if n is not source)
    return slot, source, target


@cluster_only
def test_votes_follow_a_slot_moved_to_another_master(
    crowd_client: TestClient, redis_client: redis.Redis, nodes: list[redis.Redis]
) -> None:
    duel = make_duel(redis_client)
    did, home = duel["id"], duel["home"]
    first = voter_cookie(SECRET)
    assert vote(crowd_client, did, home, cookie=first).status_code == 202  # slot map cached
    slot, source, target = _slot_owner(redis_client, nodes, keys.duel(did))

    begin_migration(source, target, slot)
    assert migrate_keys(source, target, slot) > 0
    finish_migration(nodes, target, slot)

    # The batcher's map is stale: MOVED, refresh, send again, exactly once.
    assert vote(crowd_client, did, home, cookie=voter_cookie(SECRET)).status_code == 202
    again = vote(crowd_client, did, home, cookie=first)
    assert again.status_code == 409 and again.json()["detail"]["code"] == "already_voted"
    assert target.xlen(keys.votes(did)) == 2 and source.dbsize() >= 0
    assert target.hget(keys.provisional(did), home) == "2"


@cluster_only
def test_a_vote_during_a_slot_migration_is_refused_for_a_retry_never_lost_or_doubled(
    crowd_client: TestClient, redis_client: redis.Redis, nodes: list[redis.Redis]
) -> None:
    duel = make_duel(redis_client)
    did, away = duel["id"], duel["away"]
    assert vote(crowd_client, did, away, cookie=voter_cookie(SECRET)).status_code == 202
    slot, source, target = _slot_owner(redis_client, nodes, keys.duel(did))
    voter = voter_cookie(SECRET)

    begin_migration(source, target, slot)
    try:
        migrate_keys(source, target, slot)
        # The source answers ASK; the importing node, asked with ASKING, answers TRYAGAIN
        # to a script whose keys are not all there yet (a new voter's rate keys): the
        # vote did not run, and the phone is told to retry.
        during = vote(crowd_client, did, away, cookie=voter)
        assert during.status_code == 503, during.text
        assert during.json()["detail"]["code"] == "store_unavailable"
        assert during.headers["Retry-After"] == "1"
    finally:
        migrate_keys(source, target, slot)
        finish_migration(nodes, target, slot)
    assert vote(crowd_client, did, away, cookie=voter).status_code == 202  # the retry
    assert vote(crowd_client, did, away, cookie=voter).status_code == 409
    assert redis_client.xlen(keys.votes(did)) == 2
    assert redis_client.hget(keys.provisional(did), away) == "2"
    assert target.xlen(keys.votes(did)) == 2
