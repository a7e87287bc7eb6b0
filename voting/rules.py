"""Fraud rules of the tally (DESIGN.md, fraud throttling, layer 4): which votes are held
back (quarantined) instead of counted. Pure functions, no I/O.

Each vote has at most one evidence subject, chosen by the duel's admission mode:

- ``open``: its network (``n:<hash>``). A network with more than ``votes_per_network``
  votes in the duel is held back, all of them: the rule is judged over the whole voting
  window, so the votes before the limit are held back too (no free first ones).
- ``venue``: the rotating code that admitted the phone (``p:<slot>``). More votes than
  ``phones_per_code`` through one code point to a code relayed off the hall.
- ``codes`` / ``verified``: none; one vote per code or address is enforced at ingest.

A network (or code) of a venue is not a reason in venue mode: a hall is one NAT.

The tally script counts every vote into its subject and, when a subject passes its limit,
moves the subject's official votes into the quarantine group :func:`group_of` names,
which a host includes or excludes as a whole. Nothing is dropped.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from duels.settings import Settings

Reason = Literal["volume", "relay", "burst", "concentration"]
Kind = Literal["n", "u", "p"]
# The rule each subject kind is judged by; burst/concentration are kept for groups of
# earlier versions.
REASON_OF_KIND: dict[str, Reason] = {"n": "volume", "p": "relay"}
_GROUP = re.compile(r"^(volume|relay|burst|concentration)-([nup])-([0-9a-f]{1,64})$")
NO_LIMIT = 0


@dataclass(frozen=True, slots=True)
class Thresholds:
    votes_per_network: int = 20
    phones_per_code: int = 400

    @classmethod
    def from_settings(cls, settings: Settings) -> Thresholds:
        return cls(
            votes_per_network=settings.fraud_votes_per_network,
            phones_per_code=settings.presence_phones_per_code,
        )

    def limit_for(self, subject: str) -> int:
        """Votes a subject (``n:<hash>``, ``p:<slot>``) may have in a duel before it is
        held back (0: no limit)."""
        return self.limit_of_kind(subject.partition(":")[0])

    def limit_of_kind(self, kind: str) -> int:
        if kind == "n":
            return self.votes_per_network
        if kind == "p":
            return self.phones_per_code
        return NO_LIMIT


@dataclass(frozen=True, slots=True)
class Vote:
    """One entry of a duel's vote stream (see the vote stream contract)."""

    id: str
    team: str
    network: str = ""
    agent: str = ""
    mode: str = "open"
    subject: str = ""  # the admission subject recorded at ingest (p:, k:, e:)

    @property
    def at_ms(self) -> int:
        # The stream id is "<milliseconds>-<sequence>": it carries the time.
        return int(self.id.partition("-")[0])

    @classmethod
    def from_entry(cls, entry_id: str, fields: Mapping[str, str]) -> Vote:
        return cls(
            id=entry_id,
            team=fields.get("t", ""),
            network=fields.get("n", ""),
            agent=fields.get("u", ""),
            mode=fields.get("a") or "open",
            subject=fields.get("s", ""),
        )


def evidence_subject(vote: Vote) -> str:
    """The subject a vote is judged by ("" = none): see the module doc."""
    if vote.mode == "open":
        return f"n:{vote.network}" if vote.network else ""
    if vote.mode == "venue" and vote.subject.startswith("p:"):
        return vote.subject
    return ""


@dataclass(frozen=True, slots=True)
class Verdict:
    """Why a subject's votes are held back; the group is what a host reviews."""

    reason: Reason
    kind: Kind
    subject: str

    @property
    def group(self) -> str:
        return f"{self.reason}-{self.kind}-{self.subject}"


def group_of(subject: str) -> str:
    """The quarantine group of an evidence subject (``n:ab12`` -> ``volume-n-ab12``)."""
    verdict = verdict_of(subject)
    return verdict.group if verdict else ""


def verdict_of(subject: str) -> Verdict | None:
    kind, _, value = subject.partition(":")
    reason = REASON_OF_KIND.get(kind)
    if reason is None or not value:
        return None
    return Verdict(reason, kind, _hex(value))  # type: ignore[arg-type]


def _hex(value: str) -> str:
    # Group names carry hex subjects only (presence slots are hex already).
    return value if re.fullmatch(r"[0-9a-f]{1,64}", value) else value.encode().hex()[:64]


def parse_group(group: str) -> Verdict | None:
    """The verdict a group id stands for, or None when it is not one."""
    match = _GROUP.match(group)
    if match is None:
        return None
    reason, kind, subject = match.groups()
    return Verdict(reason, kind, subject)  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class HeldGroup:
    """One quarantine group as the tally keeps it: its state and votes per team."""

    group: str
    verdict: Verdict
    state: str
    teams: dict[str, int]

    @property
    def votes(self) -> int:
        return sum(self.teams.values())


def held_groups(quarantine: Mapping[str, str]) -> list[HeldGroup]:
    """The groups of a duel's quarantine hash (``<group>`` -> state, ``<group>/<team>`` ->
    votes), most votes first."""
    found = []
    for name, state in quarantine.items():
        verdict = parse_group(name)
        if verdict is None:
            continue  # a "<group>/<team>" count field
        prefix = f"{name}/"
        teams = {
            key[len(prefix) :]: int(value) if str(value).lstrip("-").isdigit() else 0
            for key, value in quarantine.items()
            if key.startswith(prefix)
        }
        found.append(HeldGroup(name, verdict, state, teams))
    return sorted(found, key=lambda g: (-g.votes, g.group))


def describe(verdict: Verdict, limit: int | None = None) -> str:
    """A host-readable reason (English; the console translates by reason)."""
    if verdict.reason == "volume":
        return f"more than {limit or 'the allowed'} votes from one network in this duel"
    if verdict.reason == "relay":
        return f"one screen code admitted more than {limit or 'the allowed'} phones"
    if verdict.reason == "burst":
        return "a burst of votes from one network"
    return "votes concentrated on one network or browser"


@dataclass(frozen=True, slots=True)
class Outcome:
    official: dict[str, int]  # team -> votes counted
    held_back: dict[str, dict[str, int]]  # group -> team -> votes


def settle(votes: Sequence[Vote], thresholds: Thresholds) -> Outcome:
    """The whole-window outcome the tally reaches for ``votes`` (before any host review):
    every vote of a subject past its limit is held back, all others count. The tally
    script gets there incrementally, in any batching; this is its reference."""
    totals: dict[str, int] = {}
    for vote in votes:
        subject = evidence_subject(vote)
        if subject:
            totals[subject] = totals.get(subject, 0) + 1
    official: dict[str, int] = {}
    held_back: dict[str, dict[str, int]] = {}
    for vote in votes:
        subject = evidence_subject(vote)
        limit = thresholds.limit_for(subject) if subject else NO_LIMIT
        if limit and totals[subject] > limit:
            teams = held_back.setdefault(group_of(subject), {})
            teams[vote.team] = teams.get(vote.team, 0) + 1
        else:
            official[vote.team] = official.get(vote.team, 0) + 1
    return Outcome(official, held_back)
