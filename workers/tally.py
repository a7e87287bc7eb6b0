"""Tally: count each duel's vote stream exactly once into its official result.

A duel's votes (stream ``keys.votes``) are read through the consumer group ``tally`` in
batches: first this consumer's own unacknowledged entries, then entries another (dead)
consumer left pending for ``tally_claim_idle_seconds`` (XAUTOCLAIM), then new ones. The
fraud rules (:mod:`voting.rules`) judge each batch; one atomic script (``tally.lua``,
duel slot) adds the votes to the official counts or to quarantine, skips any id counted
before, and XACKs the batch. The leaderboard lives in the competition's slot, so it is
written afterwards by a second, idempotent script step from the duel's absolute totals.

Triggers: the ingest enqueues :func:`tally_duel` (job id ``tally-<duel>``) when it sets
``keys.tally_pending``; :func:`sweep`, kept queued every ``tally_sweep_seconds`` by each
worker (:func:`keep_sweep_queued`), catches up on anything a lost job missed and closes
voting windows whose end time has passed.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import orjson
import redis
from redis.commands.core import Script
from rq import Queue, get_current_job

from duels import errors, events, keys, store, tournament
from duels.records import counts_public
from duels.settings import Settings
from voting import rules
from workers import context, queues

log = logging.getLogger(__name__)

GROUP = "tally"
SOURCE = (Path(__file__).parent / "tally.lua").read_text("utf-8")
# One job keeps tallying while votes keep coming, but not forever: other duels wait.
JOB_BUDGET_SECONDS = 10.0
# A lingering job waits this long for the next vote before it ends.
LINGER_IDLE_MS = 50
# Under a burst a lingering job counts at most one batch this often.
BATCH_GAP_SECONDS = 0.1
# Consumers of dead workers are forgotten once they hold nothing and idled this long.
STALE_CONSUMER_MS = 60_000
SWEEP_QUEUED_TTL = 30

Entry = tuple[str, Mapping[str, str] | None]

_script: Script | None = None


def _run(client: redis.Redis, keys_: Sequence[str], args: Sequence[str | int | float]) -> Any:
    """EVALSHA of ``tally.lua``; redis-py loads it again on NOSCRIPT and retries."""
    global _script
    if _script is None:
        _script = Script(client, SOURCE)
    return _script(keys=keys_, args=args, client=client)


@dataclass(frozen=True, slots=True)
class BatchResult:
    counted: int
    quarantined: int
    version: int
    official: dict[str, int]
    visible: bool = True  # the duel shows running counts (read with the batch)
    provisional: dict[str, int] = field(default_factory=dict)


@dataclass
class TallyRun:
    """What one :func:`tally` call did."""

    counted: int = 0
    quarantined: int = 0
    batches: int = 0


def split_official(
    official: Mapping[str, int], teams: Sequence[str]
) -> tuple[dict[str, int], dict[str, int]]:
    """Official counts and quarantined (not included) counts per team of the duel."""
    counts = {team: int(official.get(team, 0)) for team in teams}
    quarantined = {team: int(official.get(f"q:{team}", 0)) for team in teams}
    return counts, quarantined


def _pairs(flat: Sequence[Any]) -> dict[str, int]:
    return {str(flat[i]): int(flat[i + 1]) for i in range(0, len(flat), 2)}


# Reading the stream ----------------------------------------------------------------


_grouped: set[str] = set()  # duels whose consumer group this process has seen


def ensure_group(client: redis.Redis, did: str, *, again: bool = False) -> None:
    """The duel's consumer group (once per process; ``again`` after a NOGROUP answer)."""
    if did in _grouped and not again:
        return
    try:
        client.xgroup_create(keys.votes(did), GROUP, id="0", mkstream=True)
    except redis.exceptions.ResponseError as exc:
        if "BUSYGROUP" not in str(exc):
            raise
    if len(_grouped) > 10_000:
        _grouped.clear()
    _grouped.add(did)


def consumer_name() -> str:
    """The RQ worker's name inside a job (stable across its jobs), else host and pid."""
    job = get_current_job()
    if job is not None and job.worker_name:
        return str(job.worker_name)
    return f"{socket.gethostname()}-{os.getpid()}"


def _batches(
    client: redis.Redis,
    did: str,
    consumer: str,
    settings: Settings,
    deadline: float,
    linger_until: float = 0.0,
) -> Iterator[list[Entry]]:
    stream, size = keys.votes(did), settings.tally_batch_size
    # 1. Our own unacknowledged entries (this consumer died mid-batch before).
    while time.monotonic() < deadline:
        own = _read(client, consumer, did, "0", size)
        if not own:
            break
        yield own
    # 2. Entries a dead consumer left pending long enough.
    cursor = "0-0"
    idle_ms = int(settings.tally_claim_idle_seconds * 1000)
    while time.monotonic() < deadline:
        reply = client.xautoclaim(stream, GROUP, consumer, idle_ms, start_id=cursor, count=size)
        cursor, claimed = str(reply[0]), cast(list[Entry], reply[1])
        if claimed:
            yield claimed
        if cursor == "0-0":
            break
    # 3. New entries; until ``linger_until`` also those arriving within LINGER_IDLE_MS,
    # gathered for BATCH_GAP_SECONDS under a burst: a batch costs Redis a dozen calls
    # (count, board, event), so a batch per vote would cost more than the votes.
    while time.monotonic() < deadline:
        read_at = time.monotonic()
        new = _read(client, consumer, did, ">", size)
        if not new and read_at < linger_until:
            new = _read(client, consumer, did, ">", size, block_ms=LINGER_IDLE_MS)
        if not new:
            break
        yield new
        if len(new) < size and time.monotonic() < linger_until:
            time.sleep(max(0.0, read_at + BATCH_GAP_SECONDS - time.monotonic()))


def _read(
    client: redis.Redis, consumer: str, did: str, start: str, size: int, block_ms: int = 0
) -> list[Entry]:
    stream = keys.votes(did)

    def read() -> list[Any]:
        return cast(
            list[Any],
            client.xreadgroup(GROUP, consumer, {stream: start}, count=size, block=block_ms or None),
        )

    try:
        reply = read()
    except redis.exceptions.ResponseError as exc:
        if "NOGROUP" not in str(exc):
            raise
        ensure_group(client, did, again=True)  # the stream was recreated
        reply = read()
    return cast(list[Entry], reply[0][1]) if reply else []


# Counting ----------------------------------------------------------------------------


def count_batch(
    client: redis.Redis,
    settings: Settings,
    did: str,
    entries: Sequence[Entry],
    teams: Sequence[str] = ("", ""),
) -> BatchResult:
    """Count ``entries`` in one atomic step, acknowledging them; a subject passing its
    limit is held back with all its votes (:mod:`voting.rules`).

    Safe to call again with the same entries (e.g. after a crash right after the
    script ran): ids counted before are skipped.
    """
    thresholds = rules.Thresholds.from_settings(settings)
    gone = [entry_id for entry_id, fields in entries if not fields or not fields.get("t")]
    if gone:
        # Deleted or malformed entries carry no vote; acknowledge them so they do not stick.
        client.xack(keys.votes(did), GROUP, *gone)
    votes = [
        rules.Vote.from_entry(entry_id, fields)
        for entry_id, fields in entries
        if fields and fields.get("t")
    ]
    if not votes:
        return BatchResult(0, 0, 0, {})
    home, away = [*teams, "", ""][:2]
    args: list[str | int | float] = ["tally", GROUP, home, away, len(votes)]
    for vote in votes:
        subject = rules.evidence_subject(vote)
        args += [
            vote.id,
            vote.team,
            subject,
            rules.group_of(subject) if subject else "",
            thresholds.limit_for(subject) if subject else 0,
        ]
    script_keys = [
        keys.votes(did),
        keys.official(did),
        keys.tallied(did),
        keys.tally_state(did),
        keys.quarantine(did),
        keys.evidence_groups(did),
        keys.evidence_flags(did),
        keys.duel(did),
        keys.provisional(did),
    ]
    reply = _run(client, script_keys, args)
    counted, quarantined, version, official, flagged, (status, show), provisional = reply
    for group in flagged:
        log.info("duel %s: votes of %s held back for review", did, group)
    return BatchResult(
        int(counted),
        int(quarantined),
        int(version),
        _pairs(official),
        visible=counts_public(str(status or ""), show != "0"),
        provisional=_pairs(provisional),
    )


def tally(
    client: redis.Redis,
    settings: Settings,
    did: str,
    *,
    consumer: str | None = None,
    budget_seconds: float = JOB_BUDGET_SECONDS,
    linger_seconds: float = 0.0,
) -> TallyRun:
    """Count every vote of the duel that is not counted yet (within ``budget_seconds``),
    then, for up to ``linger_seconds`` from the start, the votes that keep coming."""
    run = TallyRun()
    duel = client.hmget(keys.duel(did), ["competition", "home", "away"])
    cid, home, away = (str(value or "") for value in duel)
    if not cid:
        return run  # unknown duel: no stream to create
    ensure_group(client, did)
    consumer = consumer or consumer_name()
    deadline = time.monotonic() + budget_seconds
    teams = [team for team in (home, away) if team]
    linger_until = time.monotonic() + min(linger_seconds, budget_seconds)
    for entries in _batches(client, did, consumer, settings, deadline, linger_until):
        result = count_batch(client, settings, did, entries, (home, away))
        run.batches += 1
        run.counted += result.counted
        run.quarantined += result.quarantined
        if result.counted:
            announce(client, cid, did, teams, result)
    return run


def announce(
    client: redis.Redis, cid: str, did: str, teams: Sequence[str], result: BatchResult
) -> None:
    """The leaderboard and the tally event in one step of the competition's slot (the
    event's announcement too, unless the events go out on another Redis)."""
    if not teams:
        publish_tally(client, cid, did, teams, result.official)
        return
    payload = orjson.dumps({"type": "tally", **tally_event(did, teams, result)}).decode()
    bus = cast(redis.Redis | None, getattr(client, "event_bus", None))
    channel = keys.events_channel(cid)
    script_keys = [
        keys.board_votes(cid),
        *(keys.board_team(cid, team) for team in teams),
        keys.event_log(cid),
    ]
    args: list[str | int | float] = ["announce", did, result.version]
    for team in teams:
        args += [team, int(result.official.get(team, 0))]
    args += [payload, "" if bus is not None else channel, events.EVENT_LOG_LENGTH]
    entry_id = str(_run(client, script_keys, args))
    if bus is not None:
        bus.publish(channel, events.envelope(entry_id, payload))


def tally_event(did: str, teams: Sequence[str], result: BatchResult) -> dict[str, Any]:
    """A tally event's data; a duel hiding its results says only that it was counted (the
    log and every live board are public; hosts read counts from the API)."""
    if not result.visible:
        return {"duel": did, "hidden": True}
    counts, quarantined = split_official(result.official, teams)
    provisional = {team: int(result.provisional.get(team, 0)) for team in teams}
    return {"duel": did, "counts": counts, "quarantined": quarantined, "provisional": provisional}


def update_board(
    client: redis.Redis,
    cid: str,
    did: str,
    teams: Sequence[str],
    version: int,
    official: Mapping[str, int],
) -> None:
    """Write the duel's absolute official votes into the leaderboard (rerun-safe)."""
    if not teams:
        return
    script_keys = [keys.board_votes(cid), *(keys.board_team(cid, team) for team in teams)]
    args: list[str | int | float] = ["board", did, version]
    for team in teams:
        args += [team, int(official.get(team, 0))]
    _run(client, script_keys, args)


def publish_tally(
    client: redis.Redis, cid: str, did: str, teams: Sequence[str], official: Mapping[str, int]
) -> None:
    """The tally event outside a batch (after a host's review): reads the duel's
    visibility and provisional counts first."""
    pipe = client.pipeline(transaction=False)
    pipe.hmget(keys.duel(did), ["status", "show_results"])
    pipe.hgetall(keys.provisional(did))
    (status, show), provisional = pipe.execute()
    state = BatchResult(
        0,
        0,
        0,
        dict(official),
        visible=counts_public(str(status or ""), show != "0"),
        provisional={team: int(n) for team, n in provisional.items()},
    )
    events.publish(client, cid, "tally", tally_event(did, teams, state))


# Jobs ------------------------------------------------------------------------------


def tally_duel(did: str) -> int:
    """RQ job (queue ``tally``): count the duel's new votes, and those that follow within
    ``tally_linger_seconds`` (a burst is one job, not one per vote: RQ's bookkeeping of a
    job costs Redis more than counting a vote does)."""
    client, settings = context.redis_client(), context.settings()
    counted = tally(
        client, settings, did, budget_seconds=JOB_BUDGET_SECONDS,
        linger_seconds=settings.tally_linger_seconds,
    ).counted  # fmt: skip
    # Cleared after counting: a vote meanwhile found the flag set and queued nothing, so
    # one more read catches it; a vote after the clear sets the flag and queues the next
    # run. Either way no vote waits for the sweep.
    client.delete(keys.tally_pending(did))
    return counted + tally(client, settings, did, budget_seconds=JOB_BUDGET_SECONDS).counted


def sweep() -> dict[str, int]:
    """RQ job: tally every open or closed duel with uncounted votes, close due windows."""
    client, settings = context.redis_client(), context.settings()
    context.queue_client().delete(keys.TALLY_SWEEP_QUEUED)  # set beside RQ's queue
    report = sweep_once(client, settings)
    return {"closed": report.closed, "tallied": report.tallied, "counted": report.counted}


@dataclass
class SweepReport:
    closed: int = 0
    tallied: int = 0
    counted: int = 0
    duels: list[str] = field(default_factory=list)


def sweep_once(client: redis.Redis, settings: Settings, *, now: float | None = None) -> SweepReport:
    report = SweepReport()
    now = time.time() if now is None else now
    for did, status, closes_at in _live_duels(client):
        if status == "voting" and closes_at and float(closes_at) <= now:
            try:
                tournament.close_voting(client, did, actor="schedule", reason="end time reached")
                report.closed += 1
            except errors.DomainError as exc:  # changed meanwhile (closed, decided, gone)
                log.info("sweep: duel %s not closed: %s", did, exc)
        if has_uncounted(client, did):
            run = tally(client, settings, did, budget_seconds=JOB_BUDGET_SECONDS)
            report.tallied += 1
            report.counted += run.counted
            report.duels.append(did)
        _forget_stale_consumers(client, did)
    return report


def _live_duels(client: redis.Redis) -> list[tuple[str, str, str]]:
    """(duel id, status, closes_at) of every duel in status voting or closed."""
    competitions = sorted(cast(set[str], client.smembers(keys.COMPETITIONS)))
    pipe = client.pipeline(transaction=False)
    for cid in competitions:
        pipe.hvals(keys.duel_index(cid))
    duel_ids = [did for ids in pipe.execute() for did in ids]
    for did in duel_ids:
        pipe.hmget(keys.duel(did), ["status", "closes_at"])
    found = []
    for did, (status, closes_at) in zip(duel_ids, pipe.execute(), strict=True):
        if status in ("voting", "closed"):
            found.append((did, str(status), str(closes_at or "")))
    return found


def has_uncounted(client: redis.Redis, did: str) -> bool:
    """True while the duel's stream holds entries not yet counted and acknowledged."""
    stream = keys.votes(did)
    try:
        groups = client.xinfo_groups(stream)
    except redis.exceptions.ResponseError:
        return False  # no stream: no votes
    group = next((g for g in groups if g["name"] == GROUP), None)
    if group is None:
        return bool(client.xlen(stream))
    lag = group.get("lag")
    return bool(group["pending"]) or lag is None or int(lag) > 0


def _forget_stale_consumers(client: redis.Redis, did: str) -> None:
    try:
        consumers = client.xinfo_consumers(keys.votes(did), GROUP)
    except redis.exceptions.ResponseError:
        return
    for consumer in consumers:
        if not consumer["pending"] and int(consumer["idle"]) > STALE_CONSUMER_MS:
            client.xgroup_delconsumer(keys.votes(did), GROUP, consumer["name"])


def ensure_sweep_queued(connection: redis.Redis) -> bool:
    """Enqueue one sweep unless one is queued already (whatever the number of workers).

    The flag is cleared by the sweep when it starts and expires on its own, so a sweep
    lost with a killed worker is replaced within ``SWEEP_QUEUED_TTL`` seconds.
    """
    if not connection.set(keys.TALLY_SWEEP_QUEUED, "1", nx=True, ex=SWEEP_QUEUED_TTL):
        return False
    Queue(queues.TALLY, connection=connection).enqueue(
        sweep, result_ttl=0, failure_ttl=300, job_timeout=120
    )
    return True


def keep_sweep_queued(settings: Settings, stop: threading.Event) -> None:
    """Thread body for the worker process: every ``tally_sweep_seconds``, ensure a sweep."""
    from duels.connection import connect_queue

    connection = connect_queue(settings, decode=False)
    try:
        while not stop.wait(settings.tally_sweep_seconds):
            try:
                ensure_sweep_queued(connection)
            except (redis.exceptions.RedisError, OSError) as exc:
                log.warning("could not enqueue the tally sweep: %s", exc)
    finally:
        connection.close()


# Host review of quarantine ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class QuarantineGroup:
    group: str
    reason: str
    kind: str
    subject: str
    state: str
    teams: dict[str, int]

    @property
    def votes(self) -> int:
        return sum(self.teams.values())

    def public(self) -> dict[str, Any]:
        return {
            "group": self.group,
            "reason": self.reason,
            "kind": _KIND_NAMES.get(self.kind, self.kind),
            "subject": self.subject,
            "state": self.state,
            "teams": dict(self.teams),
            "votes": self.votes,
        }


_KIND_NAMES = {"n": "network", "u": "user_agent", "p": "presence_code"}


def quarantine_groups(client: redis.Redis, did: str) -> list[QuarantineGroup]:
    """The duel's quarantine groups, most votes first."""
    store.get_duel(client, did)
    raw = cast(dict[str, str], client.hgetall(keys.quarantine(did)))
    return [
        QuarantineGroup(
            held.group,
            held.verdict.reason,
            held.verdict.kind,
            held.verdict.subject,
            held.state,
            held.teams,
        )
        for held in rules.held_groups(raw)
    ]


def review_quarantine(
    client: redis.Redis, did: str, group: str, *, include: bool, reason: str, actor: str = "host"
) -> QuarantineGroup:
    """Include (count officially) or exclude a quarantine group; audited; idempotent."""
    duel = store.get_duel(client, did)
    if not reason.strip():
        raise errors.Invalid("A reason is required.", code="reason_required")
    if duel.status == "decided":
        raise errors.Conflict("The duel is decided; its counts are final.", code="already_decided")
    if rules.parse_group(group) is None:
        raise errors.NotFound(f"Unknown quarantine group {group!r}.", code="unknown_group")
    target = "included" if include else "excluded"
    reply = _run(
        client,
        [keys.official(did), keys.quarantine(did), keys.tally_state(did)],
        ["review", group, target],
    )
    if reply[0] != "ok":
        raise errors.NotFound(f"Unknown quarantine group {group!r}.", code="unknown_group")
    previous, version, official = str(reply[1]), int(reply[2]), _pairs(reply[3])
    store.audit(
        client,
        duel.competition,
        actor,
        "quarantine_include" if include else "quarantine_exclude",
        reason.strip(),
        duel=did,
        group=group,
        previous=previous,
        state=target,
    )
    if previous != target:
        update_board(client, duel.competition, did, duel.teams, version, official)
        publish_tally(client, duel.competition, did, duel.teams, official)
    found = next(g for g in quarantine_groups(client, did) if g.group == group)
    return found
