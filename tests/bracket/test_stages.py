"""Competitions in stages: groups then a knockout, Swiss rounds, best-of-N duels."""

from __future__ import annotations

import random
from collections import Counter
from itertools import combinations

import pytest
from hypothesis import given
from hypothesis import strategies as st

import bracket as b

from .helpers import MODEST, assert_once_per_round, seeds, teams

VOTES = st.integers(0, 50)


def votes_result(match: b.Match, rnd: random.Random) -> b.Result:
    """A result with vote scores, so tables have something to break ties with."""
    assert match.away is not None
    home, away = rnd.randint(0, 9), rnd.randint(0, 9)
    winner, loser = (match.home, match.away) if home >= away else (match.away, match.home)
    return b.Result(winner, loser, "votes", scores=(b.Score("votes", home, away),))


def play_stage(bracket: b.Bracket, rnd: random.Random) -> b.Bracket:
    """Advance until the stage being played is over (or the competition is)."""
    while not b.is_finished(bracket) and not b.stage_over(bracket):
        decisions = {m.id: votes_result(m, rnd) for m in b.open_matches(bracket)}
        bracket = b.advance(bracket, decisions)
    return bracket


def play_all(bracket: b.Bracket, rnd: random.Random) -> b.Bracket:
    bracket = play_stage(bracket, rnd)
    while b.stage_over(bracket):
        bracket = play_stage(b.finish_stage(bracket), rnd)
    assert b.is_finished(bracket)
    return bracket


@st.composite
def group_events(draw: st.DrawFn) -> tuple[b.Bracket, random.Random]:
    count = draw(st.integers(4, 26))
    groups = draw(st.integers(1, count // 2))
    smallest = count // groups
    advance = draw(st.integers(1, min(smallest, 3)))
    spare = sum(count // groups + (i < count % groups) > advance for i in range(groups))
    best_placed = draw(st.integers(0, min(spare, 2)))
    if advance * groups + best_placed < 2:
        advance = 2
    companies = draw(st.lists(st.integers(0, 5), min_size=count, max_size=count))
    bracket = b.draw(
        teams(count, companies),
        format="groups",
        seed=draw(seeds),
        groups=groups,
        advance=advance,
        best_placed=best_placed,
        third_place=draw(st.booleans()),
    )
    return bracket, random.Random(draw(seeds))


@MODEST
@given(group_events())
def test_group_stage_plays_every_pair_once_then_the_qualifiers_play_a_knockout(
    event: tuple[b.Bracket, random.Random],
) -> None:
    bracket, rnd = event
    plan = bracket.stages[0]
    group_stage = play_stage(bracket, rnd)
    assert b.stage_over(group_stage) and not b.is_finished(group_stage)
    assert b.champion(group_stage) is None
    with pytest.raises(b.StageFinished):
        b.advance(group_stage)
    assert_once_per_round(group_stage)
    for group in group_stage.groups:
        members = {team.id for team in group.entrants}
        pairs = Counter(
            frozenset((m.home, m.away))
            for m in group_stage.matches
            if m.home in members and m.away is not None
        )
        assert all(pairs[frozenset(pair)] == 1 for pair in combinations(members, 2))
        assert sum(pairs.values()) == len(members) * (len(members) - 1) // 2

    knockout = b.finish_stage(group_stage)
    qualification = b.qualification(group_stage)
    tables = dict(qualification.tables)
    for placement in qualification.qualifiers:
        assert tables[placement.group][placement.rank - 1].team_id == placement.team_id
        assert placement.rank <= plan.advance + 1 and placement.reason
    top = {row.team_id for table in tables.values() for row in table[: plan.advance]}
    assert top <= set(knockout.qualified)
    assert len(knockout.qualified) == plan.advance * plan.groups + plan.best_placed
    first = b.current_matches(knockout)
    assert {m.round for m in first} == {group_stage.round + 1}
    assert all(m.id.startswith(b.KNOCKOUT_PREFIX) for m in first)
    assert {t for m in first for t in (m.home, m.away) if t} == set(knockout.qualified)
    assert b.undo(knockout) == group_stage  # undo across the stage boundary

    final = play_all(knockout, rnd)
    champion = b.champion(final)
    assert champion in knockout.qualified
    assert_once_per_round(final)
    third = [m for m in final.matches if m.stage == "third_place"]
    if plan.groups * plan.advance + plan.best_placed >= 4 and final.stages[1].third_place:
        (match,) = third
        semis = [m for m in final.matches if m.round == match.round - 1 and m.stage == "main"]
        assert {match.home, match.away} == set(b.third_place_pairing(semis))
    else:
        assert not third
    assert b.from_dict(b.to_dict(final)) == final


def test_a_24_team_event_plays_six_groups_then_an_eight_team_knockout() -> None:
    rnd = random.Random(24)
    bracket = b.draw(
        teams(24, [i % 12 for i in range(24)]),
        format="groups",
        seed=7,
        groups=6,
        advance=1,
        best_placed=2,
        third_place=True,
    )
    assert [len(group.entrants) for group in bracket.groups] == [4] * 6
    assert len(b.current_matches(bracket)) == 12  # round 1 of every group at once
    group_stage = play_stage(bracket, rnd)
    assert group_stage.round == 3
    knockout = b.finish_stage(group_stage)
    assert len(knockout.qualified) == 8 and knockout.round == 4
    final = play_all(knockout, rnd)
    assert final.round == 6
    assert sorted(m.stage for m in b.current_matches(final)) == ["main", "third_place"]


@MODEST
@given(st.integers(3, 14), st.integers(1, 5), seeds)
def test_swiss_plays_its_rounds_with_byes_to_the_lowest_and_crowns_the_leader(
    count: int, rounds: int, seed: int
) -> None:
    rounds = min(rounds, count - 1)
    rnd = random.Random(seed)
    bracket = b.draw(teams(count), format="swiss", seed=seed, swiss_rounds=rounds)
    final = play_all(bracket, rnd)
    assert final.round == rounds
    assert_once_per_round(final)
    byes = Counter(m.home for m in final.matches if m.is_bye)
    assert sum(byes.values()) == rounds * (count % 2)
    assert max(byes.values(), default=0) <= 1  # nobody rests twice while others have not
    pairs = Counter(frozenset((m.home, m.away)) for m in final.matches if not m.is_bye)
    if rounds <= 2:
        assert max(pairs.values()) == 1
    assert b.champion(final) == b.swiss_table_of(final)[0].team_id
    assert all(m.stage == "swiss" for m in final.matches)


def test_swiss_top_teams_go_on_to_a_knockout() -> None:
    rnd = random.Random(3)
    bracket = b.draw(teams(11), format="swiss", seed=5, swiss_rounds=4, advance=4)
    swiss = play_stage(bracket, rnd)
    assert swiss.round == 4 and b.stage_over(swiss)
    table = b.swiss_table_of(swiss)
    knockout = b.finish_stage(swiss)
    assert knockout.qualified == tuple(row.team_id for row in table[:4])
    semis = b.current_matches(knockout)
    assert {(m.home, m.away) for m in semis} == {
        (table[0].team_id, table[3].team_id),
        (table[1].team_id, table[2].team_id),
    }
    assert b.champion(play_all(knockout, rnd)) in knockout.qualified


@pytest.mark.parametrize(
    ("options", "error"),
    [
        ({"format": "groups", "groups": 7}, b.InvalidGroups),  # 7 groups of 12 teams
        ({"format": "groups", "groups": 3, "advance": 5}, b.InvalidGroups),
        ({"format": "groups", "groups": 4, "advance": 3, "best_placed": 1}, b.InvalidGroups),
        ({"format": "swiss", "swiss_rounds": 12}, b.InvalidOption),
        ({"format": "swiss", "advance": 13}, b.InvalidOption),
        ({"format": "single_elimination", "best_of": 6}, b.InvalidOption),
    ],
)
def test_stage_options_that_do_not_fit_the_teams_are_refused(
    options: dict[str, object], error: type[b.BracketError]
) -> None:
    with pytest.raises(error):
        b.draw(teams(12), seed=1, **options)  # type: ignore[arg-type]


def test_finishing_a_stage_early_or_without_a_next_stage_is_refused() -> None:
    bracket = b.draw(teams(8), format="groups", seed=1, groups=2)
    with pytest.raises(b.StageNotFinished):
        b.finish_stage(bracket)
    swiss = b.draw(teams(4), format="swiss", seed=1, swiss_rounds=2)
    swiss = play_stage(swiss, random.Random(1))
    assert b.is_finished(swiss)
    with pytest.raises(b.StageNotFinished):
        b.finish_stage(swiss)


def test_stored_brackets_from_before_stages_still_load() -> None:
    bracket = b.draw(teams(4), seed=1)
    data = b.to_dict(bracket)
    for key in ("stages", "stage", "stage_round", "groups", "qualified", "best_of"):
        del data[key]
    for match in data["matches"]:
        del match["legs"]
    assert b.from_dict(data) == bracket


# Best of N ------------------------------------------------------------------------

RULE = b.DecisionRule()


def series_match(legs: int) -> b.Match:
    return b.Match("r1m1", 1, "main", "h", "a", legs=legs)


@MODEST
@given(st.lists(st.tuples(VOTES, VOTES), min_size=1, max_size=5), seeds)
def test_a_series_is_won_by_challenges_then_by_summed_votes(
    votes: list[tuple[int, int]], seed: int
) -> None:
    legs = [(b.Tally(home), b.Tally(away)) for home, away in votes]
    match = series_match(len(legs))
    decided = b.decide_series(match, legs, RULE, seed)
    if len(legs) == 1:
        assert decided == b.decide(match, *legs[0], RULE, seed)
        return
    won = [
        b.decide(b.Match(f"r1m1/{n}", 1, "main", "h", "a"), h, a, RULE, seed).winner
        for n, (h, a) in enumerate(legs, start=1)
    ]
    home_legs, away_legs = won.count("h"), won.count("a")
    assert decided.scores[0] == b.Score("challenges", home_legs, away_legs)
    if home_legs != away_legs:
        assert decided.decided_by == "challenges"
        assert decided.winner == ("h" if home_legs > away_legs else "a")
    else:
        home_votes, away_votes = sum(v[0] for v in votes), sum(v[1] for v in votes)
        if home_votes != away_votes:
            assert decided.decided_by == "votes"
            assert decided.winner == ("h" if home_votes > away_votes else "a")
        else:
            assert decided.decided_by == "draw"
    assert {decided.winner, decided.loser} == {"h", "a"}
    assert b.decide_series(match, legs, RULE, seed) == decided


def test_a_series_needs_one_tally_per_challenge() -> None:
    with pytest.raises(b.InvalidResult):
        b.decide_series(series_match(2), [(b.Tally(1), b.Tally(2))], RULE, 0)


def test_best_of_sets_the_challenges_of_every_duel_but_byes() -> None:
    bracket = b.draw(teams(5), format="swiss", seed=2, swiss_rounds=2, best_of=2)
    legs = {(m.is_bye, m.legs) for m in bracket.matches}
    assert legs == {(False, 2), (True, 1)}
    knockout = b.draw(teams(6), seed=2, best_of=3)
    assert {m.legs for m in knockout.matches if not m.is_bye} == {3}
    assert b.from_dict(b.to_dict(knockout)) == knockout


def test_the_text_rendering_tells_swiss_rounds_then_the_named_knockout_rounds() -> None:
    from bracket.text import render

    bracket = b.draw(teams(7), format="swiss", seed=7, swiss_rounds=3, advance=4)
    running = render(bracket)
    assert "Swiss standings" in running and "Swiss round 1" in running
    assert not any(line.startswith("Champion") for line in running)
    final = play_all(bracket, random.Random(2))
    lines = render(final)
    headings = [line for line in lines if line and not line.startswith(" ")]
    assert headings[-5:] == ["Swiss round 2", "Swiss round 3", "Semi-finals", "Final", lines[-1]]
    names = {team.id: team.name for team in final.entrants}
    champion = b.champion(final)
    assert champion is not None and lines[-1] == f"Champion: {names[champion]}"
    qualified = next(line for line in lines if line.startswith("Qualified: "))
    assert qualified == "Qualified: " + ", ".join(names[team] for team in final.qualified)
