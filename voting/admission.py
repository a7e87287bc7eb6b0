"""Admission credentials (DESIGN.md "Who may vote"): the stage screen's rotating presence
codes and the signed admission pass a phone gets for an attendee code or a confirmed
e-mail address. Keyed with the secret key; no I/O.

- Presence token (venue mode): ``<slot>.<mac>`` for one duel, where ``slot`` numbers the
  ``rotate_seconds`` periods since the epoch. The screen shows the current slot's token;
  a token is accepted while its slot is at most ``grace_seconds`` old.
- Admission pass (codes / verified): the ``mm_admit`` cookie, ``<cid>.<kind>.<subject>.
  <generation>.<mac>``; ``kind`` is ``k`` (attendee code) or ``e`` (e-mail address) and
  ``subject`` the keyed hash the ingest counts one vote per duel for.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import math
import time
from dataclasses import dataclass
from typing import Literal

from duels import errors

ADMISSION_COOKIE = "mm_admit"
ADMISSION_COOKIE_MAX_AGE = 60 * 86400
PRESENCE_PARAM = "p"
SUBJECT_CHARS = 16
MAX_PASS_CHARS = 160
PassKind = Literal["k", "e"]
# The pass kind each admission mode asks for.
PASS_KIND_OF_MODE: dict[str, PassKind] = {"codes": "k", "verified": "e"}


def _mac(key: bytes, message: str, chars: int = 22) -> str:
    digest = hmac.new(key, message.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode()[:chars]


@dataclass(frozen=True, slots=True)
class AdmissionPass:
    competition: str
    kind: PassKind
    subject: str
    generation: int = 0

    @property
    def subject_id(self) -> str:
        """One vote per duel is counted for this id (``k:<hash>`` or ``e:<hash>``)."""
        return f"{self.kind}:{self.subject}"

    @property
    def binding_id(self) -> str:
        """Revoked when the code moves to another phone (``<subject id>:<generation>``)."""
        return f"{self.subject_id}:{self.generation}"


@dataclass(frozen=True, slots=True)
class PresenceToken:
    duel: str
    slot: int
    token: str


class AdmissionSecrets:
    """Presence tokens, admission passes and subject hashes, from the secret key."""

    def __init__(self, secret_key: str, *, rotate_seconds: int = 20, grace_seconds: int = 40):
        self._presence_key = hashlib.sha256(b"mm-presence\x00" + secret_key.encode()).digest()
        self._pass_key = hashlib.sha256(b"mm-admit\x00" + secret_key.encode()).digest()
        self._subject_key = hashlib.sha256(b"mm-subject\x00" + secret_key.encode()).digest()
        self.rotate_seconds = rotate_seconds
        self.grace_slots = math.ceil(grace_seconds / rotate_seconds)

    # Presence (venue mode) ------------------------------------------------------------

    def slot(self, now: float | None = None) -> int:
        return int((time.time() if now is None else now) // self.rotate_seconds)

    def presence_token(self, did: str, now: float | None = None) -> PresenceToken:
        slot = self.slot(now)
        mac = _mac(self._presence_key, f"{did}.{slot}", 16)
        return PresenceToken(did, slot, f"{slot:x}.{mac}")

    def seconds_to_next(self, now: float | None = None) -> float:
        now = time.time() if now is None else now
        return self.rotate_seconds - (now % self.rotate_seconds)

    def check_presence(self, did: str, token: str, now: float | None = None) -> int:
        """The slot of a valid, fresh token; 403 ``presence_invalid`` or ``presence_stale``."""
        slot_text, _, mac = token.partition(".")
        try:
            slot = int(slot_text, 16) if len(slot_text) <= 12 else -1
        except ValueError:
            slot = -1
        expected = _mac(self._presence_key, f"{did}.{slot}", 16)
        if slot < 0 or not hmac.compare_digest(expected, mac):
            raise errors.Forbidden(
                "This is not a code of this duel's screen.", code="presence_invalid"
            )
        current = self.slot(now)
        if slot > current + 1 or slot < current - self.grace_slots:
            raise errors.Forbidden(
                "This code has expired: scan the code on the screen again.", code="presence_stale"
            )
        return slot

    # Admission passes (codes, verified) -----------------------------------------------

    def subject_hash(self, kind: PassKind, value: str) -> str:
        """Keyed hash of a normalised code or e-mail address (never stored in clear)."""
        return hmac.new(self._subject_key, f"{kind}\x00{value}".encode(), "sha256").hexdigest()[
            :SUBJECT_CHARS
        ]

    def sign_pass(self, admission: AdmissionPass) -> str:
        body = (
            f"{admission.competition}.{admission.kind}.{admission.subject}.{admission.generation}"
        )
        return f"{body}.{_mac(self._pass_key, body)}"

    def read_pass(self, cookie: str | None) -> AdmissionPass | None:
        """The pass inside a cookie, or None when missing, malformed or forged."""
        if not cookie or len(cookie) > MAX_PASS_CHARS:
            return None
        body, _, mac = cookie.rpartition(".")
        if not body or not hmac.compare_digest(_mac(self._pass_key, body), mac):
            return None
        parts = body.split(".")
        if len(parts) != 4 or parts[1] not in ("k", "e") or not parts[3].isdigit():
            return None
        kind: PassKind = "k" if parts[1] == "k" else "e"
        return AdmissionPass(parts[0], kind, parts[2], int(parts[3]))


def cookie_value(cookie_header: str, name: str) -> str | None:
    """One cookie's value from a raw ``Cookie`` header (the hot path parses no more)."""
    for part in cookie_header.split(";"):
        key, _, value = part.strip().partition("=")
        if key == name:
            return value.strip('"')
    return None
