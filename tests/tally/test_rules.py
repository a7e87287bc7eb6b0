"""Property tests of the pure fraud rules (voting/rules.py)."""

from __future__ import annotations

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from voting import rules

BASE_MS = 1_700_000_000_000
THRESHOLDS = rules.Thresholds(
    bucket_seconds=5,
    window_seconds=30,
    burst_seconds=10,
    burst_votes=12,
    network_share=0.5,
    network_min_votes=8,
    agent_share=0.8,
    agent_min_votes=15,
)

networks = st.sampled_from(["aaaaaaaaaaaa", "bbbbbbbbbbbb", "cccccccccccc", ""])
agents = st.sampled_from(["111111111111", "222222222222", ""])


@st.composite
def vote_lists(draw: st.DrawFn, max_size: int = 120) -> list[rules.Vote]:
    """Votes in stream order: increasing times, a few seconds apart at most."""
    count = draw(st.integers(0, max_size))
    at = BASE_MS
    votes = []
    for number in range(count):
        at += draw(st.integers(0, 3000))
        votes.append(
            rules.Vote(
                id=f"{at}-{number}",
                team=draw(st.sampled_from(["home", "away"])),
                network=draw(networks),
                agent=draw(agents),
            )
        )
    return votes


@st.composite
def threshold_sets(draw: st.DrawFn) -> rules.Thresholds:
    bucket = draw(st.integers(1, 10))
    return rules.Thresholds(
        bucket_seconds=bucket,
        window_seconds=draw(st.integers(bucket, 120)),
        burst_seconds=draw(st.integers(bucket, 30)),
        burst_votes=draw(st.integers(1, 40)),
        network_share=draw(st.floats(0.05, 1.0)),
        network_min_votes=draw(st.integers(1, 40)),
        agent_share=draw(st.floats(0.05, 1.0)),
        agent_min_votes=draw(st.integers(1, 40)),
    )


@given(vote_lists(), threshold_sets())
def test_every_vote_gets_exactly_one_verdict(
    votes: list[rules.Vote], thresholds: rules.Thresholds
) -> None:
    verdicts = rules.judge(votes, {}, thresholds)
    assert len(verdicts) == len(votes)
    for vote, verdict in zip(votes, verdicts, strict=True):
        if verdict is not None:
            # Quarantined for its own network or user agent, never someone else's.
            assert verdict.subject == (vote.network if verdict.kind == "n" else vote.agent)
            assert rules.parse_group(verdict.group) == verdict


@given(vote_lists(), st.integers(0, 120), threshold_sets())
def test_judging_in_batches_equals_judging_at_once(
    votes: list[rules.Vote], cut: int, thresholds: rules.Thresholds
) -> None:
    """What the worker does: batch two sees batch one through the recorded counts."""
    first, second = votes[:cut], votes[cut:]
    at_once = rules.judge(votes, {}, thresholds)
    in_batches = rules.judge(first, {}, thresholds) + rules.judge(
        second, rules.record({}, first, thresholds), thresholds
    )
    assert in_batches == at_once


@given(vote_lists(), threshold_sets())
def test_a_quarantined_vote_had_enough_company(
    votes: list[rules.Vote], thresholds: rules.Thresholds
) -> None:
    """No rule fires below its minimum: a verdict needs that many votes in the window."""
    for index, verdict in enumerate(rules.judge(votes, {}, thresholds)):
        if verdict is None:
            continue
        vote = votes[index]
        span = thresholds.burst_buckets if verdict.reason == "burst" else thresholds.window_buckets
        last = thresholds.bucket_of(vote.at_ms)
        same = [
            v
            for v in votes[: index + 1]
            if last - span < thresholds.bucket_of(v.at_ms) <= last
            and (v.network if verdict.kind == "n" else v.agent) == verdict.subject
        ]
        if verdict.reason == "burst":
            assert len(same) > thresholds.burst_votes
        elif verdict.kind == "n":
            assert len(same) >= thresholds.network_min_votes
        else:
            assert len(same) >= thresholds.agent_min_votes


@given(st.integers(1, 400), threshold_sets())
def test_votes_spread_thin_are_never_quarantined(count: int, thresholds: rules.Thresholds) -> None:
    """Every voter on its own network and phone model: nothing is held back."""
    votes = [
        rules.Vote(f"{BASE_MS + n * 10}-0", "home", f"{n:012x}", f"{n + 10**6:012x}")
        for n in range(count)
    ]
    assume(thresholds.network_min_votes > 1 and thresholds.agent_min_votes > 1)
    assert rules.judge(votes, {}, thresholds) == [None] * count


@given(st.integers(1, 300))
def test_a_flood_from_one_network_is_held_from_the_threshold_on(count: int) -> None:
    votes = [
        rules.Vote(f"{BASE_MS + n}-0", "away", "dddddddddddd", f"{n:012x}") for n in range(count)
    ]
    verdicts = rules.judge(votes, {}, THRESHOLDS)
    first_held = min(THRESHOLDS.burst_votes + 1, THRESHOLDS.network_min_votes)
    assert [v is not None for v in verdicts] == [n + 1 >= first_held for n in range(count)]
    assert all(v is None or v.kind == "n" for v in verdicts)


@given(vote_lists(max_size=60), st.integers(1, 500))
@settings(max_examples=50)
def test_counts_older_than_the_window_change_nothing(
    votes: list[rules.Vote], old_votes: int
) -> None:
    span = max(THRESHOLDS.window_buckets, THRESHOLDS.burst_buckets)
    old_bucket = THRESHOLDS.bucket_of(BASE_MS) - span
    prior = {old_bucket: {rules.TOTAL: old_votes, "n:aaaaaaaaaaaa": old_votes}}
    assert rules.judge(votes, prior, THRESHOLDS) == rules.judge(votes, {}, THRESHOLDS)


@given(vote_lists(max_size=60))
def test_fields_needed_cover_what_judge_reads(votes: list[rules.Vote]) -> None:
    """Judging with only the needed prior fields equals judging with all of them."""
    everything = rules.record({}, votes, THRESHOLDS)
    needed = rules.fields_needed(votes, THRESHOLDS)
    trimmed = {
        bucket: {name: value for name, value in fields.items() if name in needed.get(bucket, ())}
        for bucket, fields in everything.items()
    }
    assert rules.judge(votes, trimmed, THRESHOLDS) == rules.judge(votes, everything, THRESHOLDS)


def test_group_ids_round_trip_and_reject_junk() -> None:
    verdict = rules.Verdict("concentration", "u", "0123456789ab")
    assert verdict.group == "concentration-u-0123456789ab"
    assert rules.parse_group(verdict.group) == verdict
    for junk in ("", "burst", "burst-x-abc", "spam-n-abc", "burst-n-ABC", "burst-n-ab/cd"):
        assert rules.parse_group(junk) is None
