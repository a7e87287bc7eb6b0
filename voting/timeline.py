"""A duel's votes over time, from its vote stream: how many came in per few seconds, by
admission kind, and which of them belong to a subject the tally holds back (its group).

Each vote lands in exactly one cell of its bucket: ``by_group[<group>]`` when its evidence
subject (:func:`voting.rules.evidence_subject`) is flagged in ``keys.evidence_flags``,
else ``by_kind[<admission kind>]``; so a bucket's ``total`` is the sum of both.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, cast

import redis

from duels import keys
from voting import rules

CHUNK = 1000
MAX_BUCKETS = 2000


@dataclass(slots=True)
class Bucket:
    t: int  # epoch seconds of the bucket's start
    total: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)
    by_group: dict[str, int] = field(default_factory=dict)

    def add(self, other: Bucket) -> None:
        self.total += other.total
        for name, votes in other.by_kind.items():
            self.by_kind[name] = self.by_kind.get(name, 0) + votes
        for name, votes in other.by_group.items():
            self.by_group[name] = self.by_group.get(name, 0) + votes

    def public(self) -> dict[str, Any]:
        return {
            "t": self.t,
            "total": self.total,
            "by_kind": dict(self.by_kind),
            "by_group": dict(self.by_group),
        }


@dataclass(frozen=True, slots=True)
class Timeline:
    bucket_seconds: int
    buckets: tuple[Bucket, ...]
    votes: int  # entries read from the stream

    @property
    def start(self) -> int | None:
        return self.buckets[0].t if self.buckets else None

    @property
    def end(self) -> int | None:
        return self.buckets[-1].t + self.bucket_seconds if self.buckets else None


def read_timeline(
    client: redis.Redis,
    did: str,
    bucket_seconds: int,
    flags: Mapping[str, str],
    *,
    max_buckets: int = MAX_BUCKETS,
) -> Timeline:
    """Bucket the duel's vote stream (read in chunks of :data:`CHUNK`); wider buckets
    (doubling) when there would be more than ``max_buckets``."""
    width = max(1, bucket_seconds)
    buckets: dict[int, Bucket] = {}
    votes = 0
    start = "-"
    while True:
        chunk = cast(
            list[tuple[str, dict[str, str]]],
            client.xrange(keys.votes(did), min=start, max="+", count=CHUNK),
        )
        for entry_id, fields in chunk:
            if not fields or not fields.get("t"):
                continue  # a deleted or malformed entry carries no vote
            vote = rules.Vote.from_entry(entry_id, fields)
            second = vote.at_ms // 1000
            bucket = buckets.get(second - second % width)
            if bucket is None:
                bucket = buckets[second - second % width] = Bucket(second - second % width)
            subject = rules.evidence_subject(vote)
            group = flags.get(subject) if subject else None
            cells = bucket.by_group if group else bucket.by_kind
            name = group or vote.mode
            cells[name] = cells.get(name, 0) + 1
            bucket.total += 1
            votes += 1
        if len(chunk) < CHUNK:
            break
        start = "(" + chunk[-1][0]
    while len(buckets) > max_buckets:
        width *= 2
        buckets = _widen(buckets, width)
    return Timeline(width, tuple(buckets[t] for t in sorted(buckets)), votes)


def _widen(buckets: Mapping[int, Bucket], width: int) -> dict[int, Bucket]:
    wider: dict[int, Bucket] = {}
    for t in sorted(buckets):
        start = t - t % width
        wider.setdefault(start, Bucket(start)).add(buckets[t])
    return wider
