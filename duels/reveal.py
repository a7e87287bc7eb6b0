"""When the audience sees a duel's counts, and the host's reveal.

``show_results`` on the duel record stays the one switch every public surface reads
(``records.counts_public``); this module sets it per the duel's results mode:

- ``live``: counts are public while voting runs;
- ``after_close``: hidden while voting runs, public the moment voting closes;
- ``on_reveal``: hidden until a host reveals them (on the stage: the reveal scene), or until
  the duel is decided.
"""

from __future__ import annotations

import time

import redis

from duels import errors, events, keys, store
from duels.records import Duel

RESULTS_MODES = ("live", "after_close", "on_reveal")


def set_results_mode(client: redis.Redis, did: str, mode: str, actor: str = "host") -> Duel:
    if mode not in RESULTS_MODES:
        raise errors.Invalid(f"Unknown results mode {mode!r}.", code="invalid_results_mode")
    duel = store.get_duel(client, did)
    if duel.status == "decided":
        raise errors.Conflict("The duel is decided.", code="already_decided")
    if duel.revealed_at is not None:
        raise errors.Conflict("The counts are revealed already.", code="already_revealed")
    public = mode == "live" or (mode == "after_close" and duel.status == "closed")
    client.hset(keys.duel(did), mapping={"results": mode, "show_results": "1" if public else "0"})
    store.audit(client, duel.competition, actor, "results_mode", duel=did, mode=mode)
    events.publish(client, duel.competition, "duel", {"duel": did, "status": duel.status})
    return store.get_duel(client, did)


def reveal(client: redis.Redis, did: str, actor: str = "host") -> Duel:
    """Show the counts to everyone now; only once voting has closed (revealing twice is no
    change)."""
    duel = store.get_duel(client, did)
    if duel.status == "voting":
        raise errors.Conflict("Close voting before revealing.", code="still_voting")
    if duel.status == "pending" or not duel.away:
        raise errors.Conflict("Nothing to reveal yet.", code="nothing_to_reveal")
    if duel.revealed_at is not None:
        return duel
    client.hset(keys.duel(did), mapping={"show_results": "1", "revealed_at": repr(time.time())})
    store.audit(client, duel.competition, actor, "reveal", duel=did)
    payload = {"duel": did, "status": duel.status, "revealed": True}
    events.publish(client, duel.competition, "duel", payload)
    return store.get_duel(client, did)


def on_close(client: redis.Redis, duel: Duel) -> None:
    """Called as voting closes: an ``after_close`` duel's counts become public."""
    if duel.extra.get("results") == "after_close":
        client.hset(keys.duel(duel.id), "show_results", "1")
