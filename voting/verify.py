"""The ``verified`` admission mode (DESIGN.md "Who may vote"): a phone asks for a link to
an e-mail address, the link confirms the address once, and the phone gets an admission
pass of kind ``e`` for the keyed hash of the normalised address.

The link token is signed (salt ``mm-verify``) and carries competition, duel, subject hash,
a random link id and its expiry; a used link id is remembered until the link expires.
Mails are limited per address, domain and network (``mail_rate.lua``, one fixed window
per key, all keys under the competition's hash tag). Blocking client; no web imports.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from pathlib import Path

import redis
from itsdangerous import BadSignature, URLSafeSerializer
from redis.commands.core import Script

from duels import errors, keys
from duels.settings import Settings
from voting import email
from voting.admission import AdmissionSecrets

SOURCE = (Path(__file__).parent / "mail_rate.lua").read_text("utf-8")
SALT = "mm-verify"
MAX_TOKEN_CHARS = 400
MAIL_WINDOW_SECONDS = 3600

_script: Script | None = None


@dataclass(frozen=True, slots=True)
class VerifyLink:
    competition: str
    duel: str
    subject: str  # AdmissionSecrets.subject_hash("e", normalised address)
    link_id: str
    expires: int  # epoch seconds


@dataclass(frozen=True, slots=True)
class MailOrder:
    """One verification mail to send: the only place the address exists in clear."""

    to: str
    link: str
    minutes: int


class LinkRefused(errors.Forbidden):
    """403 ``verify_invalid`` / ``verify_expired``, 409 ``verify_used``; ``duel`` when known."""

    def __init__(self, message: str, *, code: str, duel: str = "") -> None:
        super().__init__(message, code=code)
        self.duel = duel


class LinkSigner:
    def __init__(self, secret_key: str) -> None:
        self._serializer = URLSafeSerializer(secret_key, salt=SALT)

    def sign(self, link: VerifyLink) -> str:
        fields = [link.competition, link.duel, link.subject, link.link_id, link.expires]
        return str(self._serializer.dumps(fields))

    def read(self, token: str, now: float | None = None) -> VerifyLink:
        """The link inside ``token``; :class:`LinkRefused` ``verify_invalid`` / ``_expired``."""
        invalid = LinkRefused("This confirmation link is not valid.", code="verify_invalid")
        if len(token) > MAX_TOKEN_CHARS:
            raise invalid
        try:
            fields = self._serializer.loads(token)
        except BadSignature as exc:
            raise invalid from exc
        if (
            not isinstance(fields, list)
            or len(fields) != 5
            or not all(isinstance(field, str) for field in fields[:4])
            or not isinstance(fields[4], int)
        ):
            raise invalid
        link = VerifyLink(*fields)
        if link.expires <= (time.time() if now is None else now):
            raise LinkRefused(
                "This link has expired; ask for a new one.", code="verify_expired", duel=link.duel
            )
        return link


def _limit(client: redis.Redis, counters: dict[str, int]) -> int:
    global _script
    if _script is None:
        _script = Script(client, SOURCE)
    wait = _script(
        keys=list(counters), args=[MAIL_WINDOW_SECONDS, *counters.values()], client=client
    )
    return int(wait)


def request_link(
    client: redis.Redis,
    settings: Settings,
    admission: AdmissionSecrets,
    did: str,
    raw_address: str,
    network_hash: str,
    now: float | None = None,
) -> MailOrder:
    """Check the address and the limits and sign a link for it.

    404 ``unknown_duel``; 409 ``email_not_needed`` (the duel is not in verified mode);
    422 ``email_invalid`` / ``email_disposable``; 429 ``email_throttled``.
    """
    cid, mode = (
        str(value or "") for value in client.hmget(keys.duel(did), ["competition", "admission"])
    )
    if not cid:
        raise errors.NotFound("There is no such duel.", code="unknown_duel")
    if mode != "verified":
        raise errors.Conflict(
            "This duel does not ask for an e-mail address.", code="email_not_needed"
        )
    address = email.parse(raw_address)
    subject = admission.subject_hash("e", address.normalised)
    wait = _limit(
        client,
        {
            keys.mail_rate(cid, "a", subject): settings.verify_mails_per_address_per_hour,
            keys.mail_rate(cid, "d", admission.subject_hash("e", "@" + address.domain)): (
                settings.verify_mails_per_domain_per_hour
            ),
            keys.mail_rate(cid, "n", network_hash): settings.verify_mails_per_network_per_hour,
        },
    )
    if wait:
        raise errors.Throttled(
            "Too many confirmation links; try again later.",
            retry_after=wait,
            code="email_throttled",
        )
    expires = int(time.time() if now is None else now) + settings.verify_link_seconds
    link = VerifyLink(cid, did, subject, secrets.token_urlsafe(12), expires)
    token = LinkSigner(settings.secret_key_value()).sign(link)
    minutes = max(1, settings.verify_link_seconds // 60)
    return MailOrder(address.typed, f"{settings.public_url}/verify/{token}", minutes)


def is_used(client: redis.Redis, link: VerifyLink) -> bool:
    return bool(client.exists(keys.verify_used(link.competition, link.link_id)))


def confirm(client: redis.Redis, link: VerifyLink, now: float | None = None) -> None:
    """Spend the link (once); :class:`LinkRefused` ``verify_used`` when it was used before."""
    ttl = max(1, link.expires - int(time.time() if now is None else now))
    if not client.set(keys.verify_used(link.competition, link.link_id), "1", nx=True, ex=ttl):
        raise LinkRefused(
            "This confirmation link was already used.", code="verify_used", duel=link.duel
        )
