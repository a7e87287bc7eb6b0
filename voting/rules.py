"""Fraud rules of the tally (DESIGN.md, fraud throttling, layer 4): which votes go to
quarantine instead of the official count. Pure functions, no I/O.

Votes are counted per time bucket (``bucket_seconds``) and per field: ``*`` (all votes of
the duel), ``n:<network hash>`` and ``u:<user-agent hash>``. A vote is judged against the
buckets of its window, the votes before it included:

- burst (velocity): more than ``burst_votes`` votes from its network in the burst window;
- concentration: its network (user agent) has at least ``*_min_votes`` votes in the window
  and more than ``*_share`` of all the duel's votes there.

A quarantined vote belongs to a group ``<reason>-<kind>-<hash>`` (kind ``n`` network,
``u`` user agent) that a host can include or exclude as a whole. Nothing is dropped:
:func:`judge` returns exactly one verdict per vote.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from duels.settings import Settings

TOTAL = "*"
Reason = Literal["burst", "concentration"]
Kind = Literal["n", "u"]
REASONS: tuple[Reason, ...] = ("burst", "concentration")
KINDS: tuple[Kind, ...] = ("n", "u")

# Window counts: bucket -> field (``*``, ``n:<hash>``, ``u:<hash>``) -> votes.
Counts = Mapping[int, Mapping[str, int]]

_GROUP = re.compile(r"^(burst|concentration)-([nu])-([0-9a-f]{1,64})$")


@dataclass(frozen=True, slots=True)
class Thresholds:
    bucket_seconds: int = 5
    window_seconds: int = 60
    burst_seconds: int = 10
    burst_votes: int = 150
    network_share: float = 0.5
    network_min_votes: int = 100
    agent_share: float = 0.8
    agent_min_votes: int = 300

    @classmethod
    def from_settings(cls, settings: Settings) -> Thresholds:
        return cls(
            bucket_seconds=settings.fraud_bucket_seconds,
            window_seconds=settings.fraud_window_seconds,
            burst_seconds=settings.fraud_burst_seconds,
            burst_votes=settings.fraud_burst_votes,
            network_share=settings.fraud_network_share,
            network_min_votes=settings.fraud_network_min_votes,
            agent_share=settings.fraud_agent_share,
            agent_min_votes=settings.fraud_agent_min_votes,
        )

    @property
    def window_buckets(self) -> int:
        return max(1, math.ceil(self.window_seconds / self.bucket_seconds))

    @property
    def burst_buckets(self) -> int:
        return max(1, math.ceil(self.burst_seconds / self.bucket_seconds))

    def bucket_of(self, at_ms: int) -> int:
        return at_ms // (self.bucket_seconds * 1000)


@dataclass(frozen=True, slots=True)
class Vote:
    """One entry of a duel's vote stream (see the vote stream contract)."""

    id: str
    team: str
    network: str = ""
    agent: str = ""

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
        )


@dataclass(frozen=True, slots=True)
class Verdict:
    """Why a vote is quarantined; the group is what a host reviews."""

    reason: Reason
    kind: Kind
    subject: str

    @property
    def group(self) -> str:
        return f"{self.reason}-{self.kind}-{self.subject}"


def parse_group(group: str) -> Verdict | None:
    """The verdict a group id stands for, or None when it is not one."""
    match = _GROUP.match(group)
    if match is None:
        return None
    reason, kind, subject = match.groups()
    return Verdict(reason, kind, subject)  # type: ignore[arg-type]


def vote_fields(vote: Vote) -> tuple[str, ...]:
    """The count fields one vote adds to (its bucket's total, network, user agent)."""
    fields = [TOTAL]
    if vote.network:
        fields.append(f"n:{vote.network}")
    if vote.agent:
        fields.append(f"u:{vote.agent}")
    return tuple(fields)


def fields_needed(votes: Iterable[Vote], thresholds: Thresholds) -> dict[int, set[str]]:
    """Which prior counts :func:`judge` reads for these votes: bucket -> fields."""
    needed: dict[int, set[str]] = {}
    span = max(thresholds.window_buckets, thresholds.burst_buckets)
    for vote in votes:
        last = thresholds.bucket_of(vote.at_ms)
        for bucket in range(last - span + 1, last + 1):
            needed.setdefault(bucket, set()).update(vote_fields(vote))
    return needed


def record(
    counts: Counts, votes: Iterable[Vote], thresholds: Thresholds
) -> dict[int, dict[str, int]]:
    """``counts`` plus ``votes`` (what the tally script adds for the votes it counts)."""
    updated = {bucket: dict(fields) for bucket, fields in counts.items()}
    for vote in votes:
        bucket = updated.setdefault(thresholds.bucket_of(vote.at_ms), {})
        for name in vote_fields(vote):
            bucket[name] = bucket.get(name, 0) + 1
    return updated


def judge(votes: Sequence[Vote], prior: Counts, thresholds: Thresholds) -> list[Verdict | None]:
    """One verdict per vote, in order: None counts officially, a Verdict quarantines.

    ``prior`` holds the votes tallied before this batch (at least the fields of
    :func:`fields_needed`); each vote of the batch counts towards the ones after it.
    """
    counts = {bucket: dict(fields) for bucket, fields in prior.items()}

    def window_sum(last: int, buckets: int, name: str) -> int:
        return sum(counts.get(b, {}).get(name, 0) for b in range(last - buckets + 1, last + 1))

    verdicts: list[Verdict | None] = []
    for vote in votes:
        last = thresholds.bucket_of(vote.at_ms)
        bucket = counts.setdefault(last, {})
        for name in vote_fields(vote):
            bucket[name] = bucket.get(name, 0) + 1
        total = window_sum(last, thresholds.window_buckets, TOTAL)
        verdict: Verdict | None = None
        if vote.network:
            network = f"n:{vote.network}"
            if window_sum(last, thresholds.burst_buckets, network) > thresholds.burst_votes:
                verdict = Verdict("burst", "n", vote.network)
            elif _concentrated(
                window_sum(last, thresholds.window_buckets, network),
                total,
                thresholds.network_min_votes,
                thresholds.network_share,
            ):
                verdict = Verdict("concentration", "n", vote.network)
        if verdict is None and vote.agent:
            agent_votes = window_sum(last, thresholds.window_buckets, f"u:{vote.agent}")
            if _concentrated(
                agent_votes, total, thresholds.agent_min_votes, thresholds.agent_share
            ):
                verdict = Verdict("concentration", "u", vote.agent)
        verdicts.append(verdict)
    return verdicts


def _concentrated(votes: int, total: int, min_votes: int, share: float) -> bool:
    return votes >= min_votes and votes > share * total
