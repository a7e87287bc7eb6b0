"""Vote ingest: one atomic Lua script per vote (``ingest.lua``), called by SHA through
:class:`~voting.batcher.ScriptBatcher`. An accepted vote says whether it made a tally newly
pending; queueing that tally is the web process's job (``web/tally_trigger.py``).

Domain answers are raised as :mod:`duels.errors` with the stable codes of API.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import redis.asyncio as aioredis

from duels import errors, keys
from duels.settings import Settings
from voting.admission import AdmissionPass, AdmissionSecrets
from voting.batcher import ScriptBatcher
from voting.tokens import SolvedChallenge, VoteSecrets

SCRIPT = (Path(__file__).parent / "ingest.lua").read_text("utf-8")
# The leaky count of a network's new voters, shared by the page's script and mint.lua.
NEW_VOTERS_LUA = (Path(__file__).parent / "new_voters.lua").read_text("utf-8")
MINT_SCRIPT = NEW_VOTERS_LUA + (Path(__file__).parent / "mint.lua").read_text("utf-8")


class PowRequired(errors.Forbidden):
    """403: solve a (fresh) challenge of ``difficulty`` and send the vote again."""

    code = "pow_required"
    message = "Please solve the proof-of-work challenge first."

    def __init__(self, difficulty: int, *, code: str | None = None, message: str | None = None):
        super().__init__(message, code=code)
        self.difficulty = difficulty


@dataclass(frozen=True, slots=True)
class Ballot:
    """One vote as the web layer hands it over (already authenticated and hashed)."""

    duel_id: str
    team_id: str
    voter_id: str
    network_hash: str
    agent_hash: str
    ip_hash: str
    ip_agent_hash: str
    proof: SolvedChallenge | None = None
    admission: AdmissionPass | None = None


@dataclass(frozen=True, slots=True)
class Accepted:
    vote_id: str
    counts: dict[str, int] | None  # running result, only when the duel shows it
    # This vote set the duel's tally-pending flag: exactly one caller queues the tally.
    tally_pending: bool = False


class VoteIngest:
    """Per web process: the script batcher, the throttle settings, the voting secrets."""

    def __init__(self, client: aioredis.Redis, settings: Settings) -> None:
        self.settings = settings
        self.secrets = VoteSecrets(settings.secret_key_value())
        self.admission = AdmissionSecrets(
            settings.secret_key_value(),
            rotate_seconds=settings.presence_rotate_seconds,
            grace_seconds=settings.presence_grace_seconds,
        )
        self.batcher = ScriptBatcher(client, SCRIPT, timeout=settings.redis_timeout * 2)
        self.mints = ScriptBatcher(client, MINT_SCRIPT, timeout=settings.redis_timeout * 2)
        self.mint_interval_us = mint_interval_us(settings)
        self._limits = (
            str(settings.votes_per_token_per_minute),
            str(settings.votes_per_ip_per_minute),
            str(settings.votes_per_ip_ua_per_minute),
            str(settings.pow_difficulty),
            str(settings.pow_burst_difficulty),
            str(settings.pow_burst_new_voters_per_minute * self.mint_interval_us),
        )
        self._presence_ms = str(settings.presence_valid_seconds * 1000)

    async def cast(self, ballot: Ballot) -> Accepted:
        did = ballot.duel_id
        proof, admitted = ballot.proof, ballot.admission
        head, tail = _duel_keys(did)
        result = await self.batcher.call(
            (
                *head,
                keys.rate(did, "token", ballot.voter_id),
                keys.rate(did, "ip", ballot.ip_hash),
                keys.rate(did, "ipua", ballot.ip_agent_hash),
                mint_key(did, ballot.network_hash),
                *tail,
            ),
            (
                ballot.team_id,
                ballot.voter_id,
                ballot.network_hash,
                ballot.agent_hash,
                ballot.ip_hash,
                *self._limits,
                str(proof.difficulty) if proof else "-1",
                proof.challenge_id if proof else "",
                str(proof.expires_at) if proof else "0",
                admitted.kind if admitted else "",
                admitted.subject_id if admitted else "",
                admitted.binding_id if admitted else "",
                admitted.competition if admitted else "",
                self._presence_ms,
            ),
        )
        outcome = result[0]
        if outcome == "ok":
            counts = None
            if len(result) > 3:
                counts = {result[3]: int(result[4])}
                if result[5]:
                    counts[result[5]] = int(result[6])
            return Accepted(vote_id=result[1], counts=counts, tally_pending=bool(int(result[2])))
        raise _refusal(outcome, result)

    async def record_new_voter(self, did: str, network_hash: str) -> None:
        """Count a voter cookie minted for this duel outside the vote page (a presence scan)."""
        await self.mints.call(
            (mint_key(did, network_hash), keys.duel(did)), (str(self.mint_interval_us), "1")
        )

    async def required_difficulty(self, did: str, network_hash: str) -> int:
        """The difficulty the ingest script would ask of this network right now (for a
        challenge of its own)."""
        settings = self.settings
        if settings.pow_burst_difficulty <= settings.pow_difficulty:
            return settings.pow_difficulty
        minted, mode = await self.mints.call(
            (mint_key(did, network_hash), keys.duel(did)), (str(self.mint_interval_us), "0")
        )
        return difficulty_for(settings, str(mode), int(minted))


_ADMISSION_REFUSALS = {
    "presence_required": "Scan the code on the screen at the venue to vote in this duel.",
    "code_required": "Enter or scan your attendee code to vote in this duel.",
    "email_required": "Confirm your e-mail address to vote in this duel.",
    "admission_revoked": "Your code or address may no longer vote here.",
}


@lru_cache(maxsize=1024)
def _duel_keys(did: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The script's keys that depend on the duel only (KEYS 1-5 and 10-14), built once."""
    head = (
        keys.duel(did),
        keys.voters(did),
        keys.votes(did),
        keys.provisional(did),
        keys.tally_pending(did),
    )
    tail = (
        keys.pow_used(did),
        keys.present(did),
        keys.subjects(did),
        keys.duel_revoked(did),
        keys.refused(did),
    )
    return head, tail


def mint_key(did: str, network_hash: str) -> str:
    """The leaky count of new voter cookies a network minted for this duel (new_voters.lua)."""
    return keys.rate(did, "mint", network_hash)


def mint_interval_us(settings: Settings) -> int:
    """How long one new voter of a network counts towards the burst rule, in whole µs (so
    the scripts' arithmetic stays exact): the burst allowance leaks away in a minute."""
    return max(1, 60_000_000 // settings.pow_burst_new_voters_per_minute)


def _refusal(outcome: str, result: list[object]) -> errors.DomainError:
    if outcome in _ADMISSION_REFUSALS:
        return errors.Forbidden(_ADMISSION_REFUSALS[outcome], code=outcome)
    if outcome == "already_voted":
        return errors.Conflict("You have already voted in this duel.", code="already_voted")
    if outcome == "voting_closed":
        return errors.Conflict("Voting is not open for this duel.", code="voting_closed")
    if outcome == "unknown_duel":
        return errors.NotFound("There is no such duel.", code="unknown_duel")
    if outcome == "team_not_in_duel":
        return errors.Invalid("This team is not in the duel.", code="team_not_in_duel")
    if outcome == "throttled":
        return errors.Throttled(
            "Too many votes from here; try again shortly.", retry_after=int(str(result[1]))
        )
    if outcome == "pow_required":
        return PowRequired(int(str(result[1])))
    if outcome == "pow_replayed":
        return PowRequired(
            0, code="pow_invalid", message="This challenge was already used; solve a new one."
        )
    raise RuntimeError(f"unexpected ingest answer {result!r}")


def difficulty_for(settings: Settings, mode: str | None, minted: int) -> int:
    """The difficulty the ingest script asks of a network that minted ``minted`` new voters
    for the duel that have not leaked away yet (open mode's burst rule; the script decides
    again)."""
    difficulty = settings.pow_difficulty
    burst = settings.pow_burst_difficulty
    open_mode = mode in (None, "", "open")
    if burst > difficulty and open_mode and minted > settings.pow_burst_new_voters_per_minute:
        return burst
    return difficulty
