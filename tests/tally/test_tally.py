"""Tally in-process against the real Redis: exactly-once counts, take-over, quarantine."""

from __future__ import annotations

import time

import pytest
import redis
from hypothesis import HealthCheck, given
from hypothesis import settings as settings_
from hypothesis import strategies as st

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
    # Judged over the whole window: every vote of the flood is held back, the first
    # ones included; the spread votes (10 per network) all count.
    assert run.quarantined == 300
    assert counts == {duel.home: 50, duel.away: 50, f"q:{duel.away}": 300}
    assert official_total(redis_client, duel) == 400
    groups = tally.quarantine_groups(redis_client, duel.did)
    assert [(g.group, g.votes, g.state) for g in groups] == [(f"volume-n-{flood}", 300, "pending")]


def test_hold_back_is_retrospective_across_batches_and_runs(
    redis_client: redis.Redis, settings: Settings
) -> None:
    """A network under the limit counts; once it passes the limit, its earlier votes
    (counted in earlier runs) move out of the official count, and later ones follow."""
    duel = make_duel(redis_client)
    limit = settings.fraud_votes_per_network
    slow = "5105000b0000"
    add_votes(redis_client, duel.did, (duel.home,), limit, network=slow)
    tally.tally(redis_client, settings, duel.did, consumer="w")
    assert official(redis_client, duel.did) == {duel.home: limit}

    add_votes(redis_client, duel.did, (duel.home,), 1, network=slow, start=limit)
    tally.tally(redis_client, settings, duel.did, consumer="w")
    assert official(redis_client, duel.did) == {duel.home: 0, f"q:{duel.home}": limit + 1}

    add_votes(redis_client, duel.did, (duel.home,), 5, network=slow, start=limit + 1)
    tally.tally(redis_client, settings, duel.did, consumer="w")
    assert official(redis_client, duel.did) == {duel.home: 0, f"q:{duel.home}": limit + 6}
    group = f"volume-n-{slow}"
    tally.review_quarantine(redis_client, duel.did, group, include=True, reason="Schulklasse")
    assert official(redis_client, duel.did) == {duel.home: limit + 6, f"q:{duel.home}": 0}
    # An included group is trusted: its later votes count too.
    add_votes(redis_client, duel.did, (duel.home,), 2, network=slow, start=limit + 6)
    tally.tally(redis_client, settings, duel.did, consumer="w")
    assert official(redis_client, duel.did)[duel.home] == limit + 8


def test_venue_votes_are_judged_by_their_screen_code_not_their_network(
    redis_client: redis.Redis, settings: Settings
) -> None:
    duel = make_duel(redis_client)
    venue = settings.model_copy(update={"presence_phones_per_code": 50})
    pipe = redis_client.pipeline(transaction=False)
    # 120 phones behind one NAT, admitted by three screen codes of 40 phones each.
    for number in range(120):
        pipe.xadd(
            keys.votes(duel.did),
            {"t": duel.teams[number % 2], "v": f"p{number}", "n": "0000000a0b0c",
             "u": "iphone", "ip": "1", "a": "venue", "s": f"p:{number // 40:x}"},
        )  # fmt: skip
    # A relayed code: 60 more phones through one code.
    for number in range(60):
        pipe.xadd(
            keys.votes(duel.did),
            {"t": duel.away, "v": f"r{number}", "n": "0000000a0b0c", "u": "iphone",
             "ip": "1", "a": "venue", "s": "p:ff"},
        )  # fmt: skip
    pipe.execute()

    tally.tally(redis_client, venue, duel.did, consumer="w")

    assert official(redis_client, duel.did) == {duel.home: 60, duel.away: 60, f"q:{duel.away}": 60}
    assert [g.group for g in tally.quarantine_groups(redis_client, duel.did)] == ["relay-p-ff"]


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


def test_review_refuses_a_decided_duel(redis_client: redis.Redis, settings: Settings) -> None:
    duel = make_duel(redis_client)
    redis_client.hset(keys.duel(duel.did), "status", "decided")
    with pytest.raises(errors.Conflict):
        tally.review_quarantine(
            redis_client, duel.did, "burst-n-abcabcabcabc", include=True, reason="ok"
        )


@settings_(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(
        st.tuples(st.booleans(), st.integers(0, 3), st.sampled_from(["open", "venue", "codes"])),
        max_size=60,
    ),
    st.integers(1, 17),
)
def test_the_script_reaches_the_whole_window_outcome_in_any_batching(
    redis_client: redis.Redis, settings: Settings, items: list[tuple[bool, int, str]], size: int
) -> None:
    """However the votes arrive in batches, the tally ends where the pure rules say."""
    duel = make_duel(redis_client)
    strict = settings.model_copy(
        update={
            "fraud_votes_per_network": 4,
            "presence_phones_per_code": 6,
            "tally_batch_size": size,
        }
    )
    pipe = redis_client.pipeline(transaction=False)
    for number, (home, group, mode) in enumerate(items):
        subject = {"venue": f"p:{group:x}", "codes": f"k:{number:016x}"}.get(mode, "")
        fields = {"t": duel.home if home else duel.away, "v": f"v{number}", "n": f"{group:012x}",
                  "u": "ua", "ip": "1", "a": mode, "s": subject}  # fmt: skip
        pipe.xadd(keys.votes(duel.did), fields)  # type: ignore[arg-type]
    pipe.execute()
    entries = redis_client.xrange(keys.votes(duel.did))
    expected = rules.settle(
        [rules.Vote.from_entry(i, f) for i, f in entries],  # type: ignore[union-attr]
        rules.Thresholds.from_settings(strict),
    )

    tally.tally(redis_client, strict, duel.did, consumer="w")

    counts = official(redis_client, duel.did)
    assert {team: counts.get(team, 0) for team in duel.teams} == {
        team: expected.official.get(team, 0) for team in duel.teams
    }
    groups = {g.group: g.teams for g in tally.quarantine_groups(redis_client, duel.did)}
    assert groups == expected.held_back
