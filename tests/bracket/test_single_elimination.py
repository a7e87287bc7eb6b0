"""Single elimination: lose once and you are out."""

from __future__ import annotations

import random
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
    seed_of,
    seeds,
    team_lists,
    teams,
)

finished_brackets = st.builds(
    lambda entrants, seed, third_place, rnd: play_to_end(
        b.draw(entrants, seed=seed, third_place=third_place),
        partial(random_decisions, rnd=rnd),
    ),
    team_lists(2, 40),
    seeds,
    st.booleans(),
    st.randoms(use_true_random=False),
)


@MODEST
@given(finished_brackets)
def test_every_team_plays_at_most_once_per_round(bracket: b.Bracket) -> None:
    assert_once_per_round(bracket)


@MODEST
@given(finished_brackets)
def test_byes_go_to_the_top_seeds_and_only_in_round_one(bracket: b.Bracket) -> None:
    byes = [m for m in bracket.matches if m.away is None]
    count = len(bracket.entrants)
    assert all(m.round == 1 and m.result and m.result.decided_by == "bye" for m in byes)
    assert sorted(seed_of(bracket, m.home) for m in byes) == list(
        range(1, b.bracket_size(count) - count + 1)
    )


@MODEST
@given(finished_brackets)
def test_exactly_one_champion_who_never_lost_and_everyone_else_lost_once(
    bracket: b.Bracket,
) -> None:
    champion = b.champion(bracket)
    lost = losses(bracket, skip_stage="third_place")
    assert champion is not None
    assert champion not in lost
    assert set(lost) == {e.id for e in bracket.entrants} - {champion}
    assert set(lost.values()) == {1}


@MODEST
@given(finished_brackets)
def test_n_teams_play_n_minus_one_duels_plus_the_third_place_match(bracket: b.Bracket) -> None:
    count = len(bracket.entrants)
    third = bracket.third_place and count >= 4
    assert len(duels(bracket)) == count - 1 + third
    assert len({m.id for m in bracket.matches}) == len(bracket.matches)


@MODEST
@given(team_lists(2, 40), seeds, st.randoms(use_true_random=False))
def test_undo_restores_the_exact_previous_state(
    entrants: list[b.Entrant], seed: int, rnd: random.Random
) -> None:
    bracket = b.draw(entrants, seed=seed, third_place=True)
    while not b.is_finished(bracket):
        advanced = b.advance(bracket, random_decisions(bracket, rnd))
        assert b.undo(advanced) == bracket
        bracket = advanced


@MODEST
@given(st.integers(2, 40))
def test_when_the_better_seed_always_wins_seeds_one_and_two_meet_in_the_final(
    count: int,
) -> None:
    entrants = teams(count)
    bracket = b.draw(entrants, seeding="manual", order=[e.id for e in entrants])

    def better_seed_wins(state: b.Bracket) -> dict[str, b.Result]:
        return {
            m.id: result(m, seed_of(state, m.home) < seed_of(state, m.away or ""))
            for m in b.open_matches(state)
        }

    bracket = play_to_end(bracket, better_seed_wins)
    (final,) = b.current_matches(bracket)
    assert {final.home, final.away} == {"t1", "t2"}
    assert b.champion(bracket) == "t1"


def test_third_place_match_is_between_the_semi_final_losers() -> None:
    entrants = teams(8)
    bracket = b.draw(entrants, seed=3, third_place=True)
    bracket = b.advance(bracket, random_decisions(bracket, random.Random(1)))
    semis = b.advance(bracket, random_decisions(bracket, random.Random(2)))
    last = b.advance(semis, random_decisions(semis, random.Random(3)))
    semi_losers = {m.result.loser for m in b.matches_of_round(last, 2) if m.result}
    third = b.find_match(last, "third-place")
    assert third.stage == "third_place"
    assert {third.home, third.away} == semi_losers
    assert [m.id for m in b.current_matches(last)] == ["third-place", "r3m1"]


def test_match_ids_are_stable_and_readable() -> None:
    bracket = b.draw(teams(5), seed=1)
    assert [m.id for m in bracket.matches] == ["r1m1", "r1m2", "r1m3", "r1m4"]
    assert b.draw(teams(5), seed=1) == bracket


def test_a_finished_bracket_cannot_advance() -> None:
    bracket = b.draw(teams(2), seed=1)
    bracket = b.advance(bracket, random_decisions(bracket, random.Random(0)))
    assert b.is_finished(bracket)
    try:
        b.advance(bracket)
    except b.BracketFinished as error:
        assert error.code == "bracket_finished"
    else:
        raise AssertionError("expected BracketFinished")
