"""Group stage: pots and the draw, group round robins, qualification, crossover, third place."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Sequence
from itertools import combinations, pairwise, permutations, product

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import bracket as b
from bracket.crossover import ordinal

from .helpers import MODEST, play_to_end, random_decisions, seeds, teams

SMALL = settings(max_examples=60, deadline=None)
TRADES = ["", "wood", "metal", "food"]


@st.composite
def entrant_lists(draw: st.DrawFn, min_size: int, max_size: int) -> list[b.Entrant]:
    count = draw(st.integers(min_size, max_size))
    company_count = draw(st.integers(1, count))
    kinds = st.tuples(st.integers(0, company_count - 1), st.sampled_from(TRADES))
    picked = draw(st.lists(kinds, min_size=count, max_size=count))
    return [
        b.Entrant(f"t{i + 1}", f"c{company}", trade=trade, name=f"Team {i + 1}")
        for i, (company, trade) in enumerate(picked)
    ]


@st.composite
def draws(draw: st.DrawFn, max_size: int = 30) -> tuple[list[b.Entrant], int, b.GroupDraw]:
    entrants = draw(entrant_lists(2, max_size))
    group_count = draw(st.integers(1, len(entrants) // 2))
    seed = draw(st.none() | seeds)
    return entrants, group_count, b.draw_groups(entrants, group_count, seed=seed)


def same_pairs(groups: Sequence[Sequence[b.Entrant]], kind: str) -> int:
    total = 0
    for members in groups:
        counts = Counter(getattr(team, kind) for team in members if getattr(team, kind))
        total += sum(count * (count - 1) // 2 for count in counts.values())
    return total


def cost(groups: Sequence[Sequence[b.Entrant]]) -> tuple[int, int]:
    return same_pairs(groups, "company_id"), same_pairs(groups, "trade")


def best_possible(entrants: list[b.Entrant], group_count: int) -> tuple[int, int]:
    pots = b.pots(entrants, group_count)
    choices = [permutations(range(group_count), len(pot)) for pot in pots]
    best = (len(entrants) ** 2, 0)
    for choice in product(*choices):
        groups: list[list[b.Entrant]] = [[] for _ in range(group_count)]
        for pot, targets in zip(pots, choice, strict=True):
            for team, target in zip(pot, targets, strict=True):
                groups[target].append(team)
        best = min(best, cost(groups))
    return best


def play(groups: Sequence[b.Group], rnd: random.Random) -> dict[str, b.Result]:
    results = {}
    for group in groups:
        for match in b.group_schedule(group):
            assert match.away is not None
            home, away = rnd.randint(0, 6), rnd.randint(0, 6)
            home_wins = home > away or (home == away and rnd.random() < 0.5)
            winner, loser = (match.home, match.away) if home_wins else (match.away, match.home)
            results[match.id] = b.Result(
                winner, loser, "votes", scores=(b.Score("votes", home, away),)
            )
    return results


@MODEST
@given(draws())
def test_every_team_is_in_one_group_with_one_team_per_pot(
    drawn: tuple[list[b.Entrant], int, b.GroupDraw],
) -> None:
    entrants, group_count, result = drawn
    groups = result.groups
    assert len(groups) == group_count
    assert sorted(e.id for g in groups for e in g.entrants) == sorted(e.id for e in entrants)
    sizes = [len(g.entrants) for g in groups]
    assert max(sizes) - min(sizes) <= 1 and min(sizes) >= 2
    pots = b.pots(entrants, group_count)
    for group in groups:
        assert all(team in pots[k] for k, team in enumerate(group.entrants))


@SMALL
@given(entrant_lists(4, 9), st.integers(2, 4), st.none() | seeds)
def test_the_draw_separates_companies_then_trades_as_well_as_any_draw_could(
    entrants: list[b.Entrant], group_count: int, seed: int | None
) -> None:
    group_count = min(group_count, len(entrants) // 2)
    result = b.draw_groups(entrants, group_count, seed=seed)
    achieved = cost([g.entrants for g in result.groups])
    assert achieved == best_possible(entrants, group_count)
    # Reported exactly when same-company teams share a group, and then unavoidable.
    assert bool(result.notes) == (achieved[0] > 0)
    assert all(note.endswith("unavoidable.") for note in result.notes)


@SMALL
@given(draws(), seeds)
def test_the_same_seed_gives_the_same_draw(
    drawn: tuple[list[b.Entrant], int, b.GroupDraw], seed: int
) -> None:
    entrants, group_count, _ = drawn
    assert b.draw_groups(entrants, group_count, seed=seed) == b.draw_groups(
        entrants, group_count, seed=seed
    )


def test_without_a_seed_the_pots_are_dealt_in_order() -> None:
    groups = b.draw_groups(teams(10), 3).groups
    assert [[e.id for e in g.entrants] for g in groups] == [
        ["t1", "t4", "t7", "t10"],
        ["t2", "t5", "t8"],
        ["t3", "t6", "t9"],
    ]


def test_in_order_dealing_gives_way_to_separate_a_company() -> None:
    entrants = teams(6, [0, 1, 2, 3, 0, 4])  # dealt in order, t1 and t5 would meet
    groups = b.draw_groups(entrants, 2).groups
    # Only the last pot moves: t5 goes to B, t6 to A.
    assert [[e.id for e in g.entrants] for g in groups] == [["t1", "t3", "t6"], ["t2", "t4", "t5"]]


def test_an_impossible_separation_is_reported() -> None:
    result = b.draw_groups(teams(4, [0, 0, 0, 1]), 2)
    assert result.notes == ("Group A: 2 teams of company c0 (t1, t3), unavoidable.",)


@pytest.mark.parametrize(("count", "group_count"), [(3, 2), (4, 0), (1, 1)])
def test_groups_need_two_teams_each(count: int, group_count: int) -> None:
    with pytest.raises(b.InvalidGroups):
        b.draw_groups(teams(count), group_count)


def test_a_team_may_be_drawn_only_once() -> None:
    with pytest.raises(b.DuplicateTeam):
        b.draw_groups([*teams(4), teams(1)[0]], 2)


@MODEST
@given(draws(max_size=24))
def test_every_team_meets_each_group_opponent_exactly_once(
    drawn: tuple[list[b.Entrant], int, b.GroupDraw],
) -> None:
    for group in drawn[2].groups:
        schedule = b.group_schedule(group)
        pairs = Counter(frozenset((m.home, m.away)) for m in schedule)
        ids = [e.id for e in group.entrants]
        assert pairs == Counter(frozenset(p) for p in combinations(ids, 2))
        for round_ in {m.round for m in schedule}:
            playing = [t for m in schedule if m.round == round_ for t in (m.home, m.away)]
            assert len(playing) == len(set(playing))
        assert len({m.id for m in schedule}) == len(schedule)
        assert all(m.id.startswith(f"{group.name}-") and m.stage == "group" for m in schedule)


@SMALL
@given(st.integers(2, 7), seeds, st.randoms(use_true_random=False))
def test_group_standings_are_the_engines_round_robin_table(
    count: int, seed: int, rnd: random.Random
) -> None:
    group = b.Group("C", tuple(teams(count)))
    results = play([group], rnd)
    league = b.draw(
        group.entrants,
        format="round_robin",
        seeding="manual",
        seed=seed,
        order=[e.id for e in group.entrants],
    )
    while not b.is_finished(league):
        decisions = {m.id: results[f"C-{m.id}"] for m in b.open_matches(league)}
        league = b.advance(league, decisions)
    assert b.group_standings(group, results, seed=seed) == b.standings(league)


def test_group_results_must_fit_the_schedule() -> None:
    group = b.Group("A", tuple(teams(3)))
    match = b.group_schedule(group)[0]
    assert match.away is not None
    with pytest.raises(b.UnknownMatch):
        b.group_standings(group, {"B-r1m1": b.Result(match.home, match.away, "votes")})
    with pytest.raises(b.InvalidResult):
        b.group_standings(group, {match.id: b.Result(match.home, "t9", "votes")})


@st.composite
def group_stages(draw: st.DrawFn) -> tuple[tuple[b.Group, ...], dict[str, b.Result], int, int]:
    entrants = draw(entrant_lists(4, 24))
    group_count = draw(st.integers(1, len(entrants) // 2))
    groups = b.draw_groups(entrants, group_count, seed=draw(seeds)).groups
    smallest = min(len(g.entrants) for g in groups)
    per_group = draw(st.integers(1, smallest))
    deeper = sum(len(g.entrants) > per_group for g in groups)
    best_placed = draw(st.integers(0, deeper))
    if per_group * group_count + best_placed < 2:
        best_placed += 1
    results = play(groups, draw(st.randoms(use_true_random=False)))
    return groups, results, per_group, best_placed


def own(group: b.Group, results: dict[str, b.Result]) -> dict[str, b.Result]:
    return {key: value for key, value in results.items() if key.startswith(f"{group.name}-")}


def per_duel(row: b.Standing) -> tuple[float, float, float]:
    return row.points / row.played, row.vote_difference / row.played, row.votes_for / row.played


@MODEST
@given(group_stages())
def test_qualifiers_are_the_top_of_each_table_and_ranked_across_groups_by_place_first(
    stage: tuple[tuple[b.Group, ...], dict[str, b.Result], int, int],
) -> None:
    groups, results, per_group, best_placed = stage
    done = b.qualify(groups, results, per_group, best_placed=best_placed, seed=7)
    tables = {g.name: b.group_standings(g, own(g, results), seed=7) for g in groups}
    assert dict(done.tables) == tables
    rank_of = {row.team_id: (name, n) for name, t in tables.items() for n, row in enumerate(t, 1)}
    row_of = {row.team_id: row for t in tables.values() for row in t}
    qualified = [p.team_id for p in done.qualifiers]
    top = {row.team_id for t in tables.values() for row in t[:per_group]}
    assert top <= set(qualified)
    extra = [team for team in qualified if team not in top]
    assert len(extra) == best_placed and all(rank_of[t][1] == per_group + 1 for t in extra)
    # The best-placed are the best of their rank: nobody left out of that rank is better.
    left_out = [
        t[per_group]
        for t in tables.values()
        if len(t) > per_group and t[per_group].team_id not in extra
    ]
    if extra:
        worst_in = min(per_duel(row_of[t]) for t in extra)
        assert all(per_duel(row) <= worst_in for row in left_out)
    # Seeds: by place in the group, then per-duel points, vote difference and votes.
    assert [p.seed for p in done.qualifiers] == list(range(1, len(qualified) + 1))
    keys = [(p.rank, *(-v for v in per_duel(row_of[p.team_id]))) for p in done.qualifiers]
    assert keys == sorted(keys)
    for placement in (*done.qualifiers, *done.eliminated):
        assert (placement.group, placement.rank) == rank_of[placement.team_id]
        assert placement.reason.startswith(f"{ordinal(placement.rank)} in group {placement.group}")
    assert sorted(qualified + [p.team_id for p in done.eliminated]) == sorted(row_of)
    assert not any(p.qualified for p in done.eliminated)


@MODEST
@given(group_stages())
def test_every_tie_on_points_at_the_line_or_between_seeds_is_explained(
    stage: tuple[tuple[b.Group, ...], dict[str, b.Result], int, int],
) -> None:
    groups, results, per_group, best_placed = stage
    done = b.qualify(groups, results, per_group, best_placed=best_placed)
    reason = {p.team_id: p.reason for p in (*done.qualifiers, *done.eliminated)}
    for _, table in done.tables:
        if len(table) > per_group and table[per_group - 1].points == table[per_group].points:
            ahead, behind = table[per_group - 1].team_id, table[per_group].team_id
            assert f" {behind} " in reason[ahead] and "equal points" in reason[ahead]
            assert f" {ahead} " in reason[behind] and "equal points" in reason[behind]
        # With best-placed teams to come, who is the group's next-placed decides too.
        if best_placed and len(table) > per_group + 1:
            ahead_row, behind_row = table[per_group], table[per_group + 1]
            if ahead_row.points == behind_row.points:
                ahead, behind = ahead_row.team_id, behind_row.team_id
                assert f"above {behind} in the group: equal points" in reason[ahead]
                assert f"below {ahead} in the group: equal points" in reason[behind]
    row_of = {row.team_id: row for _, t in done.tables for row in t}
    for first, second in pairwise(done.qualifiers):
        a, c = row_of[first.team_id], row_of[second.team_id]
        if first.rank == second.rank and per_duel(a)[0] == per_duel(c)[0]:
            assert f"seeded ahead of {c.team_id}: equal points" in first.reason
            assert f"seeded behind {a.team_id}: equal points" in second.reason


def round_one(order: Sequence[str]) -> list[tuple[str, str | None]]:
    bracket = b.draw([b.Entrant(t, t) for t in order], seeding="manual", order=order)
    return [(m.home, m.away) for m in b.matches_of_round(bracket, 1)]


@MODEST
@given(group_stages())
def test_the_knockout_keeps_a_groups_teams_apart_in_round_one_whenever_possible(
    stage: tuple[tuple[b.Group, ...], dict[str, b.Result], int, int],
) -> None:
    groups, results, per_group, best_placed = stage
    done = b.qualify(groups, results, per_group, best_placed=best_placed)
    order = b.knockout_order(done)
    assert sorted(order) == sorted(p.team_id for p in done.qualifiers)
    pairs = b.knockout_pairs(order)
    assert list(pairs) == round_one(order)
    group_of = {p.team_id: p.group for p in done.qualifiers}
    size = b.bracket_size(len(order))
    biggest = max(Counter(group_of.values()).values())
    if biggest <= size // 2:  # one team per round-1 duel or bye, as for companies
        assert not [p for p in pairs if p[1] is not None and group_of[p[0]] == group_of[p[1]]]


@SMALL
@given(st.sampled_from([2, 4, 8]), st.integers(2, 5), seeds, st.randoms(use_true_random=False))
def test_two_per_group_gives_the_classic_crossover_with_group_mates_in_opposite_halves(
    group_count: int, per_group_size: int, seed: int, rnd: random.Random
) -> None:
    groups = b.draw_groups(teams(group_count * per_group_size), group_count, seed=seed).groups
    done = b.qualify(groups, play(groups, rnd), 2)
    order = b.knockout_order(done)
    who = {(p.group, p.rank): p.team_id for p in done.qualifiers}
    names = [g.name for g in groups]
    partner = {names[i]: names[i ^ 1] for i in range(group_count)}
    expected = {(who[(name, 1)], who[(partner[name], 2)]) for name in names}
    pairs = b.knockout_pairs(order)
    assert set(pairs) == expected
    half = len(pairs) // 2
    top = {team for pair in pairs[:half] for team in pair}
    for name in names:
        assert (who[(name, 1)] in top) != (who[(name, 2)] in top)


@MODEST
@given(st.integers(4, 20), seeds, st.randoms(use_true_random=False))
def test_third_place_is_the_two_losing_semi_finalists(
    count: int, seed: int, rnd: random.Random
) -> None:
    bracket = b.draw(teams(count), seed=seed, third_place=True)
    while len(b.current_matches(bracket)) > 2 or b.current_matches(bracket)[0].stage == "main":
        bracket = b.advance(bracket, random_decisions(bracket, rnd))
    semis = b.matches_of_round(bracket, bracket.round - 1)
    losers = {m.result.loser for m in semis if m.result is not None}
    pairing = b.third_place_pairing(semis)
    assert set(pairing) == losers and len(losers) == 2
    (engine_third,) = (m for m in b.current_matches(bracket) if m.stage == "third_place")
    assert pairing == (engine_third.home, engine_third.away)


def test_third_place_needs_two_decided_semi_finals() -> None:
    bracket = b.draw(teams(4), seeding="manual", order=["t1", "t2", "t3", "t4"])
    semis = b.matches_of_round(bracket, 1)
    with pytest.raises(b.RoundNotDecided):
        b.third_place_pairing(semis)
    with pytest.raises(b.NotSemiFinals):
        b.third_place_pairing(semis[:1])
    finished = play_to_end(bracket, lambda br: random_decisions(br, random.Random(1)))
    with pytest.raises(b.NotSemiFinals):
        b.third_place_pairing(finished.matches)


RUNNER_UP_VOTES = [25, 22, 28, 21, 15, 19]  # what each group's runner-up gets per win


def event() -> tuple[b.GroupDraw, dict[str, b.Result]]:
    """24 teams, 12 companies of two, 6 groups of 4; the better pot always wins."""
    entrants = [b.Entrant(f"t{i}", f"c{(i - 1) % 12}", name=f"Team {i}") for i in range(1, 25)]
    drawn = b.draw_groups(entrants, 6)
    results = {}
    for index, group in enumerate(drawn.groups):
        place = {e.id: n for n, e in enumerate(group.entrants)}
        for match in b.group_schedule(group):
            assert match.away is not None
            home_wins = place[match.home] < place[match.away]
            winner, loser = (match.home, match.away) if home_wins else (match.away, match.home)
            won = RUNNER_UP_VOTES[index] if place[winner] == 1 else 20
            votes = (won, 10) if home_wins else (10, won)
            results[match.id] = b.Result(winner, loser, "votes", scores=(b.Score("votes", *votes),))
    return drawn, results


def test_24_teams_in_6_groups_feed_an_8_team_knockout() -> None:
    drawn, results = event()
    assert drawn.notes == ()
    # Dealt in order, except that pot 3 moves so t1/t13 and t2/t14 (same company) part.
    assert [[e.id for e in g.entrants] for g in drawn.groups] == [
        ["t1", "t7", "t14", "t20"],
        ["t2", "t8", "t13", "t19"],
        ["t3", "t9", "t16", "t22"],
        ["t4", "t10", "t15", "t21"],
        ["t5", "t11", "t18", "t24"],
        ["t6", "t12", "t17", "t23"],
    ]
    done = b.qualify(drawn.groups, results, 1, best_placed=2)
    winners = {g.entrants[0].id for g in drawn.groups}
    assert {p.team_id for p in done.qualifiers[:6]} == winners
    assert [p.team_id for p in done.qualifiers[6:]] == ["t9", "t7"]  # C, then A
    by_team = {p.team_id: p.reason for p in (*done.qualifiers, *done.eliminated)}
    assert by_team["t7"].startswith(
        "2nd in group A, one of the 2 best 2nd-placed teams; "
        "ahead of t8 on the line: equal points, better vote difference (+20 vs +14)"
    )
    assert by_team["t8"] == (
        "2nd in group B, not one of the 2 best 2nd-placed teams; "
        "behind t7 on the line: equal points, worse vote difference (+14 vs +20)"
    )
    assert "equal points and vote difference and votes received, won the seeded draw" in (
        done.qualifiers[0].reason
    )
    order = b.knockout_order(done)
    lines = b.render_groups(drawn.groups, done, order)
    assert lines[:6] == (
        "Group A",
        "  #  Team                      P  W  L  Pts       Votes   Diff",
        "  1  Team 1                    3  3  0    3       60:30    +30  Q3",
        "  2  Team 7                    3  2  1    2       60:40    +20  Q8",
        "  3  Team 14                   3  1  2    1       40:55    -15",
        "  4  Team 20                   3  0  3    0       30:65    -35",
    )
    knockout = lines[lines.index("Knockout, round 1") + 1 :]
    assert knockout == (
        "     Team 2 (1st B) – Team 7 (2nd A)",
        "     Team 6 (1st F) – Team 4 (1st D)",
        "     Team 1 (1st A) – Team 9 (2nd C)",
        "     Team 3 (1st C) – Team 5 (1st E)",
    )
    # The runners-up meet the top two seeds, never their own group's winner.
    assert [p for p in b.knockout_pairs(order) if p[1] in ("t7", "t9")] == [
        ("t2", "t7"),
        ("t1", "t9"),
    ]


def test_qualification_needs_every_group_duel_decided_and_sensible_numbers() -> None:
    drawn, results = event()
    open_ = dict(list(results.items())[1:])
    with pytest.raises(b.RoundNotDecided):
        b.qualify(drawn.groups, open_, 1)
    with pytest.raises(b.UnknownMatch):
        b.qualify(drawn.groups, {**results, "Z-r1m1": results["A-r1m1"]}, 1)
    for per_group, best_placed in [(0, 0), (5, 0), (4, 1), (1, 7)]:
        with pytest.raises(b.InvalidGroups):
            b.qualify(drawn.groups, results, per_group, best_placed=best_placed)
