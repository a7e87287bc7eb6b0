"""Competitions in stages: a group stage or Swiss rounds, then a knockout.

The stages are fixed at the draw (`Bracket.stages`). Rounds are numbered across the
stages: a knockout after three group rounds starts in round 4. A stage is over when
its last round is decided; `finish_stage` then ranks its teams and draws the next
stage from that ranking, so the host sees the standings before the knockout exists.
Knockout matches are named "ko-" + the single elimination's ids.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from functools import lru_cache

from bracket import single
from bracket.crossover import Qualification, knockout_order, qualify
from bracket.errors import InvalidGroups, InvalidOption, StageNotFinished
from bracket.groups import draw_groups, group_schedule, group_standings
from bracket.models import Bracket, Entrant, Format, Group, Match, Result, StagePlan
from bracket.plan import Slot, matches_of_round, schedule
from bracket.roundrobin import Standing
from bracket.seeding import bracket_size
from bracket.swiss import SwissStanding, pair_swiss_round, recommended_swiss_rounds, swiss_standings

KNOCKOUT_PREFIX = "ko-"


def plan_stages(
    format: Format,
    team_count: int,
    *,
    groups: int = 0,
    advance: int = 0,
    best_placed: int = 0,
    swiss_rounds: int = 0,
    third_place: bool = False,
) -> tuple[StagePlan, ...]:
    """The stages of a "groups" or "swiss" competition; () for the one-stage formats."""
    if format == "groups":
        sizes = [team_count // groups + (i < team_count % groups) for i in range(groups or 1)]
        if groups < 1 or min(sizes) < 2:
            raise InvalidGroups(f"{team_count} teams cannot fill {groups} groups of two.")
        per_group = advance or 2
        if per_group > min(sizes):
            raise InvalidGroups(f"A group has fewer than {per_group} teams.")
        if best_placed < 0 or sum(size > per_group for size in sizes) < best_placed:
            raise InvalidGroups(f"Fewer than {best_placed} groups have a team to spare.")
        if per_group * groups + best_placed < 2:
            raise InvalidGroups("A knockout needs two teams.")
        knockout = StagePlan("knockout", third_place=third_place)
        return (StagePlan("groups", groups, per_group, best_placed), knockout)
    if format == "swiss":
        rounds = swiss_rounds or recommended_swiss_rounds(team_count)
        if not 1 <= rounds < team_count:
            raise InvalidOption(f"{team_count} teams play 1 to {team_count - 1} Swiss rounds.")
        if advance == 0:
            return (StagePlan("swiss", rounds=rounds),)
        if not 2 <= advance <= team_count:
            raise InvalidOption(f"2 to {team_count} teams can go on to the knockout.")
        knockout = StagePlan("knockout", third_place=third_place)
        return (StagePlan("swiss", advance=advance, rounds=rounds), knockout)
    return ()


def start(bracket: Bracket) -> Bracket:
    """Draw the groups (a group stage) and create round 1."""
    first = bracket.stages[0]
    if first.kind == "groups":
        drawn = draw_groups(bracket.entrants, first.groups, seed=bracket.seed)
        bracket = replace(bracket, groups=drawn.groups)
    return replace(bracket, matches=create_round(bracket, 1))


def create_round(bracket: Bracket, round_: int) -> tuple[Match, ...]:
    """The matches of `round_` within the current stage; () past the stage's end."""
    plan = bracket.stages[bracket.stage]
    local = round_ - bracket.stage_round + 1
    if plan.kind == "groups":
        return tuple(
            replace(match, round=round_, legs=bracket.best_of)
            for group in bracket.groups
            for match in group_schedule(group)
            if match.round == local
        )
    if plan.kind == "swiss":
        if local > plan.rounds:
            return ()
        games = [
            replace(m, round=m.round - bracket.stage_round + 1) for m in stage_matches(bracket)
        ]
        paired = pair_swiss_round(_ids(bracket.entrants), games, rounds=plan.rounds)
        trades = {entrant.id: entrant.trade for entrant in bracket.entrants}
        return tuple(
            replace(
                match,
                round=round_,
                stage="swiss",
                trade=trades[match.home] or trades.get(match.away or "", ""),
                legs=1 if match.away is None else bracket.best_of,
            )
            for match in paired
        )
    entrants = {entrant.id: entrant for entrant in bracket.entrants}
    seeds = [entrants[team] for team in bracket.qualified]
    return matches_of_round(
        knockout_slots(len(seeds), plan.third_place),
        seeds,
        {match.id: match for match in bracket.matches},
        round_,
        first_round=bracket.stage_round,
        prefix=KNOCKOUT_PREFIX,
        legs=bracket.best_of,
    )


@lru_cache(maxsize=128)
def knockout_slots(team_count: int, third_place: bool) -> tuple[Slot, ...]:
    return schedule(single.plan(bracket_size(team_count), third_place), team_count)


def stage_matches(bracket: Bracket) -> tuple[Match, ...]:
    """The matches of the stage being played."""
    return tuple(match for match in bracket.matches if match.round >= bracket.stage_round)


def has_next_stage(bracket: Bracket) -> bool:
    return bracket.stage + 1 < len(bracket.stages)


def stage_over(bracket: Bracket) -> bool:
    """Every duel of the current stage is decided and the stage has no round left."""
    current = [match for match in bracket.matches if match.round == bracket.round]
    if any(match.result is None for match in current):
        return False
    return not create_round(bracket, bracket.round + 1)


def finish_stage(bracket: Bracket) -> Bracket:
    """Rank the finished stage and draw the next one from that ranking."""
    if not bracket.stages or not has_next_stage(bracket) or not stage_over(bracket):
        raise StageNotFinished()
    following = replace(
        bracket,
        stage=bracket.stage + 1,
        stage_round=bracket.round + 1,
        round=bracket.round + 1,
        qualified=next_stage_teams(bracket),
    )
    return replace(following, matches=bracket.matches + create_round(following, following.round))


def next_stage_teams(bracket: Bracket) -> tuple[str, ...]:
    """The teams that go on, in the next stage's seed order."""
    plan = bracket.stages[bracket.stage]
    if plan.kind == "groups":
        return knockout_order(qualification(bracket))
    table = swiss_table_of(bracket)
    return tuple(row.team_id for row in table[: plan.advance])


def qualification(bracket: Bracket) -> Qualification:
    """Who goes on from the group stage, every tie explained; needs every group duel."""
    plan = bracket.stages[0]
    if plan.kind != "groups":
        raise StageNotFinished("The competition has no group stage.")
    return qualify(
        bracket.groups,
        _group_results(bracket),
        plan.advance,
        best_placed=plan.best_placed,
        seed=bracket.seed,
    )


def group_tables(bracket: Bracket) -> tuple[tuple[Group, tuple[Standing, ...]], ...]:
    """Each group with its table from the duels decided so far (live standings)."""
    results = _group_results(bracket)
    return tuple(
        (
            group,
            group_standings(
                group,
                {m.id: results[m.id] for m in group_schedule(group) if m.id in results},
                seed=bracket.seed,
            ),
        )
        for group in bracket.groups
    )


def swiss_table_of(bracket: Bracket) -> tuple[SwissStanding, ...]:
    """The Swiss standings from the decided rounds (the round being played left out)."""
    swiss = [m for m in bracket.matches if m.stage == "swiss" and m.result is not None]
    return swiss_standings(_ids(bracket.entrants), swiss)


def _group_results(bracket: Bracket) -> dict[str, Result]:
    return {
        match.id: match.result
        for match in bracket.matches
        if match.stage == "group" and match.result is not None
    }


def _ids(entrants: Sequence[Entrant]) -> tuple[str, ...]:
    return tuple(entrant.id for entrant in entrants)
