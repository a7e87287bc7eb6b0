"""Immutable models of a duel competition: teams, matches, results, the bracket."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Format = Literal["single_elimination", "double_elimination", "round_robin", "groups", "swiss"]
StageKind = Literal["groups", "swiss", "knockout"]
SeedingMethod = Literal["random", "manual", "ranking"]
Stage = Literal[
    "main", "winners", "losers", "grand_final", "reset", "third_place", "group", "swiss"
]
DecidedBy = Literal[
    "votes",
    "weighted",
    "jury",
    "fewer_quarantined",
    "draw",
    "walkover",
    "override",
    "bye",
    "challenges",
]

FORMATS: tuple[Format, ...] = (
    "single_elimination",
    "double_elimination",
    "round_robin",
    "groups",
    "swiss",
)
STAGE_KINDS: tuple[StageKind, ...] = ("groups", "swiss", "knockout")
SEEDING_METHODS: tuple[SeedingMethod, ...] = ("random", "manual", "ranking")
STAGES: tuple[Stage, ...] = (
    "main",
    "winners",
    "losers",
    "grand_final",
    "reset",
    "third_place",
    "group",
    "swiss",
)
DECIDED_BY: tuple[DecidedBy, ...] = (
    "votes",
    "weighted",
    "jury",
    "fewer_quarantined",
    "draw",
    "walkover",
    "override",
    "bye",
    "challenges",
)


@dataclass(frozen=True, slots=True)
class Entrant:
    """A team of trainees from one company."""

    id: str
    company_id: str
    trade: str = ""
    name: str = ""


@dataclass(frozen=True, slots=True)
class Score:
    """One criterion that was looked at to decide a duel, e.g. ("votes", 120, 95)."""

    criterion: str
    home: float
    away: float


@dataclass(frozen=True, slots=True)
class Result:
    winner: str
    loser: str | None  # None only for a bye
    decided_by: DecidedBy
    reason: str = ""
    scores: tuple[Score, ...] = ()


@dataclass(frozen=True, slots=True)
class Match:
    """A duel. `away` is None for a bye, which is decided when it is created."""

    id: str
    round: int
    stage: Stage
    home: str
    away: str | None
    trade: str = ""
    title: str = ""
    result: Result | None = None
    legs: int = 1  # challenges in this duel (best of N), each with its own vote

    @property
    def is_bye(self) -> bool:
        return self.away is None


@dataclass(frozen=True, slots=True)
class Group:
    name: str
    entrants: tuple[Entrant, ...]  # one team per pot, pot 1 first


@dataclass(frozen=True, slots=True)
class StagePlan:
    """One stage of a competition played in stages, e.g. groups, then a knockout.

    `advance` is how many teams move on: per group (groups) or in all (swiss); 0 in
    the last stage. `best_placed` adds the best next-placed teams across groups.
    """

    kind: StageKind
    groups: int = 0
    advance: int = 0
    best_placed: int = 0
    rounds: int = 0  # swiss
    third_place: bool = False  # knockout


@dataclass(frozen=True, slots=True)
class Bracket:
    """The whole state of a competition.

    `entrants` is in seed order: entrants[0] is seed 1. `matches` holds the matches
    created so far (rounds 1..round). `history` holds earlier states, each stored
    without its own history, so `undo` can restore them exactly.
    """

    format: Format
    entrants: tuple[Entrant, ...]
    seeding: SeedingMethod
    seed: int | None
    third_place: bool
    grand_final_reset: bool
    round: int
    matches: tuple[Match, ...]
    history: tuple[Bracket, ...] = ()
    # Competitions in stages (formats "groups" and "swiss"); empty for the others.
    stages: tuple[StagePlan, ...] = ()
    stage: int = 0  # index of the stage being played
    stage_round: int = 1  # the first round of that stage
    groups: tuple[Group, ...] = ()
    qualified: tuple[str, ...] = ()  # the knockout's teams in seed order, once drawn
    best_of: int = 1  # challenges per duel
