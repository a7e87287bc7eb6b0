"""The domain records, as small immutable dataclasses with their Redis form."""

from __future__ import annotations

import secrets
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import orjson

# redis-py types hash fields as an invariant union; our records hand it str -> str.
RedisFields = dict[Any, Any]

DuelStatus = Literal["pending", "voting", "closed", "decided"]
# Who may vote (DESIGN.md "Who may vote"): phones at the venue that scanned the stage
# screen's rotating code, holders of printed attendee codes, confirmed e-mail addresses,
# or anyone with the link.
AdmissionMode = Literal["venue", "codes", "verified", "open"]
ADMISSION_MODES: tuple[AdmissionMode, ...] = ("venue", "codes", "verified", "open")


def admission_mode(value: str | None, default: AdmissionMode = "open") -> AdmissionMode:
    for mode in ADMISSION_MODES:
        if value == mode:
            return mode
    return default


DUEL_STATUSES: tuple[DuelStatus, ...] = ("pending", "voting", "closed", "decided")


def counts_public(status: str, show_results: bool) -> bool:
    """May the audience see a duel's counts? A host who opened it with ``show_results``
    off keeps them to the hosts until the duel is decided, on every public surface."""
    return show_results or status == "decided"


# No 0/o, 1/l/i: ids are read aloud and typed from posters.
_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"


def new_id(prefix: str, length: int = 8) -> str:
    return prefix + "".join(secrets.choice(_ALPHABET) for _ in range(length))


@dataclass(frozen=True, slots=True)
class Competition:
    id: str
    title: str
    slug: str
    created_at: float
    audience_weight: float = 1.0
    tie_breakers: tuple[str, ...] = ("jury", "fewer_quarantined", "seeded_draw")
    admission: AdmissionMode = "open"

    def to_redis(self) -> RedisFields:
        return {
            "id": self.id,
            "title": self.title,
            "slug": self.slug,
            "created_at": repr(self.created_at),
            "audience_weight": repr(self.audience_weight),
            "tie_breakers": ",".join(self.tie_breakers),
            "admission": self.admission,
        }

    @classmethod
    def from_redis(cls, data: dict[str, str]) -> Competition:
        return cls(
            id=data["id"],
            title=data["title"],
            slug=data.get("slug", ""),
            created_at=float(data.get("created_at", 0)),
            audience_weight=float(data.get("audience_weight", 1)),
            tie_breakers=tuple(filter(None, data.get("tie_breakers", "").split(","))),
            admission=admission_mode(data.get("admission")),
        )

    def public(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class Company:
    id: str
    competition: str
    name: str

    def to_json(self) -> str:
        return orjson.dumps(asdict(self)).decode()

    @classmethod
    def from_json(cls, raw: str) -> Company:
        return cls(**orjson.loads(raw))


@dataclass(frozen=True, slots=True)
class Team:
    id: str
    competition: str
    company_id: str
    name: str
    trade: str
    members: tuple[str, ...] = ()

    def to_json(self) -> str:
        return orjson.dumps(asdict(self)).decode()

    @classmethod
    def from_json(cls, raw: str) -> Team:
        data = orjson.loads(raw)
        data["members"] = tuple(data.get("members", ()))
        return cls(**data)


def leg_key(match: str, leg: int) -> str:
    return match if leg == 1 else f"{match}/{leg}"


@dataclass(frozen=True, slots=True)
class Duel:
    """One duel of a round; ``away`` is "" for a bye."""

    id: str
    competition: str
    match: str
    round: int
    home: str
    away: str
    home_name: str = ""
    away_name: str = ""
    home_company: str = ""
    away_company: str = ""
    trade: str = ""
    title: str = ""
    status: DuelStatus = "pending"
    opens_at: float | None = None
    closes_at: float | None = None
    show_results: bool = True
    winner: str = ""
    decided_by: str = ""
    jury_home: float = 0.0
    jury_away: float = 0.0
    # The host's choice for this duel ("" = the competition's); ``admission`` is the mode
    # in force, fixed when voting opens.
    admission_choice: str = ""
    admission: str = ""
    leg: int = 1  # which challenge of a best-of-N duel this vote is (1 of `legs`)
    legs: int = 1
    extra: dict[str, str] = field(default_factory=dict, compare=False)

    @property
    def index_key(self) -> str:
        """The duel's name in the competition's duel index: the match, "/n" for leg n."""
        return leg_key(self.match, self.leg)

    @property
    def teams(self) -> tuple[str, ...]:
        return (self.home, self.away) if self.away else (self.home,)

    @property
    def counts_public(self) -> bool:
        return counts_public(self.status, self.show_results)

    @property
    def results_mode(self) -> str:
        """When the audience sees the counts: ``live``, ``after_close`` or ``on_reveal``
        (duels.reveal; ``show_results`` is the switch every surface reads)."""
        chosen = self.extra.get("results", "")
        if chosen in ("after_close", "on_reveal"):
            return chosen
        return "live" if self.show_results else "on_reveal"

    @property
    def revealed_at(self) -> float | None:
        raw = self.extra.get("revealed_at", "")
        return float(raw) if raw else None

    def to_redis(self) -> RedisFields:
        return {
            "id": self.id,
            "competition": self.competition,
            "match": self.match,
            "round": str(self.round),
            "home": self.home,
            "away": self.away,
            "home_name": self.home_name,
            "away_name": self.away_name,
            "home_company": self.home_company,
            "away_company": self.away_company,
            "trade": self.trade,
            "title": self.title,
            "status": self.status,
            "opens_at": "" if self.opens_at is None else repr(self.opens_at),
            "closes_at": "" if self.closes_at is None else repr(self.closes_at),
            "show_results": "1" if self.show_results else "0",
            "winner": self.winner,
            "decided_by": self.decided_by,
            "jury_home": repr(self.jury_home),
            "jury_away": repr(self.jury_away),
            "admission_choice": self.admission_choice,
            "admission": self.admission,
            "leg": str(self.leg),
            "legs": str(self.legs),
        }

    @classmethod
    def from_redis(cls, data: dict[str, str]) -> Duel:
        known = set(cls.__dataclass_fields__) - {"extra"}
        status = data.get("status", "pending")
        return cls(
            id=data["id"],
            competition=data["competition"],
            match=data.get("match", ""),
            round=int(data.get("round", 1)),
            home=data.get("home", ""),
            away=data.get("away", ""),
            home_name=data.get("home_name", ""),
            away_name=data.get("away_name", ""),
            home_company=data.get("home_company", ""),
            away_company=data.get("away_company", ""),
            trade=data.get("trade", ""),
            title=data.get("title", ""),
            status=status if status in DUEL_STATUSES else "pending",
            opens_at=float(data["opens_at"]) if data.get("opens_at") else None,
            closes_at=float(data["closes_at"]) if data.get("closes_at") else None,
            show_results=data.get("show_results", "1") == "1",
            winner=data.get("winner", ""),
            decided_by=data.get("decided_by", ""),
            jury_home=float(data.get("jury_home") or 0),
            jury_away=float(data.get("jury_away") or 0),
            admission_choice=data.get("admission_choice", ""),
            admission=data.get("admission", ""),
            leg=int(data.get("leg") or 1),
            legs=int(data.get("legs") or 1),
            extra={k: v for k, v in data.items() if k not in known},
        )
