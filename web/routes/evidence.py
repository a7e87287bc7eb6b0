"""Host API: a duel's evidence (who could vote, counted, held back, refused, timeline)."""

from __future__ import annotations

from typing import Any

import redis
from fastapi import APIRouter, Request

from voting import evidence
from web.deps import Moderator

router = APIRouter(tags=["host"])


@router.get(
    "/api/duels/{did}/evidence",
    summary="Evidence of a duel: counted, held back and refused votes, timeline, what-if",
    description=(
        "`mode` is the admission mode in force (venue, codes, verified, open). `official` "
        "are counted votes per team, `held_back` the votes of groups not included "
        "(`q:<team>`), `provisional` the votes accepted so far. `groups` are the quarantine "
        "groups with their reason, state (pending, included, excluded), votes per team and "
        "the result by votes `with_group` and `without_group` (winner a team id or `tie`); "
        "`could_change_winner` is true when counting the group or not flips the leader, "
        "`winner_at_risk` when a group that is not counted now could. `timeline` lists "
        "non-empty buckets of `bucket_seconds` (`t` epoch seconds, `total`, `by_kind` for "
        "votes not held back, `by_group` for votes of a quarantine group); "
        "`timeline_purged` is true when the votes were purged but counts remain. "
        "`integrity` sums it up: counted, held_back, included_groups, refused and "
        "refused_by_code (refusal code -> attempts), accepted, in_stream, uncounted. "
        "401 without the host token, 404 `unknown_duel`."
    ),
)
def duel_evidence(did: str, request: Request, by: Moderator) -> dict[str, Any]:
    client: redis.Redis = request.app.state.store
    return evidence.duel_evidence(client, request.app.state.settings, did).public()
