"""Round robin: everyone meets everyone once; a win is one point."""

from __future__ import annotations

import random
from functools import partial
from itertools import combinations

import pytest
from hypothesis import given
from hypothesis import strategies as st

import bracket as b

from .helpers import MODEST, assert_once_per_round, play_to_end, random_decisions, seeds, teams

finished_leagues = st.builds(
    lambda count, seed, rnd: play_to_end(
        b.draw(teams(count), format="round_robin", seed=seed),
        partial(random_decisions, rnd=rnd),
    ),
    st.integers(2, 12),
    seeds,
    st.randoms(use_true_random=False),
)


@MODEST
@given(finished_leagues)
def test_every_pair_meets_exactly_once_in_n_times_n_minus_one_halves_duels(
    bracket: b.Bracket,
) -> None:
    count = len(bracket.entrants)
    pairs = [frozenset((m.home, m.away)) for m in bracket.matches]
    assert len(pairs) == count * (count - 1) // 2
    assert set(pairs) == {frozenset(p) for p in combinations([e.id for e in bracket.entrants], 2)}


@MODEST
@given(finished_leagues)
def test_each_team_plays_once_per_round_and_with_odd_counts_one_team_rests(
    bracket: b.Bracket,
) -> None:
    assert_once_per_round(bracket)
    count = len(bracket.entrants)
    assert bracket.round == (count if count % 2 else count - 1)
    resting = [b.resting_teams(bracket, r) for r in range(1, bracket.round + 1)]
    if count % 2:
        assert all(len(r) == 1 for r in resting)
        assert sorted(t for r in resting for t in r) == sorted(e.id for e in bracket.entrants)
    else:
        assert all(r == () for r in resting)


@MODEST
@given(finished_leagues)
def test_the_champion_tops_the_standings_and_points_count_wins(bracket: b.Bracket) -> None:
    table = b.standings(bracket)
    assert b.champion(bracket) == table[0].team_id
    assert sum(row.points for row in table) == len(bracket.matches) * b.POINTS_PER_WIN
    assert [row.points for row in table] == sorted((row.points for row in table), reverse=True)


@MODEST
@given(st.integers(2, 12), seeds, st.randoms(use_true_random=False))
def test_undo_restores_the_exact_previous_state(count: int, seed: int, rnd: random.Random) -> None:
    bracket = b.draw(teams(count), format="round_robin", seed=seed)
    while not b.is_finished(bracket):
        advanced = b.advance(bracket, random_decisions(bracket, rnd))
        assert b.undo(advanced) == bracket
        bracket = advanced


def league(winners: dict[frozenset[str], tuple[str, int, int]]) -> b.Bracket:
    """A three-team league; winners maps a pair to (winner, winner votes, loser votes)."""
    bracket = b.draw(teams(3), format="round_robin", seeding="manual", order=["t1", "t2", "t3"])
    while not b.is_finished(bracket):
        decisions = {}
        for match in b.open_matches(bracket):
            assert match.away is not None
            winner, won, lost = winners[frozenset((match.home, match.away))]
            loser = match.away if winner == match.home else match.home
            home_votes, away_votes = (won, lost) if winner == match.home else (lost, won)
            decisions[match.id] = b.Result(
                winner, loser, "votes", scores=(b.Score("votes", home_votes, away_votes),)
            )
        bracket = b.advance(bracket, decisions)
    return bracket


def test_level_teams_are_ranked_by_vote_difference_then_total_votes() -> None:
    # A cycle: every team has one win and the head-to-head among them is level too.
    bracket = league(
        {
            frozenset(("t1", "t2")): ("t1", 10, 9),  # t1 +1
            frozenset(("t2", "t3")): ("t2", 30, 10),  # t2 +19
            frozenset(("t1", "t3")): ("t3", 59, 20),  # t3 +19, more votes received
        }
    )
    table = b.standings(bracket)
    assert [row.team_id for row in table] == ["t3", "t2", "t1"]
    assert [row.vote_difference for row in table] == [19, 19, -38]


def test_head_to_head_comes_before_vote_difference() -> None:
    # Four teams; t1 and t2 both have two wins, t2 beat t1 despite a worse vote difference.
    bracket = b.draw(
        teams(4), format="round_robin", seeding="manual", order=["t1", "t2", "t3", "t4"]
    )
    plan = {
        frozenset(("t1", "t2")): "t2",
        frozenset(("t1", "t3")): "t1",
        frozenset(("t1", "t4")): "t1",
        frozenset(("t2", "t3")): "t3",
        frozenset(("t2", "t4")): "t2",
        frozenset(("t3", "t4")): "t4",
    }
    while not b.is_finished(bracket):
        decisions = {}
        for match in b.open_matches(bracket):
            assert match.away is not None
            winner = plan[frozenset((match.home, match.away))]
            loser = match.away if winner == match.home else match.home
            margin = 100 if winner == "t1" else 1
            votes = (margin, 0) if winner == match.home else (0, margin)
            decisions[match.id] = b.Result(
                winner, loser, "votes", scores=(b.Score("votes", *votes),)
            )
        bracket = b.advance(bracket, decisions)
    table = b.standings(bracket)
    assert [row.team_id for row in table[:2]] == ["t2", "t1"]
    assert table[1].vote_difference > table[0].vote_difference


def test_a_complete_tie_is_broken_by_a_seeded_draw() -> None:
    plain = {frozenset(p): (p[0], 5, 5) for p in (("t1", "t2"), ("t2", "t3"), ("t3", "t1"))}
    first = [row.team_id for row in b.standings(league(plain))]
    assert first == [row.team_id for row in b.standings(league(plain))]
    assert sorted(first) == ["t1", "t2", "t3"]


@pytest.mark.parametrize("count", [2, 3, 4, 7, 12])
def test_round_robin_has_no_byes(count: int) -> None:
    bracket = b.draw(teams(count), format="round_robin", seed=1)
    assert all(m.away is not None and m.stage == "group" for m in bracket.matches)
