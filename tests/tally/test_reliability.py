"""Reliability with real processes: a worker SIGKILLed mid-batch, Redis restarted or
crashed between ingest and tally, the sweep closing a voting window, the real vote API."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest
import redis
from rq import Queue, Worker

from duels import keys
from duels.redis_server import EmbeddedRedis
from duels.settings import Settings
from tests.support import queue_connection, start_web, store_client, wait_for
from tests.tally.factories import (
    DuelFixture,
    add_votes,
    make_duel,
    official,
    official_total,
    pending_count,
    provisional,
)
from tests.tally.processes import kill_worker, start_tally_worker
from voting.tokens import VOTER_COOKIE, VoteSecrets, new_voter_id
from workers import queues, tally

pytestmark = pytest.mark.slow

FAST = {"MACHMAL_TALLY_CLAIM_IDLE_SECONDS": "1", "MACHMAL_TALLY_SWEEP_SECONDS": "0.5"}


@pytest.fixture
def fresh_client(settings: Settings) -> Iterator[redis.Redis]:
    client = store_client(settings)
    yield client
    client.close()


def enqueue_tally(settings: Settings, did: str) -> None:
    """What the ingest does when it newly sets the tally-pending flag."""
    with queue_connection(settings) as connection:
        Queue(queues.TALLY, connection=connection).enqueue(
            "workers.tally.tally_duel", did, result_ttl=0, failure_ttl=60
        )


def restart_redis(server: EmbeddedRedis, *, crash: bool) -> None:
    if crash:
        server.kill()
    else:
        server.stop()
    server.start()  # returns once the AOF is loaded


def all_counted(client: redis.Redis, duel: DuelFixture, expected: int) -> bool:
    return official_total(client, duel) == expected and not tally.has_uncounted(client, duel.did)


def test_worker_killed_mid_batch_loses_and_doubles_nothing(
    settings: Settings, redis_client: redis.Redis
) -> None:
    votes = 3000
    duel = make_duel(redis_client)
    add_votes(redis_client, duel.did, duel.teams, votes)
    small_batches = {**FAST, "MACHMAL_TALLY_BATCH_SIZE": "5"}
    worker = start_tally_worker(settings, **small_batches)
    try:
        enqueue_tally(settings, duel.did)
        wait_for(lambda: official_total(redis_client, duel) > 0, timeout=30, interval=0.002)
        kill_worker(worker)
    finally:
        worker.stop()
    at_kill = official_total(redis_client, duel)
    assert 0 < at_kill < votes, "the kill must land while the tally is under way"

    successor = start_tally_worker(settings, **small_batches)
    try:
        wait_for(lambda: all_counted(redis_client, duel, votes), timeout=90, interval=0.1)
    finally:
        successor.stop()

    assert official(redis_client, duel.did) == provisional(redis_client, duel.did)
    assert sum(provisional(redis_client, duel.did).values()) == votes
    assert pending_count(redis_client, duel.did) == 0
    assert redis_client.scard(keys.tallied(duel.did)) == 0


@pytest.mark.parametrize("crash", [False, True], ids=["sigterm", "sigkill"])
def test_acknowledged_votes_survive_a_redis_restart(
    settings: Settings, redis_server: EmbeddedRedis, crash: bool
) -> None:
    votes = 2000
    with redis.Redis.from_url(settings.redis_url or "", decode_responses=True) as client:
        duel = make_duel(client)
        add_votes(client, duel.did, duel.teams, votes)
    # SIGTERM flushes the AOF; SIGKILL right after the replies relies on AOF "everysec"
    # having written (not yet fsynced) every acknowledged write before replying.
    restart_redis(redis_server, crash=crash)

    with redis.Redis.from_url(settings.redis_url or "", decode_responses=True) as client:
        assert client.xlen(keys.votes(duel.did)) == votes
        worker = start_tally_worker(settings, **FAST)
        try:
            enqueue_tally(settings, duel.did)
            wait_for(lambda: all_counted(client, duel, votes), timeout=60, interval=0.1)
        finally:
            worker.stop()
        assert official(client, duel.did) == provisional(client, duel.did)


def test_a_running_worker_carries_on_after_redis_restarts(
    settings: Settings, redis_server: EmbeddedRedis
) -> None:
    with redis.Redis.from_url(settings.redis_url or "", decode_responses=True) as client:
        duel = make_duel(client)
        add_votes(client, duel.did, duel.teams, 500)
        worker = start_tally_worker(settings, **FAST)
        try:
            wait_for(lambda: all_counted(client, duel, 500), timeout=30, interval=0.1)
            restart_redis(redis_server, crash=False)
            add_votes(client, duel.did, duel.teams, 500, start=500)
            # No job is enqueued: the sweep of the surviving worker finds the new votes.
            wait_for(lambda: all_counted(client, duel, 1000), timeout=60, interval=0.2)
            assert worker.popen.poll() is None
        finally:
            worker.stop()
        assert official(client, duel.did) == provisional(client, duel.did)


def test_the_sweep_closes_a_window_whose_end_time_passed(
    settings: Settings, fresh_client: redis.Redis
) -> None:
    duel = make_duel(fresh_client, closes_at=time.time() + 1)
    add_votes(fresh_client, duel.did, duel.teams, 25)
    worker = start_tally_worker(settings, **FAST)
    try:
        wait_for(
            lambda: fresh_client.hget(keys.duel(duel.did), "status") == "closed",
            timeout=30,
            interval=0.1,
        )
        wait_for(lambda: all_counted(fresh_client, duel, 25), timeout=30, interval=0.1)
    finally:
        worker.stop()
    audit = [fields for _, fields in fresh_client.xrange(keys.audit(duel.cid))]  # type: ignore[union-attr]
    assert any(a["what"] == "close_voting" and a["who"] == "schedule" for a in audit)


def test_a_tally_job_clears_the_pending_flag_and_counts(
    settings: Settings, fresh_client: redis.Redis
) -> None:
    duel = make_duel(fresh_client)
    add_votes(fresh_client, duel.did, duel.teams, 40)
    fresh_client.set(keys.tally_pending(duel.did), "1", ex=60)
    # No sweep: only the job can count.
    worker = start_tally_worker(settings, MACHMAL_TALLY_SWEEP_SECONDS="3600")
    try:
        enqueue_tally(settings, duel.did)
        wait_for(lambda: all_counted(fresh_client, duel, 40), timeout=30, interval=0.1)
        wait_for(lambda: not fresh_client.exists(keys.tally_pending(duel.did)), timeout=10)
        # The stream's consumer is the RQ worker (stable across its jobs), not a process id.
        consumers = fresh_client.xinfo_consumers(keys.votes(duel.did), tally.GROUP)
        with queue_connection(settings) as connection:
            workers = {w.name for w in Worker.all(connection=connection)}
        assert {c["name"] for c in consumers} <= workers
    finally:
        worker.stop()


def test_votes_through_the_real_api_end_up_in_the_official_count(
    settings: Settings, fresh_client: redis.Redis
) -> None:
    duel = make_duel(fresh_client)
    secrets = VoteSecrets(settings.secret_key_value())
    web = start_web(settings)
    # All 30 votes come from one address (this machine); above the open mode's per-network
    # limit they would be held back, which is not what this test is about.
    worker = start_tally_worker(settings, **FAST, MACHMAL_FRAUD_VOTES_PER_NETWORK="1000")
    try:
        with httpx.Client(base_url=web.url, timeout=10) as http:
            for number in range(30):
                http.cookies.set(VOTER_COOKIE, secrets.sign_voter(new_voter_id()))
                team = duel.teams[number % 3 == 0]
                response = http.post(f"/api/duels/{duel.did}/votes", json={"team_id": team})
                assert response.status_code == 202, response.text
            wait_for(lambda: all_counted(fresh_client, duel, 30), timeout=30, interval=0.1)
            body = http.get(f"/api/duels/{duel.did}").json()
    finally:
        worker.stop()
        web.stop()
    assert body["counts"] == {duel.home: 20, duel.away: 10}
    assert body["provisional"] == body["counts"]
