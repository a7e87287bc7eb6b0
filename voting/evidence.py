"""Evidence for hosts, per duel: who could vote, what was counted, held back and refused,
how the votes came in over time, and whether a held-back group could change the winner.

Everything is read from the duel's keys (one hash slot) with a blocking decoded client;
nothing here writes. A group's what-if compares the duel's official counts with the group
counted and without it: a pending or excluded group is "without" now, an included one
"with" now.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

import redis

from duels import admission, keys, store
from duels.records import Duel
from duels.settings import Settings
from voting import rules
from voting.timeline import Bucket, read_timeline

TIE = "tie"
INTEGRITY_COLUMNS = (
    "admission", "counted", "held_back", "included_groups", "refused", "refused_by_code",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Result:
    counts: dict[str, int]
    winner: str  # a team id, or "tie"

    def public(self) -> dict[str, Any]:
        return {"counts": dict(self.counts), "winner": self.winner}


def result_of(counts: Mapping[str, int], teams: Sequence[str]) -> Result:
    """The winner by votes: the team with most votes, "tie" when the top is shared."""
    shown = {team: int(counts.get(team, 0)) for team in teams}
    if len(teams) == 1:
        return Result(shown, teams[0])
    top = max(shown.values(), default=0)
    leaders = [team for team in teams if shown[team] == top]
    return Result(shown, leaders[0] if len(leaders) == 1 else TIE)


@dataclass(frozen=True, slots=True)
class GroupEvidence:
    group: str
    reason: str
    kind: str
    limit: int | None
    state: str  # pending / included / excluded
    teams: dict[str, int]
    with_group: Result
    without_group: Result

    @property
    def votes(self) -> int:
        return sum(self.teams.values())

    @property
    def held_back(self) -> bool:
        return self.state != "included"

    @property
    def could_change_winner(self) -> bool:
        return self.with_group.winner != self.without_group.winner

    @property
    def description(self) -> str:
        verdict = rules.parse_group(self.group)
        return rules.describe(verdict, self.limit) if verdict else self.reason

    def public(self) -> dict[str, Any]:
        return {
            "group": self.group,
            "reason": self.reason,
            "description": self.description,
            "limit": self.limit,
            "state": self.state,
            "teams": dict(self.teams),
            "votes": self.votes,
            "with_group": self.with_group.public(),
            "without_group": self.without_group.public(),
            "could_change_winner": self.could_change_winner,
        }


@dataclass(frozen=True, slots=True)
class Integrity:
    admission: str
    counted: int  # official total
    held_back: int  # held back and not included (pending + excluded groups)
    included_groups: int
    refused: int
    refused_by_code: dict[str, int]
    accepted: int  # accepted by the ingest (provisional total)
    in_stream: int  # vote entries still in the stream (0 once purged)

    @property
    def uncounted(self) -> int:
        """Accepted votes the tally has not reached yet."""
        return max(0, self.accepted - self.counted - self.held_back)

    def public(self) -> dict[str, Any]:
        return {
            "admission": self.admission,
            "counted": self.counted,
            "held_back": self.held_back,
            "included_groups": self.included_groups,
            "refused": self.refused,
            "refused_by_code": dict(self.refused_by_code),
            "accepted": self.accepted,
            "in_stream": self.in_stream,
            "uncounted": self.uncounted,
        }

    def export(self) -> dict[str, Any]:
        """The columns of :data:`INTEGRITY_COLUMNS` for a results export."""
        summary = self.public()
        return {name: summary[name] for name in INTEGRITY_COLUMNS}


@dataclass(frozen=True, slots=True)
class Evidence:
    duel: Duel
    mode: str
    official: dict[str, int]
    held_back: dict[str, int]
    provisional: dict[str, int]
    groups: tuple[GroupEvidence, ...]
    integrity: Integrity
    timeline: tuple[Bucket, ...] = ()
    bucket_seconds: int = 0
    timeline_purged: bool = False

    @property
    def result(self) -> Result:
        return result_of(self.official, self.duel.teams)

    @property
    def winner_at_risk(self) -> bool:
        """A group that is not counted now would change the winner if it were."""
        return any(group.held_back and group.could_change_winner for group in self.groups)

    def public(self) -> dict[str, Any]:
        duel = self.duel
        names = (duel.home_name, duel.away_name)
        return {
            "duel": duel.id,
            "competition": duel.competition,
            "status": duel.status,
            "mode": self.mode,
            "teams": [
                {"id": team, "name": name} for team, name in zip(duel.teams, names, strict=False)
            ],
            "official": dict(self.official),
            "held_back": dict(self.held_back),
            "provisional": dict(self.provisional),
            "result": self.result.public(),
            "groups": [group.public() for group in self.groups],
            "winner_at_risk": self.winner_at_risk,
            "bucket_seconds": self.bucket_seconds,
            "timeline": [bucket.public() for bucket in self.timeline],
            "timeline_purged": self.timeline_purged,
            "integrity": self.integrity.public(),
        }


def duel_evidence(
    client: redis.Redis, settings: Settings, did: str, *, timeline: bool = True
) -> Evidence:
    """The evidence of duel ``did`` (404 ``unknown_duel``); ``timeline=False`` skips
    reading the vote stream."""
    duel = store.get_duel(client, did)
    pipe = client.pipeline(transaction=False)
    for key in (keys.official, keys.provisional, keys.quarantine, keys.refused):
        pipe.hgetall(key(did))
    pipe.hgetall(keys.evidence_flags(did))
    pipe.xlen(keys.votes(did))
    official_raw, provisional_raw, quarantine, refused_raw, flags, in_stream = pipe.execute()
    teams = duel.teams
    official = {team: _int(official_raw.get(team)) for team in teams}
    held = {team: _int(official_raw.get(f"q:{team}")) for team in teams}
    provisional = {team: _int(provisional_raw.get(team)) for team in teams}
    refused = {code: _int(n) for code, n in sorted(refused_raw.items()) if _int(n) > 0}
    groups = tuple(_groups(settings, quarantine, official, teams))
    mode = _mode(client, duel)
    integrity = Integrity(
        admission=mode,
        counted=sum(official.values()),
        held_back=sum(held.values()),
        included_groups=sum(1 for group in groups if not group.held_back),
        refused=sum(refused.values()),
        refused_by_code=refused,
        accepted=sum(provisional.values()),
        in_stream=int(in_stream),
    )
    evidence = Evidence(duel, mode, official, held, provisional, groups, integrity)
    if not timeline:
        return evidence
    read = read_timeline(client, did, settings.evidence_bucket_seconds, cast(dict[str, str], flags))
    counts_exist = integrity.accepted or integrity.counted or integrity.held_back
    return Evidence(
        duel, mode, official, held, provisional, groups, integrity,
        timeline=read.buckets, bucket_seconds=read.bucket_seconds,
        timeline_purged=read.votes == 0 and bool(counts_exist),
    )  # fmt: skip


def _int(value: object) -> int:
    try:
        return int(str(value))
    except ValueError:
        return 0


def _mode(client: redis.Redis, duel: Duel) -> str:
    if duel.admission:
        return duel.admission
    if duel.status != "pending":
        return "open"  # opened before admission modes existed
    return admission.effective_mode(store.get_competition(client, duel.competition), duel)


def _groups(
    settings: Settings,
    quarantine: Mapping[str, str],
    official: Mapping[str, int],
    teams: Sequence[str],
) -> Iterable[GroupEvidence]:
    thresholds = rules.Thresholds.from_settings(settings)
    found = []
    for held in rules.held_groups(quarantine):
        name, verdict, state, votes = held.group, held.verdict, held.state, held.teams
        shift = {team: votes.get(team, 0) for team in teams}
        if state == "included":
            with_counts = dict(official)
            without = {team: official.get(team, 0) - shift[team] for team in teams}
        else:
            with_counts = {team: official.get(team, 0) + shift[team] for team in teams}
            without = dict(official)
        found.append(
            GroupEvidence(
                group=name,
                reason=verdict.reason,
                kind=verdict.kind,
                limit=thresholds.limit_of_kind(verdict.kind) or None,
                state=state,
                teams=votes,
                with_group=result_of(with_counts, teams),
                without_group=result_of(without, teams),
            )
        )
    return sorted(found, key=lambda g: (-g.votes, g.group))


def duels_at_risk(client: redis.Redis, settings: Settings, dids: Iterable[str | None]) -> set[str]:
    """Those of ``dids`` whose winner a held-back group could change."""
    return {
        did
        for did in dids
        if did and duel_evidence(client, settings, did, timeline=False).winner_at_risk
    }


def with_integrity(
    client: redis.Redis, settings: Settings, rows: Iterable[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Results export rows (``duels.views.results_table``), each with its duel's
    integrity summary (:data:`INTEGRITY_COLUMNS`)."""
    empty = Integrity("", 0, 0, 0, 0, {}, 0, 0).export()
    out = []
    for row in rows:
        did = row.get("duel")
        summary = duel_evidence(client, settings, did, timeline=False).integrity if did else None
        out.append({**row, **(summary.export() if summary else empty)})
    return out


def refused_text(by_code: Mapping[str, int]) -> str:
    """``refused_by_code`` for one CSV cell: ``code=n;code=n``."""
    return ";".join(f"{code}={n}" for code, n in sorted(by_code.items()))
