"""Signed voter tokens, CSRF tokens, proof-of-work challenges and keyed hashes.

Everything here is keyed with the secret key from settings; nothing is stored
server-side except what the ingest script records.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
import time
from dataclasses import dataclass
from functools import lru_cache

from itsdangerous import BadSignature, Signer

from duels import errors

VOTER_COOKIE = "mm_voter"
VOTER_COOKIE_MAX_AGE = 400 * 86400  # browsers cap cookie lifetimes at 400 days
HASH_CHARS = 12
MAX_NONCE_CHARS = 32


def new_voter_id() -> str:
    # 72 random bits: 12 URL-safe characters, compact in the stream and the voters set.
    return secrets.token_urlsafe(9)


class _Signer(Signer):
    """itsdangerous' Signer with the derived key cached (it is re-derived on every call,
    which is half the cost of checking a voter cookie on the hot path)."""

    def __init__(self, secret_key: str, salt: str) -> None:
        super().__init__(secret_key, salt=salt)
        self._derived: dict[bytes | None, bytes] = {}

    def derive_key(self, secret_key: str | bytes | None = None) -> bytes:
        cache_key = secret_key.encode() if isinstance(secret_key, str) else secret_key
        derived = self._derived.get(cache_key)
        if derived is None:
            derived = self._derived[cache_key] = super().derive_key(secret_key)
        return derived


@dataclass(frozen=True, slots=True)
class Challenge:
    token: str
    difficulty: int
    expires_at: int

    def as_json(self) -> dict[str, object]:
        return {
            "challenge": self.token,
            "difficulty": self.difficulty,
            "expires_at": self.expires_at,
        }


@dataclass(frozen=True, slots=True)
class SolvedChallenge:
    """A proof-of-work whose signature, expiry, duel and hash were checked."""

    challenge_id: str
    difficulty: int
    expires_at: int


class VoteSecrets:
    """All keyed operations of voting, built once per process from the secret key."""

    def __init__(self, secret_key: str) -> None:
        self._voter_signer = _Signer(secret_key, salt="mm-voter")
        self._challenge_signer = _Signer(secret_key, salt="mm-pow")
        derived = hashlib.sha256(b"mm-vote-hash\x00" + secret_key.encode()).digest()
        self._hash_base = hmac.new(derived, digestmod=hashlib.sha256)
        self._csrf_key = hashlib.sha256(b"mm-csrf\x00" + secret_key.encode()).digest()
        # Per-IP hashes repeat a lot (a venue NAT is one IP), so cache them.
        self.client_hashes = lru_cache(maxsize=8192)(self._client_hashes)
        self.agent_hashes = lru_cache(maxsize=8192)(self._agent_hashes)

    # Voter cookie -------------------------------------------------------------------------

    def sign_voter(self, voter_id: str) -> str:
        return self._voter_signer.sign(voter_id).decode()

    def voter_from_cookie(self, cookie: str | None) -> str:
        """The voter id inside a signed cookie; 401 when missing, 403 when forged."""
        if not cookie:
            raise errors.Unauthorized(
                "No voter cookie: open the vote page first.", code="voter_token_missing"
            )
        try:
            voter_id = self._voter_signer.unsign(cookie).decode()
        except (BadSignature, UnicodeDecodeError) as exc:
            raise errors.Forbidden(
                "The voter cookie is not valid.", code="voter_token_invalid"
            ) from exc
        if not voter_id or len(voter_id) > 32:
            raise errors.Forbidden("The voter cookie is not valid.", code="voter_token_invalid")
        return voter_id

    def valid_voter_cookie(self, cookie: str | None) -> str | None:
        try:
            return self.voter_from_cookie(cookie)
        except errors.DomainError:
            return None

    # CSRF ---------------------------------------------------------------------------------

    def csrf_token(self, voter_id: str) -> str:
        return hmac.new(self._csrf_key, voter_id.encode(), hashlib.sha256).hexdigest()[:32]

    def check_csrf(self, voter_id: str, token: str | None) -> bool:
        return bool(token) and hmac.compare_digest(self.csrf_token(voter_id), str(token))

    # Keyed hashes (privacy: never the raw IP) --------------------------------------------

    def keyed_hash(self, kind: str, value: str) -> str:
        mac = self._hash_base.copy()
        mac.update(f"{kind}\x00{value}".encode())
        return mac.hexdigest()[:HASH_CHARS]

    def _client_hashes(self, ip: str) -> tuple[str, str]:
        """(network hash, full-IP hash) of a client address."""
        return self.keyed_hash("n", network_of(ip)), self.keyed_hash("ip", ip)

    def _agent_hashes(self, ip: str, user_agent: str) -> tuple[str, str]:
        """(user-agent hash, IP+user-agent hash)."""
        return self.keyed_hash("u", user_agent), self.keyed_hash("ipua", f"{ip}\x00{user_agent}")

    # Proof-of-work -------------------------------------------------------------------------

    def issue_challenge(self, did: str, difficulty: int, ttl_seconds: int) -> Challenge:
        expires_at = int(time.time()) + ttl_seconds
        payload = f"{did}:{difficulty}:{expires_at}:{secrets.token_urlsafe(12)}"
        token = self._challenge_signer.sign(payload).decode()
        return Challenge(token=token, difficulty=difficulty, expires_at=expires_at)

    def check_solution(self, did: str, token: str, nonce: str) -> SolvedChallenge:
        """Verify a solved challenge; raise 403 ``pow_invalid`` when forged, expired,
        for another duel or not enough leading zero bits."""
        try:
            payload = self._challenge_signer.unsign(token).decode()
            challenge_did, difficulty_text, expires_text, challenge_id = payload.split(":")
            difficulty, expires_at = int(difficulty_text), int(expires_text)
        except (BadSignature, UnicodeDecodeError, ValueError) as exc:
            raise _pow_invalid("The challenge is not valid.") from exc
        if challenge_did != did:
            raise _pow_invalid("The challenge belongs to another duel.")
        if expires_at <= time.time():
            raise _pow_invalid("The challenge has expired.")
        if len(nonce) > MAX_NONCE_CHARS or not pow_ok(token, nonce, difficulty):
            raise _pow_invalid("The proof-of-work does not solve the challenge.")
        return SolvedChallenge(challenge_id, difficulty, expires_at)


def _pow_invalid(message: str) -> errors.Forbidden:
    return errors.Forbidden(message, code="pow_invalid")


def leading_zero_bits(digest: bytes) -> int:
    bits = 0
    for byte in digest:
        if byte == 0:
            bits += 8
            continue
        return bits + 8 - byte.bit_length()
    return bits


def pow_ok(challenge: str, nonce: str, difficulty: int) -> bool:
    """SHA-256 of ``challenge:nonce`` starts with ``difficulty`` zero bits."""
    digest = hashlib.sha256(f"{challenge}:{nonce}".encode()).digest()
    return leading_zero_bits(digest) >= difficulty


def solve(challenge: str, difficulty: int) -> str:
    """Brute-force a nonce (what vote.js does in the browser; used by tests and tools)."""
    nonce = 0
    while not pow_ok(challenge, str(nonce), difficulty):
        nonce += 1
    return str(nonce)


def network_of(ip: str) -> str:
    """The /24 (IPv4) or /48 (IPv6) network of an address; the address itself if not one."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ip
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    prefix = 24 if address.version == 4 else 48
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False))
