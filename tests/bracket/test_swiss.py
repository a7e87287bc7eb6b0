"""Swiss rounds: pairing by points without rematches, byes to the lowest-ranked."""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

import bracket as b

from .helpers import MODEST, seeds


@dataclass(frozen=True)
class Round:
    table: tuple[b.SwissStanding, ...]  # the standings the round was paired from
    matches: tuple[b.Match, ...]
    met: frozenset[frozenset[str]]  # pairs that had met before the round


def names(count: int) -> list[str]:
    return [f"t{i}" for i in range(1, count + 1)]


def play(
    teams: Sequence[str], rounds: int, rnd: random.Random, seed: int | None = None
) -> tuple[list[Round], list[b.Match]]:
    games: list[b.Match] = []
    played: list[Round] = []
    for _ in range(rounds):
        matches = b.pair_swiss_round(teams, games, rounds=rounds, seed=seed)
        met = frozenset(frozenset((g.home, g.away)) for g in games if g.away is not None)
        played.append(Round(b.swiss_standings(teams, games), matches, met))
        for match in matches:
            if match.away is not None:
                home_wins = rnd.random() < 0.5
                winner, loser = (match.home, match.away) if home_wins else (match.away, match.home)
                match = replace(match, result=b.Result(winner, loser, "votes"))
            games.append(match)
    return played, games


def duels(matches: Sequence[b.Match]) -> list[tuple[str, str]]:
    return [(m.home, m.away) for m in matches if m.away is not None]


def bye_of(matches: Sequence[b.Match]) -> str | None:
    return next((m.home for m in matches if m.away is None), None)


def perfect_pairings(teams: Sequence[str]) -> Iterator[list[tuple[str, str]]]:
    if not teams:
        yield []
        return
    first, rest = teams[0], teams[1:]
    for index, other in enumerate(rest):
        for tail in perfect_pairings(rest[:index] + rest[index + 1 :]):
            yield [(first, other), *tail]


def cost(pairs: Sequence[tuple[str, str]], points: dict[str, int], met: frozenset) -> tuple:
    rematches = sum(frozenset(pair) in met for pair in pairs)
    return rematches, sum(abs(points[a] - points[c]) for a, c in pairs)


def rematch_free_exists(teams: Sequence[str], met: frozenset) -> bool:
    return any(cost(p, dict.fromkeys(teams, 0), met)[0] == 0 for p in perfect_pairings(teams))


stages = st.builds(
    lambda count, extra, rnd: (names(count), *play(names(count), extra, rnd)),
    st.integers(2, 16),
    st.integers(1, 6),
    st.randoms(use_true_random=False),
)
small_stages = st.integers(2, 9).flatmap(
    lambda count: st.builds(
        lambda rounds, rnd: (names(count), *play(names(count), rounds, rnd)),
        st.integers(1, count + 1),
        st.randoms(use_true_random=False),
    )
)


@MODEST
@given(stages)
def test_every_team_plays_once_per_round_and_odd_fields_have_one_bye(stage: tuple) -> None:
    teams, rounds, _ = stage
    for number, round_ in enumerate(rounds, start=1):
        playing = [t for m in round_.matches for t in (m.home, m.away) if t is not None]
        assert sorted(playing) == sorted(teams)
        assert [m.id for m in round_.matches] == [
            f"r{number}m{n}" for n in range(1, len(round_.matches) + 1)
        ]
        assert all(m.round == number and m.stage == "group" for m in round_.matches)
        byes = [m for m in round_.matches if m.away is None]
        assert len(byes) == len(teams) % 2
        assert all(m.result == b.Result(m.home, None, "bye") for m in byes)
        assert all(m.result is None for m in round_.matches if m.away is not None)


@MODEST
@given(small_stages)
def test_the_bye_goes_to_the_lowest_ranked_team_with_the_fewest_byes(stage: tuple) -> None:
    teams, rounds, _ = stage
    for round_ in rounds:
        bye = bye_of(round_.matches)
        if bye is None:
            continue
        byes = {row.team_id: row.byes for row in round_.table}
        assert byes[bye] == min(byes.values())  # no second bye while others have none
        ranked = [row.team_id for row in round_.table]
        # Lower-ranked teams that could rest would all force a rematch the bye avoids.
        below = [t for t in ranked[ranked.index(bye) + 1 :] if byes[t] == byes[bye]]
        for team in below:
            rest = [t for t in teams if t != team]
            assert not rematch_free_exists(rest, round_.met)
            assert rematch_free_exists([t for t in teams if t != bye], round_.met)
        # A rematch only if no team that may rest would leave a rematch-free field.
        if any(frozenset(pair) in round_.met for pair in duels(round_.matches)):
            for team in ranked:
                if byes[team] == byes[bye]:
                    rest = [t for t in teams if t != team]
                    assert not rematch_free_exists(rest, round_.met)


@MODEST
@given(small_stages)
def test_a_rematch_only_when_unavoidable_and_then_the_smallest_point_gap(stage: tuple) -> None:
    _, rounds, _ = stage
    for round_ in rounds:
        points = {row.team_id: row.points for row in round_.table}
        bye = bye_of(round_.matches)
        paired = [row.team_id for row in round_.table if row.team_id != bye]
        mine = cost(duels(round_.matches), points, round_.met)
        best = min(cost(p, points, round_.met) for p in perfect_pairings(paired))
        assert mine == best


@MODEST
@given(stages)
def test_round_two_pairs_winners_with_winners_when_the_count_allows(stage: tuple) -> None:
    teams, rounds, _ = stage
    if len(rounds) < 2:
        return
    points = {row.team_id: row.points for row in rounds[1].table}
    pairs = duels(rounds[1].matches)
    winners = sum(1 for pair in pairs for team in pair if points[team] > 0)
    mixed = [pair for pair in pairs if points[pair[0]] != points[pair[1]]]
    assert len(mixed) == winners % 2
    if len(teams) > 2:
        assert not any(frozenset(pair) in rounds[1].met for pair in pairs)


@MODEST
@given(stages)
def test_points_count_wins_and_byes_and_the_table_is_sorted(stage: tuple) -> None:
    teams, rounds, games = stage
    table = b.swiss_standings(teams, games)
    points = {row.team_id: row.points for row in table}
    assert sorted(row.team_id for row in table) == sorted(teams)
    for row in table:
        assert row.points == row.wins * b.POINTS_PER_WIN
        assert row.wins + row.losses == row.played + row.byes == len(rounds)
        opponents = [
            g.away if g.home == row.team_id else g.home
            for g in games
            if g.away is not None and row.team_id in (g.home, g.away)
        ]
        assert row.buchholz == sum(points[t] for t in opponents if t is not None)
    keys = [(-row.points, -row.buchholz) for row in table]
    assert keys == sorted(keys)
    assert sum(row.byes for row in table) == len(rounds) * (len(teams) % 2)
    assert table[0].ranked_by == ""
    for above, row in pairwise(table):
        if row.points != above.points:
            assert row.ranked_by == "points"
        elif row.buchholz != above.buchholz:
            assert row.ranked_by == "buchholz"
        else:
            assert row.ranked_by in ("head_to_head", "seed")
        if row.ranked_by == "seed":
            assert teams.index(above.team_id) < teams.index(row.team_id)


@MODEST
@given(st.integers(2, 16), st.integers(1, 5), st.integers(0, 2**16), seeds)
def test_the_same_input_gives_the_same_round(count: int, rounds: int, rng: int, seed: int) -> None:
    teams = names(count)
    first, games = play(teams, rounds, random.Random(rng), seed)
    again, same_games = play(teams, rounds, random.Random(rng), seed)
    assert first == again and games == same_games
    drawn = sorted(t for m in first[0].matches for t in (m.home, m.away) if t is not None)
    assert drawn == sorted(teams)


def test_round_one_pairs_the_top_half_with_the_bottom_half() -> None:
    assert duels(b.pair_swiss_round(names(8), [], rounds=3)) == [
        ("t1", "t5"),
        ("t2", "t6"),
        ("t3", "t7"),
        ("t4", "t8"),
    ]
    seven = b.pair_swiss_round(names(7), [], rounds=3)
    assert bye_of(seven) == "t7"
    assert duels(seven) == [("t1", "t4"), ("t2", "t5"), ("t3", "t6")]


def test_a_seeded_draw_changes_round_one_only_through_the_seed() -> None:
    teams = names(10)
    drawn = {tuple(duels(b.pair_swiss_round(teams, [], rounds=4, seed=s))) for s in range(5)}
    assert len(drawn) > 1
    assert b.pair_swiss_round(teams, [], rounds=4, seed=3) == b.pair_swiss_round(
        list(reversed(teams)), [], rounds=4, seed=3
    )


def test_eleven_teams_over_four_rounds() -> None:
    teams = names(11)
    games: list[b.Match] = []
    for _ in range(4):
        for match in b.pair_swiss_round(teams, games, rounds=4):
            if match.away is not None:
                # The better-ranked home team wins, except on every third board.
                home_wins = int(match.id.rsplit("m", 1)[1]) % 3 != 0
                winner, loser = (match.home, match.away) if home_wins else (match.away, match.home)
                match = replace(match, result=b.Result(winner, loser, "votes"))
            games.append(match)
    with pytest.raises(b.BracketFinished):
        b.pair_swiss_round(teams, games, rounds=4)
    for round_ in range(1, 5):
        matches = [g for g in games if g.round == round_]
        assert len(duels(matches)) == 5 and bye_of(matches) is not None
    pairs = [frozenset(pair) for pair in duels(games)]
    assert len(pairs) == len(set(pairs)) == 20
    assert len({bye_of([g]) for g in games if g.away is None}) == 4

    table = b.swiss_standings(teams, games)
    lines = b.swiss_table(table, {t: f"Team {t[1:]}" for t in teams})
    assert lines[0].split() == ["#", "Team", "P", "W", "L", "Bye", "Pts", "BH"]
    assert len(lines) == 12
    assert lines[1].split()[:3] == ["1", "Team", table[0].team_id[1:]]
    assert all(str(row.points) in line for row, line in zip(table, lines[1:], strict=True))
    assert sum(row.points for row in table) == 4 * 6 * b.POINTS_PER_WIN


def test_a_higher_ranked_team_rests_when_the_lowest_would_force_a_rematch() -> None:
    def game(round_: int, number: int, winner: str, loser: str | None) -> b.Match:
        decided_by = "votes" if loser else "bye"
        result = b.Result(winner, loser, decided_by)  # type: ignore[arg-type]
        return b.Match(f"r{round_}m{number}", round_, "group", winner, loser, result=result)

    games = [
        *(game(1, 1, "a", "b"), game(1, 2, "c", "d"), game(1, 3, "e", None)),
        *(game(2, 1, "a", "c"), game(2, 2, "e", "b"), game(2, 3, "d", None)),
        *(game(3, 1, "a", "d"), game(3, 2, "e", "b"), game(3, 3, "c", None)),
    ]
    teams = ["a", "b", "c", "d", "e"]
    assert [row.team_id for row in b.swiss_standings(teams, games)][-1] == "b"
    # Only a and b have not rested; with b resting, a could only meet e and c-d is a rematch.
    fourth = b.pair_swiss_round(teams, games, rounds=4)
    assert bye_of(fourth) == "a"
    # Rematch-free: b-c with d-e (point gap 4) or b-d with c-e (gap 2).
    assert sorted(map(sorted, duels(fourth))) == [["b", "d"], ["c", "e"]]


def test_four_teams_rematch_only_once_everyone_has_met() -> None:
    teams = names(4)
    rounds, _ = play(teams, 5, random.Random(7))
    for round_ in rounds[:3]:
        assert not any(frozenset(pair) in round_.met for pair in duels(round_.matches))
    assert all(frozenset(pair) in rounds[3].met for pair in duels(rounds[3].matches))


def test_recommended_rounds_is_the_rounds_a_knockout_would_need() -> None:
    assert [b.recommended_swiss_rounds(n) for n in (2, 3, 4, 5, 8, 9, 11, 16, 17)] == [
        1,
        2,
        2,
        3,
        3,
        4,
        4,
        4,
        5,
    ]
    with pytest.raises(b.TooFewTeams):
        b.recommended_swiss_rounds(1)


def test_bad_input_is_refused() -> None:
    teams = names(4)
    first = b.pair_swiss_round(teams, [], rounds=2)
    with pytest.raises(b.RoundNotDecided):
        b.pair_swiss_round(teams, first, rounds=2)
    with pytest.raises(b.DuplicateTeam):
        b.swiss_standings(["t1", "t1"], [])
    with pytest.raises(b.TooFewTeams):
        b.swiss_standings(["t1"], [])
    with pytest.raises(b.InvalidOption):
        b.pair_swiss_round(teams, [], rounds=0)
    twice = b.Match("x", 1, "group", "t1", "t3", result=b.Result("t1", "t3", "votes"))
    decided = [replace(m, result=b.Result(m.home, m.away, "votes")) for m in first]
    with pytest.raises(b.InvalidResult):
        b.pair_swiss_round(teams, [*decided, twice], rounds=2)
    stranger = b.Match("y", 1, "group", "t1", "t9", result=b.Result("t1", "t9", "votes"))
    with pytest.raises(b.InvalidResult):
        b.swiss_standings(teams, [stranger])
    wrong = replace(first[0], result=b.Result("t1", "t2", "votes"))
    with pytest.raises(b.InvalidResult):
        b.swiss_standings(teams, [wrong])
