"""Tally in-process against the real Redis: exactly-once counts, take-over, quarantine."""

from __future__ import annotations

import time

import pytest
import redis

from duels import errors, keys
from duels.settings import Settings
from tests.tally.factories import (
    add_votes,
    make_duel,
    official,
    official_total,
    pending_count,
    provisional,
)
from voting import rules
from workers import tally


def test_every_vote_is_counted_once(redis_client: redis.Redis, settings: Settings) -> None:
    duel = make_duel(redis_client)
    add_votes(redis_client, duel.did, duel.teams, 1234)
    small = settings.model_copy(update={"tally_batch_size": 100})

    run = tally.tally(redis_client, small, duel.did, consumer="one")

    assert run.counted == 1234
    assert run.batches == 13
    assert official(redis_client, duel.did) == provisional(redis_client, duel.did)
    assert pending_count(redis_client, duel.did) == 0
    assert not tally.has_uncounted(redis_client, duel.did)
    # Nothing was counted out of order, so the guard set is trimmed to nothing.
    assert redis_client.scard(keys.tallied(duel.did)) == 0
    assert tally.tally(redis_client, small, duel.did, consumer="two").counted == 0
    assert official_total(redis_client, duel) == 1234


def test_running_the_same_batch_twice_counts_it_once(
    redis_client: redis.Redis, settings: Settings
) -> None:
    duel = make_duel(redis_client)
    add_votes(redis_client, duel.did, duel.teams, 50)
    tally.ensure_group(redis_client, duel.did)
    reply = redis_client.xreadgroup(tally.GROUP, "w", {keys.votes(duel.did): ">"}, count=50)
    entries = reply[0][1]  # type: ignore[index]

    # A worker that died after the script ran but before it returned: the batch comes again.
    first = tally.count_batch(redis_client, settings, duel.did, entries)
    again = tally.count_batch(redis_client, settings, duel.did, entries)

    assert (first.counted, again.counted) == (50, 0)
    assert official(redis_client, duel.did) == {duel.home: 25, duel.away: 25}


def test_a_recreated_group_does_not_count_old_votes_again(
    redis_client: redis.Redis, settings: Settings
) -> None:
    duel = make_duel(redis_client)
    add_votes(redis_client, duel.did, duel.teams, 40)
    tally.tally(redis_client, settings, duel.did, consumer="w")
    # The group is lost (e.g. deleted by hand) and created again from id 0.
    redis_client.xgroup_destroy(keys.votes(duel.did), tally.GROUP)

    run = tally.tally(redis_client, settings, duel.did, consumer="w")

    assert run.counted == 0
    assert official(redis_client, duel.did) == {duel.home: 20, duel.away: 20}


def test_a_dead_consumers_batch_is_taken_over_after_idling(
    redis_client: redis.Redis, settings: Settings
) -> None:
    duel = make_duel(redis_client)
    add_votes(redis_client, duel.did, duel.teams, 300)
    tally.ensure_group(redis_client, duel.did)
    # "dead" read the first 100 and never acknowledged them.
    redis_client.xreadgroup(tally.GROUP, "dead", {keys.votes(duel.did): ">"}, count=100)
    patient = settings.model_copy(update={"tally_claim_idle_seconds": 3600, "tally_batch_size": 50})

    tally.tally(redis_client, patient, duel.did, consumer="alive")

    # The newer 200 are counted out of order; the 100 still belong to "dead".
    assert official_total(redis_client, duel) == 200
    assert pending_count(redis_client, duel.did) == 100
    assert tally.has_uncounted(redis_client, duel.did)
    assert redis_client.scard(keys.tallied(duel.did)) == 200

    time.sleep(0.05)
    eager = patient.model_copy(update={"tally_claim_idle_seconds": 0.01})
    run = tally.tally(redis_client, eager, duel.did, consumer="alive")

    assert run.counted == 100
    assert official(redis_client, duel.did) == provisional(redis_client, duel.did)
    assert pending_count(redis_client, duel.did) == 0
    assert redis_client.scard(keys.tallied(duel.did)) == 0


def test_late_delivery_of_a_taken_over_batch_is_not_counted_twice(
    redis_client: redis.Redis, settings: Settings
) -> None:
    duel = make_duel(redis_client)
    add_votes(redis_client, duel.did, duel.teams, 60)
    tally.ensure_group(redis_client, duel.did)
    reply = redis_client.xreadgroup(tally.GROUP, "slow", {keys.votes(duel.did): ">"}, count=60)
    slow_batch = reply[0][1]  # type: ignore[index]
    time.sleep(0.05)
    eager = settings.model_copy(update={"tally_claim_idle_seconds": 0.01})
    tally.tally(redis_client, eager, duel.did, consumer="fast")  # takes the batch over

    late = tally.count_batch(redis_client, settings, duel.did, slow_batch)  # "slow" wakes up

    assert late.counted == 0
    assert official_total(redis_client, duel) == 60


def test_tally_event_and_leaderboard_follow_official_counts(
    redis_client: redis.Redis, settings: Settings
) -> None:
    duel = make_duel(redis_client)
    add_votes(redis_client, duel.did, duel.teams, 7)
    tally.tally(redis_client, settings, duel.did, consumer="w")

    entries = redis_client.xrange(keys.event_log(duel.cid))
    tallies = [fields["e"] for _, fields in entries if '"type":"tally"' in fields["e"]]  # type: ignore[union-attr]
    assert tallies, entries
    assert f'"counts":{{"{duel.home}":4,"{duel.away}":3}}' in tallies[-1]
    board = dict(redis_client.zrange(keys.board_votes(duel.cid), 0, -1, withscores=True))  # type: ignore[arg-type]
    assert board == {duel.home: 4.0, duel.away: 3.0}


def test_an_older_board_write_does_not_undo_a_newer_one(
    redis_client: redis.Redis, settings: Settings
) -> None:
    duel = make_duel(redis_client)
    tally.update_board(redis_client, duel.cid, duel.did, duel.teams, 5, {duel.home: 9})
    tally.update_board(redis_client, duel.cid, duel.did, duel.teams, 4, {duel.home: 3})
    tally.update_board(redis_client, duel.cid, duel.did, duel.teams, 5, {duel.home: 9})

    assert redis_client.zscore(keys.board_votes(duel.cid), duel.home) == 9.0
    assert redis_client.zscore(keys.board_votes(duel.cid), duel.away) == 0.0


def test_flood_from_one_network_goes_to_quarantine_not_away(
    redis_client: redis.Redis, settings: Settings
) -> None:
    duel = make_duel(redis_client)
    add_votes(redis_client, duel.did, duel.teams, 100)
    flood = "f100d0000001"
    add_votes(redis_client, duel.did, (duel.away,), 300, network=flood, start=1000)

    run = tally.tally(redis_client, settings, duel.did, consumer="w")

    counts = official(redis_client, duel.did)
    assert run.counted == 400
    assert run.quarantined > 0
    assert counts.get(f"q:{duel.away}", 0) == run.quarantined
    assert official_total(redis_client, duel) == 400
    groups = tally.quarantine_groups(redis_client, duel.did)
    assert {g.subject for g in groups} == {flood}
    assert sum(g.votes for g in groups) == run.quarantined
    assert all(g.state == "pending" for g in groups)
    assert redis_client.xlen(keys.quarantine_votes(duel.did)) == run.quarantined


def test_sweep_closes_due_windows_and_counts_what_was_missed(
    redis_client: redis.Redis, settings: Settings
) -> None:
    due = make_duel(redis_client, closes_at=time.time() - 1)
    running = make_duel(redis_client, closes_at=time.time() + 3600)
    add_votes(redis_client, due.did, due.teams, 30)
    add_votes(redis_client, running.did, running.teams, 20)

    report = tally.sweep_once(redis_client, settings)

    assert report.closed == 1
    assert redis_client.hget(keys.duel(due.did), "status") == "closed"
    assert redis_client.hget(keys.duel(running.did), "status") == "voting"
    assert official_total(redis_client, due) == 30
    assert official_total(redis_client, running) == 20
    audit = redis_client.xrange(keys.audit(due.cid))
    closing = [fields for _, fields in audit if fields.get("what") == "close_voting"]  # type: ignore[union-attr]
    assert closing and closing[-1]["who"] == "schedule"
    assert closing[-1]["why"] == "end time reached"
    # Nothing left to do: the next sweep touches nothing.
    again = tally.sweep_once(redis_client, settings)
    assert (again.closed, again.tallied) == (0, 0)


def test_judging_is_the_same_as_the_pure_rules(
    redis_client: redis.Redis, settings: Settings
) -> None:
    """The counts the script keeps per bucket are exactly what the rules would record."""
    duel = make_duel(redis_client)
    add_votes(redis_client, duel.did, duel.teams, 90, network="abcabcabcabc")
    tally.tally(redis_client, settings, duel.did, consumer="w")
    thresholds = rules.Thresholds.from_settings(settings)
    entries = redis_client.xrange(keys.votes(duel.did))
    votes = [rules.Vote.from_entry(i, f) for i, f in entries]  # type: ignore[union-attr]
    expected = rules.record({}, votes, thresholds)
    for bucket, fields in expected.items():
        stored = redis_client.hgetall(keys.fraud_window(duel.did, bucket))
        assert {k: int(v) for k, v in stored.items()} == fields  # type: ignore[union-attr]


def test_review_refuses_a_decided_duel(redis_client: redis.Redis, settings: Settings) -> None:
    duel = make_duel(redis_client)
    redis_client.hset(keys.duel(duel.did), "status", "decided")
    with pytest.raises(errors.Conflict):
        tally.review_quarantine(
            redis_client, duel.did, "burst-n-abcabcabcabc", include=True, reason="ok"
        )
