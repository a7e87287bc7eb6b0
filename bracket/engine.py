"""Playing a bracket: draw it, record results, advance round by round, undo.

Every function takes a Bracket and returns a new one. Each change pushes the
previous state onto `history`, so `undo(change(bracket)) == bracket`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from functools import lru_cache

from bracket import double, roundrobin, single, stages
from bracket.errors import (
    BracketFinished,
    InvalidOption,
    InvalidResult,
    MatchNotOpen,
    NothingToUndo,
    ReasonRequired,
    RoundNotDecided,
    StageFinished,
    TooFewTeams,
    UnknownMatch,
)
from bracket.models import (
    FORMATS,
    Bracket,
    Entrant,
    Format,
    Match,
    Result,
    SeedingMethod,
)
from bracket.plan import Slot, schedule
from bracket.plan import matches_of_round as planned_round
from bracket.seeding import bracket_size, order_entrants, separate_companies

ELIMINATION = ("single_elimination", "double_elimination")


def draw(
    entrants: Iterable[Entrant],
    *,
    format: Format = "single_elimination",
    seeding: SeedingMethod = "random",
    seed: int | None = None,
    order: Sequence[str] | None = None,
    third_place: bool = False,
    grand_final_reset: bool = True,
    separate_same_company: bool = True,
    groups: int = 0,
    advance: int = 0,
    best_placed: int = 0,
    swiss_rounds: int = 0,
    best_of: int = 1,
) -> Bracket:
    """Seed the teams and create round 1.

    The engine never picks a seed itself: a random draw needs `seed` from the caller,
    and the same seed with the same teams gives the same draw. Only random draws are
    adjusted to keep same-company teams apart in round 1; a manual or ranking order
    is the host's decision and is kept as given.

    Format "groups" draws `groups` groups from pots of the seed order (companies and
    trades kept apart), of which the top `advance` per group (and the `best_placed`
    best next-placed teams) go on to a knockout. Format "swiss" plays `swiss_rounds`
    rounds, then the top `advance` go on to a knockout (none if 0). `best_of` is the
    number of challenges in each duel.
    """
    teams = tuple(entrants)
    if len(teams) < 2:
        raise TooFewTeams()
    if format not in FORMATS:
        raise InvalidOption(f"Unknown format {format!r}.")
    if not 1 <= best_of <= 5:
        raise InvalidOption("A duel has 1 to 5 challenges.")
    plans = stages.plan_stages(
        format,
        len(teams),
        groups=groups,
        advance=advance,
        best_placed=best_placed,
        swiss_rounds=swiss_rounds,
        third_place=third_place,
    )
    ordered = order_entrants(teams, seeding, seed, order)
    if seeding == "random" and separate_same_company and format in ELIMINATION:
        ordered = separate_companies(ordered, bracket_size(len(ordered)))
    bracket = Bracket(
        format=format,
        entrants=ordered,
        seeding=seeding,
        seed=seed,
        third_place=third_place,
        grand_final_reset=grand_final_reset,
        round=1,
        matches=(),
        stages=plans,
        best_of=best_of,
    )
    if plans:
        return stages.start(bracket)
    return replace(bracket, matches=_create_round(bracket, 1))


def record(bracket: Bracket, match_id: str, result: Result) -> Bracket:
    """Set the result of an open match (current round, not yet decided)."""
    match = _open_match(bracket, match_id)
    if result.decided_by == "bye" or {result.winner, result.loser} != {
        match.home,
        match.away,
    }:
        raise InvalidResult(f"Winner and loser must be the two teams of {match_id!r}.")
    if result.decided_by in ("walkover", "override"):
        _reason(result.reason)
    return _changed(bracket, _with_result(bracket, match_id, result))


def walkover(bracket: Bracket, match_id: str, winner: str, reason: str) -> Bracket:
    """A team withdrew or had no approved video by the deadline."""
    match = _open_match(bracket, match_id)
    loser = _other_team(match, winner)
    return record(bracket, match_id, Result(winner, loser, "walkover", _reason(reason)))


def override(bracket: Bracket, match_id: str, winner: str, reason: str) -> Bracket:
    """The host decides a match of the current round, even one already decided.

    Scores of an earlier result are kept for the record.
    """
    match = _match(bracket, match_id)
    if match.round != bracket.round or match.away is None:
        raise MatchNotOpen(f"Match {match_id!r} is not a duel of the current round.")
    loser = _other_team(match, winner)
    scores = match.result.scores if match.result is not None else ()
    result = Result(winner, loser, "override", _reason(reason), scores)
    return _changed(bracket, _with_result(bracket, match_id, result))


def set_challenge(bracket: Bracket, match_id: str, trade: str, title: str) -> Bracket:
    """The host sets the trade and challenge title of a match not yet decided."""
    match = _match(bracket, match_id)
    if match.result is not None:
        raise MatchNotOpen(f"Match {match_id!r} is already decided.")
    changed = replace(match, trade=trade, title=title)
    matches = tuple(changed if m.id == match_id else m for m in bracket.matches)
    return _changed(bracket, replace(bracket, matches=matches))


def advance(bracket: Bracket, decisions: Mapping[str, Result] | None = None) -> Bracket:
    """Record `decisions`, then create the next round.

    Raises RoundNotDecided if a match of the current round is still open. After the
    last round nothing is created and the bracket is finished.
    """
    if not decisions and is_finished(bracket):
        raise BracketFinished()
    if not decisions and stage_over(bracket):
        raise StageFinished()
    current = bracket
    for match_id, result in (decisions or {}).items():
        current = record(current, match_id, result)
    undecided = [m.id for m in current_matches(current) if m.result is None]
    if undecided:
        raise RoundNotDecided(f"Open: {', '.join(undecided)}.")
    created = _create_round(current, current.round + 1)
    if created:
        current = replace(current, round=current.round + 1, matches=current.matches + created)
    return _changed(bracket, current)


def finish_stage(bracket: Bracket) -> Bracket:
    """Rank the finished stage (groups, Swiss rounds) and draw the next one."""
    return _changed(bracket, stages.finish_stage(bracket))


def stage_over(bracket: Bracket) -> bool:
    """The stage being played is over and another stage follows."""
    return bool(bracket.stages) and stages.has_next_stage(bracket) and stages.stage_over(bracket)


def undo(bracket: Bracket) -> Bracket:
    """Go back to the state before the last change."""
    if not bracket.history:
        raise NothingToUndo()
    return replace(bracket.history[-1], history=bracket.history[:-1])


def matches_of_round(bracket: Bracket, round_: int) -> tuple[Match, ...]:
    return tuple(match for match in bracket.matches if match.round == round_)


def current_matches(bracket: Bracket) -> tuple[Match, ...]:
    return matches_of_round(bracket, bracket.round)


def open_matches(bracket: Bracket) -> tuple[Match, ...]:
    """Duels of the current round that still need a result."""
    return tuple(match for match in current_matches(bracket) if match.result is None)


def find_match(bracket: Bracket, match_id: str) -> Match:
    return _match(bracket, match_id)


def resting_teams(bracket: Bracket, round_: int) -> tuple[str, ...]:
    """Teams without a duel in a round robin round (odd team counts)."""
    playing: set[str | None] = set()
    for match in matches_of_round(bracket, round_):
        playing.update((match.home, match.away))
    return tuple(entrant.id for entrant in bracket.entrants if entrant.id not in playing)


def is_finished(bracket: Bracket) -> bool:
    if any(match.result is None for match in current_matches(bracket)):
        return False
    if bracket.stages and stages.has_next_stage(bracket):
        return False
    return not _create_round(bracket, bracket.round + 1)


def champion(bracket: Bracket) -> str | None:
    if not is_finished(bracket):
        return None
    if bracket.format == "round_robin":
        return roundrobin.standings(bracket)[0].team_id
    if bracket.stages and bracket.stages[-1].kind == "swiss":
        return stages.swiss_table_of(bracket)[0].team_id
    (final,) = (m for m in current_matches(bracket) if m.stage != "third_place")
    assert final.result is not None
    return final.result.winner


def _bracket_slots(bracket: Bracket) -> tuple[Slot, ...]:
    """Every match that will be played (the bracket reset only if needed)."""
    return _slots(
        bracket.format,
        len(bracket.entrants),
        bracket.third_place,
        bracket.grand_final_reset,
    )


@lru_cache(maxsize=256)
def _slots(format: Format, team_count: int, third_place: bool, reset: bool) -> tuple[Slot, ...]:
    if format == "round_robin":
        return schedule(roundrobin.plan(team_count), team_count)
    size = bracket_size(team_count)
    if format == "double_elimination":
        return schedule(double.plan(size, reset), team_count)
    return schedule(single.plan(size, third_place), team_count)


def _create_round(bracket: Bracket, round_: int) -> tuple[Match, ...]:
    if bracket.stages:
        return stages.create_round(bracket, round_)
    played = {match.id: match for match in bracket.matches}
    slots = _bracket_slots(bracket)
    return planned_round(slots, bracket.entrants, played, round_, legs=bracket.best_of)


def _changed(before: Bracket, after: Bracket) -> Bracket:
    return replace(after, history=(*before.history, replace(before, history=())))


def _with_result(bracket: Bracket, match_id: str, result: Result) -> Bracket:
    matches = tuple(replace(m, result=result) if m.id == match_id else m for m in bracket.matches)
    return replace(bracket, matches=matches)


def _match(bracket: Bracket, match_id: str) -> Match:
    for match in bracket.matches:
        if match.id == match_id:
            return match
    if not bracket.stages and any(slot.match.id == match_id for slot in _bracket_slots(bracket)):
        raise MatchNotOpen(f"Match {match_id!r} is not scheduled yet.")
    raise UnknownMatch(f"Match {match_id!r}.")


def _open_match(bracket: Bracket, match_id: str) -> Match:
    match = _match(bracket, match_id)
    if match.round != bracket.round or match.result is not None:
        raise MatchNotOpen(f"Match {match_id!r} is not open.")
    return match


def _other_team(match: Match, winner: str) -> str:
    if match.away is None or winner not in (match.home, match.away):
        raise InvalidResult(f"{winner!r} does not play in {match.id!r}.")
    return match.away if winner == match.home else match.home


def _reason(reason: str) -> str:
    if not reason.strip():
        raise ReasonRequired()
    return reason.strip()
