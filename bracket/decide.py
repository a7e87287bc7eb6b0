"""Deciding one duel from its tallies. Pure: the same input gives the same result.

The primary score is either the audience votes or a weighted mix of the audience
vote share and the jury point share. A tie goes down the tie-breaker chain; a
seeded draw always closes the chain, so every duel gets a winner.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import Literal

from bracket.errors import InvalidResult, InvalidRule, MatchNotOpen
from bracket.models import DecidedBy, Match, Result, Score

TieBreaker = Literal["jury", "fewer_quarantined", "seeded_draw"]
TIE_BREAKERS: tuple[TieBreaker, ...] = ("jury", "fewer_quarantined", "seeded_draw")


@dataclass(frozen=True, slots=True)
class Tally:
    """What one team got in a duel: official votes, jury points, quarantined votes."""

    votes: int = 0
    jury: float = 0
    quarantined: int = 0


@dataclass(frozen=True, slots=True)
class DecisionRule:
    """How a competition decides its duels.

    audience_weight: 1 = audience votes only; 0.5 = 50/50 vote share and jury share.
    Floats are read by their decimal text (0.1 means exactly 1/10).
    """

    audience_weight: Fraction | float = 1
    tie_breakers: tuple[TieBreaker, ...] = TIE_BREAKERS

    def __post_init__(self) -> None:
        if not 0 <= _exact(self.audience_weight) <= 1:
            raise InvalidRule("The audience weight must be between 0 and 1.")
        unknown = [name for name in self.tie_breakers if name not in TIE_BREAKERS]
        if unknown or len(set(self.tie_breakers)) != len(self.tie_breakers):
            raise InvalidRule(f"Tie-breakers must be distinct ones of {TIE_BREAKERS}.")


def decide(match: Match, home: Tally, away: Tally, rule: DecisionRule, draw_seed: int) -> Result:
    """Decide `match`; a seeded draw uses random.Random(f"{draw_seed}:{match.id}")."""
    if match.away is None:
        raise MatchNotOpen(f"Match {match.id!r} is a bye.")
    weight = _exact(rule.audience_weight)
    scores = [Score("votes", home.votes, away.votes)]
    decided_by: DecidedBy = "votes"
    home_score, away_score = Fraction(home.votes), Fraction(away.votes)
    if weight != 1:
        decided_by = "weighted"
        scores.append(Score("jury", home.jury, away.jury))
        votes_share = _share(home.votes, away.votes)
        jury_share = _share(home.jury, away.jury)
        home_score = weight * votes_share + (1 - weight) * jury_share
        away_score = weight * (1 - votes_share) + (1 - weight) * (1 - jury_share)
        scores.append(Score("weighted", float(home_score), float(away_score)))
    if home_score != away_score:
        return _result(match, home_score > away_score, decided_by, scores)

    for breaker in rule.tie_breakers:
        if breaker == "jury":
            if not any(score.criterion == "jury" for score in scores):
                scores.append(Score("jury", home.jury, away.jury))
            if _exact(home.jury) != _exact(away.jury):
                return _result(match, _exact(home.jury) > _exact(away.jury), "jury", scores)
        elif breaker == "fewer_quarantined":
            scores.append(Score("quarantined", home.quarantined, away.quarantined))
            if home.quarantined != away.quarantined:
                home_wins = home.quarantined < away.quarantined
                return _result(match, home_wins, "fewer_quarantined", scores)
        else:
            break
    # Reproducible on purpose, so the draw can be published and re-checked.
    home_wins = random.Random(f"{draw_seed}:{match.id}").random() < 0.5  # noqa: S311
    return _result(match, home_wins, "draw", scores)


def decide_series(
    match: Match, legs: Sequence[tuple[Tally, Tally]], rule: DecisionRule, draw_seed: int
) -> Result:
    """Decide a duel of several challenges: challenges won, then the summed tallies.

    Each challenge is decided like a duel of its own (id "{match}/{n}"); when the teams
    won as many challenges each, the summed votes (and jury points, and quarantined
    votes) go down the usual chain. A duel of one challenge is decided as by `decide`.
    """
    if len(legs) != match.legs:
        raise InvalidResult(f"Match {match.id!r} has {match.legs} challenges, not {len(legs)}.")
    if match.legs == 1:
        return decide(match, *legs[0], rule, draw_seed)
    home_legs = sum(
        decide(replace(match, id=f"{match.id}/{number}"), home, away, rule, draw_seed).winner
        == match.home
        for number, (home, away) in enumerate(legs, start=1)
    )
    challenges = Score("challenges", home_legs, len(legs) - home_legs)
    if challenges.home != challenges.away:
        return _result(match, challenges.home > challenges.away, "challenges", [challenges])
    summed = decide(
        match, _sum(leg[0] for leg in legs), _sum(leg[1] for leg in legs), rule, draw_seed
    )
    return replace(summed, scores=(challenges, *summed.scores))


def _sum(tallies: Iterable[Tally]) -> Tally:
    votes, jury, quarantined = 0, Fraction(0), 0
    for tally in tallies:
        votes, jury = votes + tally.votes, jury + _exact(tally.jury)
        quarantined += tally.quarantined
    return Tally(votes, float(jury), quarantined)


def _exact(value: Fraction | float) -> Fraction:
    return Fraction(str(value)) if isinstance(value, float) else Fraction(value)


def _share(mine: float, theirs: float) -> Fraction:
    total = _exact(mine) + _exact(theirs)
    return _exact(mine) / total if total else Fraction(1, 2)


def _result(match: Match, home_wins: bool, decided_by: DecidedBy, scores: list[Score]) -> Result:
    assert match.away is not None
    winner, loser = (match.home, match.away) if home_wins else (match.away, match.home)
    return Result(winner, loser, decided_by, scores=tuple(scores))
