"""Seeding: positions, the draw, and keeping companies apart in round 1."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import bracket as b
from bracket.seeding import separate_companies

from .helpers import MODEST, seeds, team_lists, teams

ROOT = Path(__file__).resolve().parents[2]


def pairs(size: int) -> list[tuple[int, int]]:
    positions = b.seeding_positions(size)
    return [tuple(sorted(positions[i : i + 2])) for i in range(0, size, 2)]  # type: ignore[misc]


def test_sixteen_seeds_pair_up_in_the_classic_order() -> None:
    assert pairs(16) == [
        (1, 16),
        (8, 9),
        (5, 12),
        (4, 13),
        (3, 14),
        (6, 11),
        (7, 10),
        (2, 15),
    ]


def test_eight_seeds_pair_up_in_the_classic_order() -> None:
    assert pairs(8) == [(1, 8), (4, 5), (3, 6), (2, 7)]


def test_two_seeds_meet_directly() -> None:
    assert b.seeding_positions(2) == (1, 2)


@pytest.mark.parametrize("size", [0, 1, 3, 6, 12])
def test_bracket_size_must_be_a_power_of_two(size: int) -> None:
    with pytest.raises(b.InvalidOption):
        b.seeding_positions(size)


@given(st.integers(1, 7))
def test_top_seeds_are_spread_so_the_best_meet_as_late_as_possible(power: int) -> None:
    size = 2**power
    positions = b.seeding_positions(size)
    assert sorted(positions) == list(range(1, size + 1))
    for level in range(power + 1):
        block = size >> level  # the part of the bracket one team wins by round power-level
        blocks = [positions.index(seed) // block for seed in range(1, 2**level + 1)]
        assert len(set(blocks)) == len(blocks)


def test_bracket_size_is_the_next_power_of_two() -> None:
    assert [b.bracket_size(n) for n in (2, 3, 4, 5, 8, 9, 40)] == [2, 4, 4, 8, 8, 16, 64]


def test_seeding_table_lists_round_one_duels_by_seed() -> None:
    assert b.seeding_table(16).splitlines() == [
        "1 – 16",
        "8 – 9",
        "5 – 12",
        "4 – 13",
        "3 – 14",
        "6 – 11",
        "7 – 10",
        "2 – 15",
    ]


def test_seeding_table_shows_byes_for_missing_seeds() -> None:
    assert b.seeding_table(5).splitlines() == ["1 – bye", "4 – 5", "3 – bye", "2 – bye"]


def test_seeding_module_prints_the_table() -> None:
    output = subprocess.run(
        [sys.executable, "-W", "error", "-m", "bracket.seeding", "16"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert output.stdout == b.seeding_table(16) + "\n"
    assert output.stderr == ""


@MODEST
@given(team_lists(2, 40), seeds)
def test_the_same_seed_gives_the_same_draw_whatever_the_input_order(
    entrants: list[b.Entrant], seed: int
) -> None:
    first = b.draw(entrants, seed=seed)
    again = b.draw(list(reversed(entrants)), seed=seed)
    assert first == again


def test_different_seeds_usually_give_different_draws() -> None:
    entrants = teams(16)
    draws = {b.draw(entrants, seed=seed).entrants for seed in range(20)}
    assert len(draws) > 1


def test_a_random_draw_needs_a_seed_from_the_caller() -> None:
    with pytest.raises(b.SeedRequired):
        b.draw(teams(4))


def test_a_bracket_needs_two_teams() -> None:
    with pytest.raises(b.TooFewTeams):
        b.draw(teams(1), seed=1)


def test_a_team_may_enter_only_once() -> None:
    with pytest.raises(b.DuplicateTeam):
        b.draw([*teams(3), teams(1)[0]], seed=1)


def test_manual_seeding_keeps_the_given_order() -> None:
    order = ["t3", "t1", "t4", "t2"]
    bracket = b.draw(teams(4), seeding="manual", order=order)
    assert [e.id for e in bracket.entrants] == order


@pytest.mark.parametrize(
    "order", [["t1", "t2", "t3"], ["t1", "t2", "t3", "t3"], ["t1", "t2", "t3", "x"], None]
)
def test_manual_order_must_be_a_permutation(order: list[str] | None) -> None:
    with pytest.raises(b.InvalidOrder):
        b.draw(teams(4), seeding="manual", order=order)


def test_ranking_seeding_skips_unknown_teams_and_appends_unranked_ones() -> None:
    bracket = b.draw(teams(4), seeding="ranking", order=["t4", "gone", "t2"])
    assert [e.id for e in bracket.entrants] == ["t4", "t2", "t1", "t3"]


def test_unknown_format_or_seeding_is_rejected() -> None:
    with pytest.raises(b.InvalidOption):
        b.draw(teams(4), seed=1, format="ladder")  # type: ignore[arg-type]
    with pytest.raises(b.InvalidOption):
        b.draw(teams(4), seed=1, seeding="vibes")  # type: ignore[arg-type]


def round_one_same_company(bracket: b.Bracket) -> list[str]:
    company = {e.id: e.company_id for e in bracket.entrants}
    return [
        m.id
        for m in b.matches_of_round(bracket, 1)
        if m.away is not None and company[m.home] == company[m.away]
    ]


@MODEST
@given(team_lists(2, 40), seeds, st.sampled_from(["single_elimination", "double_elimination"]))
def test_same_company_teams_avoid_each_other_in_round_one_whenever_possible(
    entrants: list[b.Entrant], seed: int, format: b.Format
) -> None:
    bracket = b.draw(entrants, format=format, seed=seed)
    size, count = b.bracket_size(len(entrants)), len(entrants)
    duel_count, byes = count - size // 2, size - count
    biggest = max(Counter(e.company_id for e in entrants).values())
    # Possible exactly when the biggest company fits into the byes plus one side of
    # every duel.
    if biggest <= duel_count + byes:
        assert round_one_same_company(bracket) == []


def test_separating_companies_is_deterministic_and_keeps_every_team() -> None:
    entrants = teams(8, [0, 0, 0, 0, 1, 1, 2, 3])
    once = separate_companies(entrants, 8)
    assert once == separate_companies(entrants, 8)
    assert sorted(e.id for e in once) == sorted(e.id for e in entrants)


def test_manual_order_is_kept_even_if_companies_meet() -> None:
    entrants = teams(2, [0, 0])
    bracket = b.draw(entrants, seeding="manual", order=["t1", "t2"])
    assert round_one_same_company(bracket) == ["r1m1"]
