"""Double elimination: a team is out after its second loss."""

from __future__ import annotations

import random
from collections import Counter
from functools import partial

from hypothesis import given
from hypothesis import strategies as st

import bracket as b

from .helpers import (
    MODEST,
    assert_once_per_round,
    duels,
    losses,
    play_to_end,
    random_decisions,
    result,
    seeds,
    team_lists,
    teams,
)


def finished(reset: bool) -> st.SearchStrategy[b.Bracket]:
    return st.builds(
        lambda entrants, seed, rnd: play_to_end(
            b.draw(entrants, format="double_elimination", seed=seed, grand_final_reset=reset),
            partial(random_decisions, rnd=rnd),
        ),
        team_lists(2, 16),
        seeds,
        st.randoms(use_true_random=False),
    )


@MODEST
@given(finished(reset=True))
def test_every_team_plays_at_most_once_per_round_and_byes_are_only_in_round_one(
    bracket: b.Bracket,
) -> None:
    assert_once_per_round(bracket)
    assert all(m.round == 1 for m in bracket.matches if m.away is None)
    assert len({m.id for m in bracket.matches}) == len(bracket.matches)


@MODEST
@given(finished(reset=True))
def test_with_reset_everyone_but_the_champion_loses_exactly_twice(bracket: b.Bracket) -> None:
    champion = b.champion(bracket)
    lost = losses(bracket)
    assert champion is not None
    assert lost[champion] <= 1
    assert all(lost[e.id] == 2 for e in bracket.entrants if e.id != champion)
    count = len(bracket.entrants)
    assert len(duels(bracket)) in (2 * count - 2, 2 * count - 1)


@MODEST
@given(finished(reset=False))
def test_without_reset_nobody_loses_more_than_twice_and_the_champion_at_most_once(
    bracket: b.Bracket,
) -> None:
    champion = b.champion(bracket)
    lost = losses(bracket)
    assert champion is not None
    assert lost[champion] <= 1
    assert all(1 <= lost[e.id] <= 2 for e in bracket.entrants if e.id != champion)
    assert "gf2" not in {m.id for m in bracket.matches}


@MODEST
@given(finished(reset=True))
def test_reset_is_played_only_when_the_losers_bracket_finalist_wins_the_grand_final(
    bracket: b.Bracket,
) -> None:
    grand_final = b.find_match(bracket, "gf1")
    assert grand_final.result is not None
    played = "gf2" in {m.id for m in bracket.matches}
    assert played == (grand_final.result.winner == grand_final.away)
    if played:
        reset = b.find_match(bracket, "gf2")
        assert (reset.home, reset.away) == (grand_final.home, grand_final.away)
        assert reset.stage == "reset"


@MODEST
@given(finished(reset=True))
def test_the_grand_final_is_between_the_unbeaten_team_and_the_losers_bracket_winner(
    bracket: b.Bracket,
) -> None:
    grand_final = b.find_match(bracket, "gf1")
    before = Counter(
        m.result.loser
        for m in duels(bracket)
        if m.round < grand_final.round and m.result and m.result.loser
    )
    assert before[grand_final.home] == 0
    assert grand_final.away is not None
    assert before[grand_final.away] == 1


@MODEST
@given(team_lists(2, 16), seeds, st.randoms(use_true_random=False))
def test_undo_restores_the_exact_previous_state(
    entrants: list[b.Entrant], seed: int, rnd: random.Random
) -> None:
    bracket = b.draw(entrants, format="double_elimination", seed=seed)
    while not b.is_finished(bracket):
        advanced = b.advance(bracket, random_decisions(bracket, rnd))
        assert b.undo(advanced) == bracket
        bracket = advanced


def test_two_teams_meet_in_the_winners_final_and_again_in_the_grand_final() -> None:
    bracket = b.draw(teams(2), format="double_elimination", seed=1)
    (first,) = b.open_matches(bracket)
    bracket = b.advance(bracket, {first.id: result(first, True)})
    (grand_final,) = b.open_matches(bracket)
    assert grand_final.id == "gf1"
    assert (grand_final.home, grand_final.away) == (first.home, first.away)
    bracket = b.advance(bracket, {"gf1": result(grand_final, False)})
    (reset,) = b.open_matches(bracket)
    assert reset.id == "gf2"
    bracket = b.advance(bracket, {"gf2": result(reset, False)})
    assert b.champion(bracket) == first.away


def test_match_ids_name_their_bracket() -> None:
    bracket = play_to_end(
        b.draw(teams(8), format="double_elimination", seed=5),
        partial(random_decisions, rnd=random.Random(0)),
    )
    prefixes = {m.id.split("-")[0] for m in bracket.matches if m.id[:2] != "gf"}
    assert prefixes == {"wb", "lb"}
    assert {"wb-r1m1", "lb-r1m1", "lb-r4m1", "wb-r3m1", "gf1"} <= {m.id for m in bracket.matches}
