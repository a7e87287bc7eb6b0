"""Attendee codes of a competition (admission mode ``codes``): storage and rules.

The codes themselves are derived from the secret key by ``voting/codes.py``; this module
sees only their keyed hashes (the ``subject``), handed in by the caller: a generated code
number -> hash function, a typed code's hash. Per competition, ``keys.codes(cid)`` maps a
hash to its record and ``keys.CODE_INDEX`` maps it to the competition, so a card's QR
finds its competition. A phone that claims a code gets an admission pass for subject
``k:<hash>`` at the code's current generation; moving the code to another phone revokes
the binding ``k:<hash>:<generation>`` and bumps the generation. Every change of a record
runs in ``codes.lua`` (one hash slot), so two phones claiming at once cannot both win.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, cast

import redis
from redis.commands.core import Script

from duels import admission, keys, store
from duels.errors import Conflict, Forbidden, Invalid, NotFound, Throttled

MAX_PER_CALL = 5000
MAX_PER_COMPETITION = 20000
WINDOW_MS = 60_000
SecondPhonePolicy = Literal["refuse", "move"]

_script: Script | None = None


def _run(client: redis.Redis, keys_: list[str], args: list[str | int]) -> list[Any]:
    global _script
    if _script is None:
        _script = Script(client, (Path(__file__).parent / "codes.lua").read_text("utf-8"))
    return cast(list[Any], _script(keys=keys_, args=args, client=client))


@dataclass(frozen=True, slots=True)
class CodeRecord:
    subject: str  # keyed hash of the code
    number: int
    state: str  # "active" | "revoked"
    voter: str  # voter id of the phone holding it, "" = not claimed
    gen: int
    claimed_at: int

    @property
    def subject_id(self) -> str:
        return f"k:{self.subject}"

    @classmethod
    def from_json(cls, subject: str, raw: str) -> CodeRecord:
        data = json.loads(raw)
        return cls(
            subject,
            int(data["n"]),
            str(data.get("state", "active")),
            str(data.get("voter", "")),
            int(data.get("gen", 0)),
            int(data.get("claimed_at") or 0),
        )


@dataclass(frozen=True, slots=True)
class CodeUsage:
    record: CodeRecord
    voted_duels: int


@dataclass(frozen=True, slots=True)
class Generated:
    generated: int
    total: int
    first: int
    last: int


@dataclass(frozen=True, slots=True)
class Claimed:
    competition: str
    subject: str
    generation: int


def _new_record(number: int) -> str:
    return json.dumps({"n": number, "state": "active", "voter": "", "gen": 0, "claimed_at": 0})


def generate(
    client: redis.Redis,
    cid: str,
    count: int,
    subject_of: Callable[[int], str],
    *,
    actor: str = "host",
) -> Generated:
    """``count`` more codes; a number whose hash some code already has is skipped."""
    store.get_competition(client, cid)
    if not 1 <= count <= MAX_PER_CALL:
        raise Invalid(f"Generate 1 to {MAX_PER_CALL} codes at a time.", code="invalid_count")
    last = int(client.hincrby(keys.codes_meta(cid), "count", count))
    if last > MAX_PER_COMPETITION:
        client.hincrby(keys.codes_meta(cid), "count", -count)
        raise Conflict(
            f"A competition has at most {MAX_PER_COMPETITION} codes.", code="too_many_codes"
        )
    numbers = range(last - count + 1, last + 1)
    subjects = [subject_of(number) for number in numbers]
    pipe = client.pipeline(transaction=False)
    for subject in subjects:
        pipe.hsetnx(keys.CODE_INDEX, subject, cid)
    fresh = {
        subject: _new_record(number)
        for number, subject, added in zip(numbers, subjects, pipe.execute(), strict=True)
        if added
    }
    if fresh:
        client.hset(keys.codes(cid), mapping=fresh)  # type: ignore[arg-type]
    total = int(client.hlen(keys.codes(cid)))
    store.audit(
        client, cid, actor, "codes_generated", first=numbers[0], last=last, generated=len(fresh)
    )
    return Generated(len(fresh), total, numbers[0], last)


def records(client: redis.Redis, cid: str) -> list[CodeRecord]:
    raw = cast(dict[str, str], client.hgetall(keys.codes(cid)))
    return sorted(
        (CodeRecord.from_json(subject, value) for subject, value in raw.items()),
        key=lambda record: record.number,
    )


def find(client: redis.Redis, cid: str, subject: str) -> CodeRecord:
    raw = client.hget(keys.codes(cid), subject)
    if not raw:
        raise NotFound("There is no such code in this competition.", code="unknown_code")
    return CodeRecord.from_json(subject, str(raw))


def usage(client: redis.Redis, cid: str) -> list[CodeUsage]:
    """Every code with the number of duels it voted in (from each duel's subjects set)."""
    found = records(client, cid)
    voted = [0] * len(found)
    duel_ids = [str(did) for did in client.hvals(keys.duel_index(cid))]
    if found and duel_ids:
        subject_ids = [record.subject_id for record in found]
        pipe = client.pipeline(transaction=False)
        for did in duel_ids:
            pipe.smismember(keys.subjects(did), subject_ids)
        for flags in pipe.execute():
            voted = [count + int(flag) for count, flag in zip(voted, flags, strict=True)]
    return [CodeUsage(record, n) for record, n in zip(found, voted, strict=True)]


def summary(client: redis.Redis, cid: str, listed: list[CodeUsage] | None = None) -> dict[str, int]:
    """Codes generated, claimed by a phone, voted at least once, revoked; ``numbers`` used."""
    listed = usage(client, cid) if listed is None else listed
    return {
        "generated": len(listed),
        "claimed": sum(1 for item in listed if item.record.voter),
        "voted": sum(1 for item in listed if item.voted_duels),
        "revoked": sum(1 for item in listed if item.record.state == "revoked"),
        "numbers": int(client.hget(keys.codes_meta(cid), "count") or 0),
    }


def _set_state(client: redis.Redis, cid: str, subject: str, state: str, actor: str) -> CodeRecord:
    if not _run(client, [keys.codes(cid)], ["state", subject, state]):
        raise NotFound("There is no such code in this competition.", code="unknown_code")
    record = find(client, cid, subject)
    store.audit(client, cid, actor, f"code_{state}", number=record.number)
    return record


def revoke(client: redis.Redis, cid: str, subject: str, *, actor: str = "host") -> CodeRecord:
    """The code votes nowhere any more (its phone's pass is refused in every duel)."""
    record = _set_state(client, cid, subject, "revoked", actor)
    admission.revoke_subjects(client, cid, record.subject_id)
    return record


def reactivate(client: redis.Redis, cid: str, subject: str, *, actor: str = "host") -> CodeRecord:
    record = _set_state(client, cid, subject, "active", actor)
    admission.restore_subjects(client, cid, record.subject_id)
    return record


def release(client: redis.Redis, cid: str, subject: str, *, actor: str = "host") -> CodeRecord:
    """Free the code for a new phone; the phone holding it loses its pass."""
    reply = _run(client, [keys.codes(cid), keys.revoked(cid)], ["release", subject])
    if not reply:
        raise NotFound("There is no such code in this competition.", code="unknown_code")
    admission.revoke_subjects(client, cid, str(reply[1]))
    record = find(client, cid, subject)
    store.audit(client, cid, actor, "code_released", number=record.number)
    return record


def _refusal(reply: list[Any]) -> Exception:
    outcome = str(reply[0])
    if outcome == "code_attempts_throttled":
        return Throttled(
            "Too many wrong codes from this network; wait a minute.",
            retry_after=-(-int(reply[1]) // 1000),
            code=outcome,
        )
    if outcome == "code_unknown":
        return NotFound("This code does not exist.", code=outcome)
    if outcome == "code_revoked":
        return Forbidden("This code has been blocked by the organisers.", code=outcome)
    return Conflict(
        "This code is in use on another phone; ask the organisers.",
        code="code_claimed_elsewhere",
    )


def competition_of(
    client: redis.Redis, subject: str, network_hash: str, *, failures_per_minute: int
) -> str:
    """The competition of a code typed or scanned without one (a card's QR); wrong
    entries count against the network like in :func:`claim`. ``subject`` "" = malformed."""
    reply = _run(
        client,
        [keys.CODE_INDEX, keys.code_index_failures(network_hash)],
        ["lookup", subject, failures_per_minute, WINDOW_MS],
    )
    if reply[0] != "ok":
        raise _refusal(reply)
    return str(reply[1])


def claim(
    client: redis.Redis,
    cid: str,
    subject: str,
    voter_id: str,
    network_hash: str,
    *,
    policy: SecondPhonePolicy,
    failures_per_minute: int,
) -> Claimed:
    """Bind the code to this phone's voter; the same voter again gets the same pass.

    404 ``code_unknown`` (counted against the network), 429 ``code_attempts_throttled``,
    403 ``code_revoked``, 409 ``code_claimed_elsewhere`` (policy "refuse"); policy "move"
    takes the code over and cuts off the phone that had it.
    """
    reply = _run(
        client,
        [keys.codes(cid), keys.claim_failures(cid, network_hash), keys.revoked(cid)],
        [
            "claim", subject, failures_per_minute, WINDOW_MS, voter_id, policy,
            int(time.time()),
        ],
    )  # fmt: skip
    if reply[0] != "ok":
        raise _refusal(reply)
    if reply[2]:
        admission.revoke_subjects(client, cid, str(reply[2]))
    return Claimed(cid, subject, int(reply[1]))


def purge_bindings(client: redis.Redis, cid: str) -> tuple[int, int]:
    """Privacy purge: forget which phone holds which code (the codes stay valid) and the
    wrong-entry counters. Returns (bindings cleared, keys removed)."""
    cleared = int(_run(client, [keys.codes(cid)], ["purge"])[0])
    found = [str(key) for key in client.scan_iter(match=keys.claim_failures_pattern(cid))]
    removed = sum(int(client.delete(key)) for key in found)
    return cleared, removed
