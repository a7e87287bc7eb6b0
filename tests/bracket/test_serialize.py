"""Brackets as plain JSON data, e.g. for Redis."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import bracket as b

from .helpers import MODEST, random_decisions, seeds, team_lists, teams


def only_json_types(value: Any) -> bool:
    if isinstance(value, dict):
        return all(isinstance(k, str) and only_json_types(v) for k, v in value.items())
    if isinstance(value, list):
        return all(only_json_types(item) for item in value)
    return value is None or isinstance(value, str | int | float | bool)


@MODEST
@given(
    team_lists(2, 16),
    seeds,
    st.sampled_from(["single_elimination", "double_elimination", "round_robin"]),
    st.randoms(use_true_random=False),
    st.integers(0, 40),
)
def test_a_bracket_round_trips_exactly_through_json(
    entrants: list[b.Entrant], seed: int, format: b.Format, rnd: random.Random, steps: int
) -> None:
    bracket = b.draw(entrants, format=format, seed=seed, third_place=True)
    for _ in range(steps):
        if b.is_finished(bracket):
            break
        match = rnd.choice(b.open_matches(bracket) or (None,))
        if match is None:
            bracket = b.advance(bracket)
        elif rnd.random() < 0.2:
            bracket = b.override(bracket, match.id, match.home, "host decision")
        else:
            home, away = b.Tally(rnd.randint(0, 9), rnd.random()), b.Tally(rnd.randint(0, 9))
            decided = b.decide(match, home, away, b.DecisionRule(audience_weight=0.5), seed)
            bracket = b.record(bracket, match.id, decided)
    data = b.to_dict(bracket)
    assert only_json_types(data)
    assert b.from_dict(data) == bracket
    assert b.from_dict(json.loads(json.dumps(data))) == bracket


def test_a_finished_bracket_with_history_round_trips() -> None:
    bracket = b.draw(teams(5), format="double_elimination", seed=4)
    rnd = random.Random(4)
    while not b.is_finished(bracket):
        bracket = b.advance(bracket, random_decisions(bracket, rnd))
    restored = b.from_dict(json.loads(json.dumps(b.to_dict(bracket))))
    assert restored == bracket
    assert b.undo(restored) == b.undo(bracket)


@pytest.mark.parametrize(
    "corrupt",
    [
        lambda d: d.pop("matches"),
        lambda d: d.update(version=99),
        lambda d: d.update(format="ladder"),
        lambda d: d.update(round="1"),
        lambda d: d["matches"][0].update(stage="final-ish"),
    ],
)
def test_malformed_data_raises_invalid_data(corrupt: Any) -> None:
    data = b.to_dict(b.draw(teams(4), seed=1))
    corrupt(data)
    with pytest.raises(b.InvalidData):
        b.from_dict(data)
