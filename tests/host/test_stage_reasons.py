"""Every reason the engine gives for a qualification is said in German and English."""

from __future__ import annotations

import random
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

import bracket as b
from duels import stage_views
from web.i18n import translator
from web.stage_reasons import explain, qualification_reason

ENGLISH_WORDS = (" group ", "ahead of", "behind ", "votes", "equal ", "seeded", "draw", "points")


def tied_result(match: b.Match, rnd: random.Random) -> b.Result:
    """Few votes, so tables are full of ties down to the seeded draw."""
    assert match.away is not None
    home, away = rnd.randint(0, 2), rnd.randint(0, 2)
    winner, loser = (match.home, match.away) if home >= away else (match.away, match.home)
    return b.Result(winner, loser, "votes", scores=(b.Score("votes", home, away),))


def finished_stage(bracket: b.Bracket, rnd: random.Random) -> b.Bracket:
    while not b.stage_over(bracket):
        decisions = {m.id: tied_result(m, rnd) for m in b.open_matches(bracket)}
        bracket = b.advance(bracket, decisions)
    return bracket


def team_view(team_id: str) -> dict[str, Any]:
    return {"id": team_id, "name": f"Die {team_id.upper()}s"}


def entries(bracket: b.Bracket) -> list[dict[str, Any]]:
    view = stage_views.qualification(bracket, team_view)
    assert view is not None
    return [*view["qualified"], *view["eliminated"]]


def teams(count: int) -> list[b.Entrant]:
    return [b.Entrant(f"t{n}", f"c{n}", name=f"Team {n}") for n in range(count)]


@settings(max_examples=60, deadline=None)
@given(st.integers(6, 20), st.integers(2, 4), st.integers(1, 2), st.integers(0, 2), st.integers())
def test_every_group_stage_reason_is_said_in_both_languages(
    count: int, groups: int, advance: int, best_placed: int, seed: int
) -> None:
    groups = min(groups, count // 3)
    bracket = b.draw(
        teams(count),
        format="groups",
        seed=abs(seed) % 1000,
        groups=groups,
        advance=advance,
        best_placed=min(best_placed, groups - 1 if count % groups == 0 else 0),
    )
    for entry in entries(finished_stage(bracket, random.Random(seed))):
        german = explain(translator("de"), entry)
        english = explain(translator("en"), entry)
        assert german is not None and english is not None, entry["reason_code"]
        assert not any(word in german for word in ENGLISH_WORDS), german
        for team_id, name in entry["mentions"].items():
            assert name in german and name in english and team_id not in german


def test_swiss_reasons_are_said_in_both_languages() -> None:
    bracket = b.draw(teams(9), format="swiss", seed=3, swiss_rounds=3, advance=4)
    said = [
        qualification_reason(translator("de"), entry)
        for entry in entries(finished_stage(bracket, random.Random(9)))
    ]
    assert said[0].startswith("1. der Tabelle mit ")
    assert any("Reihenfolge nach" in text for text in said)


def test_an_unknown_sentence_is_shown_as_the_engine_wrote_it() -> None:
    entry = {"reason": "first by acclamation", "reason_code": "first by acclamation"}
    assert explain(translator("de"), entry) is None
    assert qualification_reason(translator("de"), entry) == "first by acclamation"
