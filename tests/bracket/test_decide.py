"""Deciding a duel from its tallies and the competition's decision rule."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

import bracket as b

from .helpers import MODEST

DUEL = b.Match("r1m1", 1, "main", "home", "away", "Koch", "Pasta")
VOTES_ONLY = b.DecisionRule()
FIFTY_FIFTY = b.DecisionRule(audience_weight=0.5)


def test_more_official_votes_win() -> None:
    result = b.decide(DUEL, b.Tally(votes=120), b.Tally(votes=95), VOTES_ONLY, 1)
    assert (result.winner, result.loser, result.decided_by) == ("home", "away", "votes")
    assert result.scores == (b.Score("votes", 120, 95),)


def test_a_weighted_mix_combines_vote_share_and_jury_share() -> None:
    # Votes 60:40 -> 0.6:0.4, jury 3:7 -> 0.3:0.7, 50/50 -> 0.45:0.55.
    home, away = b.Tally(votes=60, jury=3), b.Tally(votes=40, jury=7)
    result = b.decide(DUEL, home, away, FIFTY_FIFTY, 1)
    assert (result.winner, result.decided_by) == ("away", "weighted")
    assert b.Score("weighted", 0.45, 0.55) in result.scores


def test_weighted_scores_are_exact_so_a_true_tie_goes_to_the_tie_breakers() -> None:
    # 10 % audience: 0.1 * 19/20 + 0.9 * 9/20 = 1/2, an exact tie.
    home, away = b.Tally(votes=19, jury=9), b.Tally(votes=1, jury=11)
    as_float = b.decide(DUEL, home, away, b.DecisionRule(audience_weight=0.1), 1)
    as_fraction = b.decide(DUEL, home, away, b.DecisionRule(audience_weight=Fraction(1, 10)), 1)
    assert as_float == as_fraction
    assert (as_float.winner, as_float.decided_by) == ("away", "jury")


def test_weight_zero_means_jury_only() -> None:
    rule = b.DecisionRule(audience_weight=0)
    result = b.decide(DUEL, b.Tally(votes=1000, jury=1), b.Tally(votes=0, jury=2), rule, 1)
    assert result.winner == "away"


def test_a_tie_goes_to_more_jury_points_first() -> None:
    result = b.decide(DUEL, b.Tally(10, jury=4), b.Tally(10, jury=5), VOTES_ONLY, 1)
    assert (result.winner, result.decided_by) == ("away", "jury")
    assert result.scores == (b.Score("votes", 10, 10), b.Score("jury", 4, 5))


def test_then_to_fewer_quarantined_votes() -> None:
    home, away = b.Tally(10, 4, quarantined=3), b.Tally(10, 4, quarantined=1)
    result = b.decide(DUEL, home, away, VOTES_ONLY, 1)
    assert (result.winner, result.decided_by) == ("away", "fewer_quarantined")
    assert result.scores[-1] == b.Score("quarantined", 3, 1)


def test_then_to_a_draw_seeded_from_competition_seed_and_match_id() -> None:
    tally = b.Tally(10, 4, 1)
    results = {b.decide(DUEL, tally, tally, VOTES_ONLY, seed).winner for seed in range(30)}
    assert results == {"home", "away"}  # the seed matters
    once = b.decide(DUEL, tally, tally, VOTES_ONLY, 7)
    assert once == b.decide(DUEL, tally, tally, VOTES_ONLY, 7)
    assert once.decided_by == "draw"


def test_the_chain_is_followed_in_the_configured_order() -> None:
    rule = b.DecisionRule(tie_breakers=("fewer_quarantined", "jury"))
    home, away = b.Tally(10, jury=9, quarantined=5), b.Tally(10, jury=1, quarantined=0)
    assert b.decide(DUEL, home, away, rule, 1).decided_by == "fewer_quarantined"
    assert b.decide(DUEL, home, away, rule, 1).winner == "away"


def test_a_draw_closes_the_chain_even_if_not_configured() -> None:
    rule = b.DecisionRule(tie_breakers=())
    result = b.decide(DUEL, b.Tally(3, jury=9), b.Tally(3, jury=1), rule, 1)
    assert result.decided_by == "draw"


@MODEST
@given(
    st.tuples(st.integers(0, 50), st.integers(0, 10), st.integers(0, 5)),
    st.tuples(st.integers(0, 50), st.integers(0, 10), st.integers(0, 5)),
    st.fractions(0, 1, max_denominator=10),
    st.integers(),
)
def test_every_duel_gets_exactly_one_winner_and_swapping_sides_is_fair(
    home: tuple[int, int, int], away: tuple[int, int, int], weight: Fraction, seed: int
) -> None:
    rule = b.DecisionRule(audience_weight=weight)
    result = b.decide(DUEL, b.Tally(*home), b.Tally(*away), rule, seed)
    assert {result.winner, result.loser} == {"home", "away"}
    assert result.decided_by in {"votes", "weighted", "jury", "fewer_quarantined", "draw"}
    if result.decided_by != "draw":
        swapped = b.decide(DUEL, b.Tally(*away), b.Tally(*home), rule, seed)
        assert swapped.winner != result.winner


@pytest.mark.parametrize(
    "rule",
    [
        {"audience_weight": 1.5},
        {"audience_weight": -0.1},
        {"tie_breakers": ("coin",)},
        {"tie_breakers": ("jury", "jury")},
    ],
)
def test_invalid_rules_are_rejected(rule: dict[str, object]) -> None:
    with pytest.raises(b.InvalidRule):
        b.DecisionRule(**rule)  # type: ignore[arg-type]


def test_a_bye_cannot_be_decided() -> None:
    bye = b.Match("r1m1", 1, "main", "home", None)
    with pytest.raises(b.MatchNotOpen):
        b.decide(bye, b.Tally(), b.Tally(), VOTES_ONLY, 1)
