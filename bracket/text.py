"""A whole competition as plain text: tables, qualification, every round, the champion.

For a terminal, a log or a printout; team names where the engine knows them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from bracket.crossover import render_groups
from bracket.engine import champion, is_finished, matches_of_round
from bracket.models import Bracket, Match
from bracket.seeding import DASH, bracket_size
from bracket.stages import (
    group_tables,
    next_stage_teams,
    qualification,
    stage_over,
    swiss_table_of,
)
from bracket.swiss import swiss_table

ROUND_NAMES = {0: "Final", 1: "Semi-finals", 2: "Quarter-finals", 3: "Round of 16"}
STAGE_NAMES = {"third_place": "third place", "grand_final": "grand final", "losers": "losers"}


def render(bracket: Bracket) -> tuple[str, ...]:
    names = {entrant.id: entrant.name or entrant.id for entrant in bracket.entrants}
    lines: list[str] = []
    first_round = 1
    kind = bracket.stages[0].kind if bracket.stages else ""
    group_stage_done = kind == "groups" and (bracket.stage > 0 or stage_over(bracket))
    if group_stage_done:
        order = bracket.qualified or next_stage_teams(bracket)
        rendered = render_groups(bracket.groups, qualification(bracket), order)
        lines += [*(_named(line, names) for line in rendered), ""]
    elif kind == "groups":
        lines += _live_tables(bracket, names)
    if kind == "swiss":
        lines.append("Swiss standings")
        lines += swiss_table(swiss_table_of(bracket), names)
        if bracket.qualified:
            lines.append("Qualified: " + ", ".join(names[team] for team in bracket.qualified))
        lines.append("")
    knockout_from = bracket.stage_round if bracket.stage > 0 else bracket.round + 1
    if kind == "groups":
        first_round = knockout_from  # the tables above tell the group rounds
    for round_ in range(first_round, bracket.round + 1):
        if not kind:
            lines.append(f"Round {round_}")
        elif round_ < knockout_from:
            lines.append(f"Swiss round {round_}")
        else:
            lines.append(_round_label(bracket, round_, knockout_from))
        lines += [f"     {_match_line(m, names)}" for m in matches_of_round(bracket, round_)]
        lines.append("")
    if kind and not bracket.qualified and not is_finished(bracket):
        lines.append(f"Round {bracket.round} of the first stage is being played.")
    winner = champion(bracket)
    if winner is not None:
        lines.append(f"Champion: {names[winner]}")
    return tuple(lines)


def _round_label(bracket: Bracket, round_: int, first_round: int) -> str:
    if not bracket.qualified:
        return f"Round {round_}"
    rounds = (bracket_size(len(bracket.qualified)) - 1).bit_length()
    local = round_ - first_round + 1
    return ROUND_NAMES.get(rounds - local, f"Knockout, round {local}")


def _live_tables(bracket: Bracket, names: Mapping[str, str]) -> list[str]:
    lines = []
    for group, table in group_tables(bracket):
        lines.append(f"Group {group.name}")
        lines.append(f"{'#':>3}  {'Team':<24}{'P':>3}{'Pts':>5}")
        for rank, row in enumerate(table, start=1):
            lines.append(f"{rank:>3}  {names[row.team_id]:<24}{row.played:>3}{row.points:>5}")
        lines.append("")
    return lines


def _match_line(match: Match, names: Mapping[str, str]) -> str:
    stage = f"[{STAGE_NAMES[match.stage]}] " if match.stage in STAGE_NAMES else ""
    home = names[match.home]
    if match.away is None:
        return f"{stage}{home}: bye"
    duel = f"{stage}{home}{DASH}{names[match.away]}"
    result = match.result
    if result is None:
        return f"{duel}: open"
    scores = ", ".join(
        f"{score.criterion} {score.home:g}:{score.away:g}" for score in result.scores
    )
    detail = f"{result.decided_by}; {scores}" if scores else result.decided_by
    return f"{duel}: {names[result.winner]} wins ({detail})"


def _named(line: str, names: Mapping[str, str]) -> str:
    return re.sub(r"[^\s:;,()]+", lambda word: names.get(word[0], word[0]), line)
