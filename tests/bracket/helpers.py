"""Shared builders and strategies for the bracket tests."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable

from hypothesis import settings
from hypothesis import strategies as st

import bracket as b

MODEST = settings(max_examples=120, deadline=None)


def teams(count: int, companies: list[int] | None = None, trade: str = "") -> list[b.Entrant]:
    companies = companies or list(range(count))
    return [
        b.Entrant(f"t{i + 1}", f"c{companies[i]}", trade=trade, name=f"Team {i + 1}")
        for i in range(count)
    ]


@st.composite
def team_lists(draw: st.DrawFn, min_size: int, max_size: int) -> list[b.Entrant]:
    count = draw(st.integers(min_size, max_size))
    company_count = draw(st.integers(1, count))
    companies = draw(st.lists(st.integers(0, company_count - 1), min_size=count, max_size=count))
    return teams(count, companies)


seeds = st.integers(0, 2**32)


def result(match: b.Match, home_wins: bool) -> b.Result:
    assert match.away is not None
    if home_wins:
        return b.Result(match.home, match.away, "votes")
    return b.Result(match.away, match.home, "votes")


def random_decisions(bracket: b.Bracket, rnd: random.Random) -> dict[str, b.Result]:
    return {m.id: result(m, rnd.random() < 0.5) for m in b.open_matches(bracket)}


def play_to_end(
    bracket: b.Bracket,
    decide: Callable[[b.Bracket], dict[str, b.Result]],
    max_rounds: int = 200,
) -> b.Bracket:
    for _ in range(max_rounds):
        if b.is_finished(bracket):
            return bracket
        bracket = b.advance(bracket, decide(bracket))
    raise AssertionError("the bracket did not finish")


def duels(bracket: b.Bracket) -> list[b.Match]:
    return [m for m in bracket.matches if m.away is not None]


def losses(bracket: b.Bracket, *, skip_stage: str = "") -> Counter[str]:
    counted: Counter[str] = Counter()
    for match in duels(bracket):
        if match.stage != skip_stage and match.result and match.result.loser:
            counted[match.result.loser] += 1
    return counted


def assert_once_per_round(bracket: b.Bracket) -> None:
    for round_ in range(1, bracket.round + 1):
        playing = [
            team
            for match in b.matches_of_round(bracket, round_)
            for team in (match.home, match.away)
            if team is not None
        ]
        assert len(playing) == len(set(playing)), round_


def seed_of(bracket: b.Bracket, team_id: str) -> int:
    return [e.id for e in bracket.entrants].index(team_id) + 1
