"""Everything one phone's vote page reads, in one round trip: ``page.lua`` reads the duel,
the voter's state and counts (and counts a new voter of its network and, for the reach
figures, the page view once per voter and day), and the team and company names come from a
per-process :class:`~voting.page.Roster`."""

from __future__ import annotations

from pathlib import Path

import redis.asyncio as aioredis

from duels import keys
from voting import reach
from voting.batcher import ScriptBatcher
from voting.ingest import NEW_VOTERS_LUA
from voting.page import DuelView, Roster, VoterState, view_of, voter_state_of

SCRIPT = NEW_VOTERS_LUA + (Path(__file__).parent / "page.lua").read_text("utf-8")


def _hash(flat: list[str]) -> dict[str, str]:
    return dict(zip(flat[::2], flat[1::2], strict=True))


class PageReader:
    def __init__(self, client: aioredis.Redis, timeout: float) -> None:
        self.client = client
        self.batcher = ScriptBatcher(client, SCRIPT, timeout=timeout)
        self.roster = Roster()

    async def load(
        self,
        did: str,
        voter_id: str | None,
        subject: str | None,
        subject_competition: str,
        *,
        valid_ms: int,
        network_key: str,
        mint_interval_us: int,
        new_voter: bool,
        viewer: str = "",
        day: str = "",
    ) -> tuple[DuelView, VoterState, int] | None:
        """The duel's view, the voter's state and the new voters its network minted lately
        (``network_key``, ``ingest.mint_key``: each counts for ``mint_interval_us``; the visit
        of a ``new_voter`` counts there); None for an unknown duel. ``subject`` (an admission
        pass's) counts only in ``subject_competition``. A ``viewer`` (the voter id of the
        page's cookie, also the one just minted; "" for a bot) is counted as a view of the
        page on ``day`` once (``voting.reach``), in the same step."""
        script_keys: tuple[str, ...] = (
            keys.duel(did),
            keys.voters(did),
            keys.provisional(did),
            keys.present(did),
            keys.subjects(did),
            network_key,
        )
        args: tuple[str, ...] = (
            voter_id or "",
            subject or "",
            "1" if new_voter else "0",
            subject_competition,
            str(mint_interval_us),
        )
        if viewer and day:
            script_keys += (keys.reach(did), keys.reach_seen(did, day))
            args += (viewer, day, str(reach.SEEN_TTL_SECONDS))
        reply = await self.batcher.call(script_keys, args)
        if not reply:
            return None
        record, voted, counts, mark, subject_voted, minted = reply[:6]
        view = await view_of(self.client, did, _hash(record), self.roster)
        state = voter_state_of(
            voter_id, subject, voted, _hash(counts), mark, subject_voted, valid_ms
        )
        return view, state, int(minted)
