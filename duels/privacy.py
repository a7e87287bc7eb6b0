"""Privacy: purge the per-vote personal traces of a finished competition.

What a vote leaves behind (see ``duels/keys.py``): the voter id (random, from the signed
cookie) in the duel's ``voters`` set and vote stream, keyed hashes (HMAC with the secret
key, never the raw address) of the voter's IP, network and user agent in the vote stream,
the throttle keys (``rate:*``), the fraud-rule window buckets (``window:*``), spent
proof-of-work challenges (``pow:used``), the quarantine group names (``<reason>-n-<network
hash>``) and the per-vote quarantine records (``quarantine:votes``); and the reach
figures' "seen" sets (``reach-seen:<day>``, ``clicks-seen:<day>``: which voter was already
counted today), whose aggregated counters (``reach``, ``clicks``) stay.

:func:`purge` removes all of that, one atomic script per duel (``privacy.lua``), and keeps
what the competition's result is made of: official, quarantined and provisional counts,
the quarantine groups' states and counts (renamed to ``<reason>-<kind>-<n>``), the
leaderboards, the bracket, the duels and the audit log. Vote stream entries are trimmed
only once tallied, so an uncounted vote is never lost; running purge again changes nothing.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import redis
from redis.commands.core import Script

import bracket as engine
from duels import codes, keys, store, tournament
from duels.errors import Conflict

SOURCE = (Path(__file__).parent / "privacy.lua").read_text("utf-8")
# Length of the keyed hashes the ingest stores (voting.tokens.HASH_CHARS); duels does not
# import voting, so the number is repeated here and checked by the tests.
HASH_CHARS = 12
SCAN_COUNT = 1000

_script: Script | None = None


@dataclass
class PurgeReport:
    competition: str
    duels: int = 0
    voters: int = 0
    votes_trimmed: int = 0
    votes_kept: int = 0  # not tallied yet: kept so no vote is lost; purge again later
    quarantine_groups_renamed: int = 0
    quarantine_records: int = 0
    keys_removed: int = 0  # throttles, fraud windows, spent challenges
    code_bindings_cleared: int = 0  # which phone holds which attendee code

    @property
    def removed_anything(self) -> bool:
        return any(
            (
                self.voters,
                self.votes_trimmed,
                self.quarantine_groups_renamed,
                self.quarantine_records,
                self.keys_removed,
                self.code_bindings_cleared,
            )
        )

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def is_finished(client: redis.Redis, cid: str) -> bool:
    """The bracket has its final result and no duel is open for voting."""
    state = tournament.load_bracket(client, cid)
    if state is None:
        return False
    if not engine.is_finished(state):
        return False
    return all(duel.status != "voting" for duel in store.duels_of_competition(client, cid))


def purge(
    client: redis.Redis, cid: str, *, force: bool = False, actor: str = "host"
) -> PurgeReport:
    """Remove the per-vote personal traces of competition ``cid`` (see the module doc).

    Refuses (409 ``competition_not_finished``) while the competition runs, unless
    ``force``. Records a ``purge`` audit entry when something was removed.
    """
    store.get_competition(client, cid)
    if not force and not is_finished(client, cid):
        raise Conflict(
            "The competition is not finished; purge it afterwards (or force it).",
            code="competition_not_finished",
        )
    report = PurgeReport(competition=cid)
    for did in sorted(str(did) for did in client.hvals(keys.duel_index(cid))):
        report.duels += 1
        voters, trimmed, kept, renamed, records, removed = _purge_duel(client, did)
        report.voters += voters
        report.votes_trimmed += trimmed
        report.votes_kept += kept
        report.quarantine_groups_renamed += renamed
        report.quarantine_records += records
        report.keys_removed += removed
    report.keys_removed += _purge_competition_keys(client, cid)
    report.code_bindings_cleared, failures = codes.purge_bindings(client, cid)
    report.keys_removed += failures
    if report.removed_anything:
        counts = {k: v for k, v in report.as_dict().items() if k != "competition"}
        store.audit(client, cid, actor, "purge", "personal vote data removed", **counts)
    return report


def _purge_competition_keys(client: redis.Redis, cid: str) -> int:
    """The competition's mail limits, spent verification links and the reach figures'
    "seen" sets of clicks (hash tag ``{c:cid}``); the click counters stay."""
    patterns = (
        keys.mail_rate_pattern(cid),
        keys.verify_used_pattern(cid),
        keys.clicks_seen_pattern(cid),  # who clicked which place today (reach figures)
    )
    found = sorted(
        {
            str(key)
            for pattern in patterns
            for key in client.scan_iter(match=pattern, count=SCAN_COUNT)
        }
    )
    return sum(
        int(client.delete(*found[start : start + SCAN_COUNT]))
        for start in range(0, len(found), SCAN_COUNT)
    )


def _purge_duel(client: redis.Redis, did: str) -> list[int]:
    global _script
    scanned = sorted(
        {
            str(key)
            for pattern in (
                keys.rate_pattern(did),
                keys.fraud_window_pattern(did),
                keys.reach_seen_pattern(did),  # who was counted as a view / play today
            )
            for key in client.scan_iter(match=pattern, count=SCAN_COUNT)
        }
    )
    script_keys = [
        keys.voters(did),
        keys.votes(did),
        keys.tally_state(did),
        keys.quarantine(did),
        keys.quarantine_votes(did),
        keys.pow_used(did),
        # Who scanned which screen code, which code or address voted, which network
        # passed its limit: all per-vote traces; the held-back counts stay in quarantine.
        keys.present(did),
        keys.subjects(did),
        keys.evidence_groups(did),
        keys.evidence_flags(did),
        *scanned,
    ]
    if _script is None:
        _script = Script(client, SOURCE)
    # redis-py's Script runs EVALSHA and loads the script again on NOSCRIPT.
    reply = _script(keys=script_keys, args=[HASH_CHARS], client=client)
    return [int(value) for value in reply]
