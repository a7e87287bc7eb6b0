"""Admission mode of competitions and duels (DESIGN.md "Who may vote"), and the revoked
admission subjects the ingest must refuse.

The competition's mode applies to every duel that has not opened yet, unless the host
chose another mode for that duel; the mode in force is written into the duel record when
voting opens (``tournament.open_voting``) and stays fixed while it runs.
"""

from __future__ import annotations

from typing import cast

import redis

from duels import keys, store
from duels.errors import Conflict, Invalid
from duels.records import ADMISSION_MODES, AdmissionMode, Competition, Duel, admission_mode

# What each mode means, for the console and the API docs.
DESCRIPTIONS: dict[str, str] = {
    "venue": "Only phones that scanned the stage screen's rotating code may vote.",
    "codes": "One printed attendee code per person; one vote per code and duel.",
    "verified": "One vote per confirmed e-mail address and duel (online voting).",
    "open": "Anyone with the link; cannot tell a venue Wi-Fi from a bot (low stakes only).",
}


def parse_mode(value: str) -> AdmissionMode:
    if value not in ADMISSION_MODES:
        raise Invalid(
            f"Unknown admission mode {value!r}; use one of {', '.join(ADMISSION_MODES)}.",
            code="invalid_admission",
        )
    return admission_mode(value)


def check_mode_usable(mode: str, *, mail_ready: bool) -> None:
    """``verified`` needs a way to send mail (SMTP, or the development log)."""
    if mode == "verified" and not mail_ready:
        raise Conflict(
            "Verified voting needs MACHMAL_SMTP_URL (production sends real mail).",
            code="smtp_required",
        )


def effective_mode(competition: Competition, duel: Duel) -> AdmissionMode:
    """The mode a duel opens with: the host's choice for it, else the competition's."""
    return admission_mode(duel.admission_choice or None, competition.admission)


def set_competition_mode(
    client: redis.Redis, cid: str, mode: str, *, mail_ready: bool, actor: str = "host"
) -> Competition:
    chosen = parse_mode(mode)
    check_mode_usable(chosen, mail_ready=mail_ready)
    competition = store.get_competition(client, cid)
    client.hset(keys.competition(cid), "admission", chosen)
    store.audit(
        client, cid, actor, "admission", duel="", mode=chosen, previous=competition.admission
    )
    return store.get_competition(client, cid)


def set_duel_mode(
    client: redis.Redis, did: str, mode: str, *, mail_ready: bool, actor: str = "host"
) -> Duel:
    """The host's mode for one duel ("" = the competition's), until the duel opens."""
    chosen = parse_mode(mode) if mode else ""
    if chosen:
        check_mode_usable(chosen, mail_ready=mail_ready)
    duel = store.get_duel(client, did)
    if duel.status != "pending":
        raise Conflict(
            "Voting of this duel has opened; its admission mode is fixed.", code="already_opened"
        )
    client.hset(keys.duel(did), "admission_choice", chosen)
    store.audit(
        client, duel.competition, actor, "admission", duel=did, mode=chosen or "competition"
    )
    return store.get_duel(client, did)


def prepare_opening(client: redis.Redis, duel: Duel, *, mail_ready: bool) -> AdmissionMode:
    """The mode the duel opens with; mirrors the competition's revoked subjects into it."""
    competition = store.get_competition(client, duel.competition)
    mode = effective_mode(competition, duel)
    check_mode_usable(mode, mail_ready=mail_ready)
    revoked = cast(set[str], client.smembers(keys.revoked(duel.competition)))
    if revoked:
        client.sadd(keys.duel_revoked(duel.id), *revoked)
    return mode


def revoke_subjects(client: redis.Redis, cid: str, *subjects: str) -> None:
    """Refuse these admission subjects from now on, in every duel of the competition
    (the ingest reads each duel's own copy: one hash slot per vote)."""
    if not subjects:
        return
    client.sadd(keys.revoked(cid), *subjects)
    pipe = client.pipeline(transaction=False)
    for duel in store.duels_of_competition(client, cid):
        if duel.status in ("voting", "closed", "pending"):
            pipe.sadd(keys.duel_revoked(duel.id), *subjects)
    pipe.execute()


def restore_subjects(client: redis.Redis, cid: str, *subjects: str) -> None:
    """Undo :func:`revoke_subjects` (a code re-activated by a host)."""
    if not subjects:
        return
    client.srem(keys.revoked(cid), *subjects)
    pipe = client.pipeline(transaction=False)
    for duel in store.duels_of_competition(client, cid):
        pipe.srem(keys.duel_revoked(duel.id), *subjects)
    pipe.execute()
