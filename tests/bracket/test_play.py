"""Recording results, walkovers, overrides, challenges, advancing and undoing."""

from __future__ import annotations

import re

import pytest

import bracket as b
from bracket import errors

from .helpers import result, teams


@pytest.fixture
def four() -> b.Bracket:
    return b.draw(teams(4), seeding="manual", order=["t1", "t2", "t3", "t4"])


def test_round_one_pairs_seeds_and_the_better_seed_is_home(four: b.Bracket) -> None:
    assert [(m.id, m.home, m.away) for m in four.matches] == [
        ("r1m1", "t1", "t4"),
        ("r1m2", "t2", "t3"),
    ]


def test_a_recorded_result_closes_the_match(four: b.Bracket) -> None:
    match = b.find_match(four, "r1m1")
    after = b.record(four, "r1m1", result(match, True))
    assert b.find_match(after, "r1m1").result == b.Result("t1", "t4", "votes")
    assert [m.id for m in b.open_matches(after)] == ["r1m2"]
    with pytest.raises(b.MatchNotOpen):
        b.record(after, "r1m1", result(match, False))


def test_a_result_must_name_the_two_teams_of_the_match(four: b.Bracket) -> None:
    with pytest.raises(b.InvalidResult):
        b.record(four, "r1m1", b.Result("t1", "t2", "votes"))
    with pytest.raises(b.InvalidResult):
        b.record(four, "r1m1", b.Result("t1", None, "bye"))


def test_advancing_needs_every_match_of_the_round_decided(four: b.Bracket) -> None:
    with pytest.raises(b.RoundNotDecided) as caught:
        b.advance(four, {"r1m1": result(b.find_match(four, "r1m1"), True)})
    assert "r1m2" in str(caught.value)


def test_advancing_creates_the_next_round_from_the_winners(four: b.Bracket) -> None:
    decisions = {m.id: result(m, True) for m in four.matches}
    after = b.advance(four, decisions)
    assert after.round == 2
    (final,) = b.current_matches(after)
    assert (final.id, final.home, final.away) == ("r2m1", "t1", "t2")


def test_undo_restores_the_state_before_any_change(four: b.Bracket) -> None:
    recorded = b.record(four, "r1m1", result(b.find_match(four, "r1m1"), True))
    assert b.undo(recorded) == four
    titled = b.set_challenge(four, "r1m2", "Koch", "Pasta in 10 Minuten")
    assert b.undo(titled) == four
    with pytest.raises(b.NothingToUndo):
        b.undo(four)


def test_undo_can_step_back_through_several_rounds(four: b.Bracket) -> None:
    first = b.advance(four, {m.id: result(m, True) for m in four.matches})
    second = b.advance(first, {m.id: result(m, False) for m in b.open_matches(first)})
    assert b.undo(b.undo(second)) == four
    assert b.is_finished(second) and b.champion(second) == "t2"


def test_a_walkover_needs_a_reason_and_a_team_of_the_match(four: b.Bracket) -> None:
    after = b.walkover(four, "r1m1", "t4", "t1 had no approved video at the deadline")
    decided = b.find_match(after, "r1m1").result
    assert decided is not None
    assert (decided.winner, decided.loser, decided.decided_by) == ("t4", "t1", "walkover")
    with pytest.raises(b.ReasonRequired):
        b.walkover(four, "r1m1", "t4", "  ")
    with pytest.raises(b.InvalidResult):
        b.walkover(four, "r1m1", "t2", "withdrew")


def test_an_override_needs_a_reason_and_may_replace_a_result(four: b.Bracket) -> None:
    with pytest.raises(b.ReasonRequired):
        b.override(four, "r1m1", "t4", "")
    with pytest.raises(b.ReasonRequired):
        b.record(four, "r1m1", b.Result("t4", "t1", "override"))
    scored = b.Result("t1", "t4", "votes", scores=(b.Score("votes", 9, 8),))
    after = b.override(b.record(four, "r1m1", scored), "r1m1", "t4", "vote fraud by t1")
    decided = b.find_match(after, "r1m1").result
    assert decided == b.Result(
        "t4", "t1", "override", "vote fraud by t1", (b.Score("votes", 9, 8),)
    )


def test_an_override_only_touches_duels_of_the_current_round(four: b.Bracket) -> None:
    after = b.advance(four, {m.id: result(m, True) for m in four.matches})
    with pytest.raises(b.MatchNotOpen):
        b.override(after, "r1m1", "t4", "too late")


def test_byes_are_decided_when_created_and_cannot_be_changed() -> None:
    bracket = b.draw(teams(3), seeding="manual", order=["t1", "t2", "t3"])
    bye = b.find_match(bracket, "r1m1")
    assert bye.away is None and bye.result == b.Result("t1", None, "bye")
    assert [m.id for m in b.open_matches(bracket)] == ["r1m2"]
    with pytest.raises(b.MatchNotOpen):
        b.override(bracket, "r1m1", "t1", "no")
    with pytest.raises(b.MatchNotOpen):
        b.record(bracket, "r1m1", b.Result("t1", None, "votes"))


def test_unknown_and_not_yet_scheduled_matches_are_told_apart(four: b.Bracket) -> None:
    with pytest.raises(b.UnknownMatch):
        b.find_match(four, "r9m9")
    with pytest.raises(b.MatchNotOpen):
        b.set_challenge(four, "r2m1", "Koch", "Later")


def test_the_trade_comes_from_the_teams_unless_the_host_sets_it() -> None:
    entrants = [
        b.Entrant("a", "c1", "Koch"),
        b.Entrant("b", "c2", "Koch"),
        b.Entrant("c", "c3", "Tischler"),
        b.Entrant("d", "c4", "Elektroniker"),
    ]
    bracket = b.draw(entrants, seeding="manual", order=["a", "c", "d", "b"])
    # Seeds 1-4 (a, b: the same trade) and 2-3 (c at home, d away: the home trade).
    assert [(m.home, m.away, m.trade, m.title) for m in bracket.matches] == [
        ("a", "b", "Koch", ""),
        ("c", "d", "Tischler", ""),
    ]
    changed = b.set_challenge(bracket, "r1m1", "Mechatroniker", "Roboterarm")
    match = b.find_match(changed, "r1m1")
    assert (match.trade, match.title) == ("Mechatroniker", "Roboterarm")
    decided = b.record(changed, "r1m1", result(match, True))
    with pytest.raises(b.MatchNotOpen):
        b.set_challenge(decided, "r1m1", "Koch", "Too late")


def test_every_error_has_a_stable_snake_case_code() -> None:
    classes = [
        value
        for value in vars(errors).values()
        if isinstance(value, type) and issubclass(value, b.BracketError)
    ]
    codes = [cls.code for cls in classes]
    assert len(set(codes)) == len(codes)
    assert all(re.fullmatch(r"[a-z]+(_[a-z]+)*", code) for code in codes)
    assert all(cls.message and cls.message.endswith(".") for cls in classes)
