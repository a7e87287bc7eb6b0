"""Organiser accounts: e-mail + Argon2id password, an optional TOTP second factor, and
one-time links (invitation, password reset) of which the store keeps only the SHA-256.

Changing the password (or "log out everywhere") bumps the account's ``generation``;
every session carries the generation it was opened with and dies with the old one.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import pyotp
import redis
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from redis.commands.core import Script

from duels import errors, keys
from duels.records import new_id

MIN_PASSWORD = 10
MAX_PASSWORD = 256
INVITE_SECONDS = 7 * 24 * 3600
RESET_SECONDS = 3600
TOTP_ISSUER = "Mach mal"
_EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}")
# RFC 9106's second recommended option (64 MiB, 3 passes): memory-hard, ~50 ms here.
_HASHER = PasswordHasher(time_cost=3, memory_cost=65536, parallelism=1)
# A constant-time stand-in so an unknown e-mail costs as long as a wrong password.
_DUMMY_HASH = _HASHER.hash(secrets.token_urlsafe(16))


@dataclass(frozen=True, slots=True)
class User:
    id: str
    email: str
    name: str
    has_totp: bool
    generation: int
    created_at: float

    @classmethod
    def from_record(cls, uid: str, data: dict[str, str]) -> User:
        return cls(
            id=uid,
            email=data.get("email", ""),
            name=data.get("name", ""),
            has_totp=bool(data.get("totp")),
            generation=int(data.get("generation", 0)),
            created_at=float(data.get("created", 0)),
        )


def normalise_email(email: str) -> str:
    cleaned = (email or "").strip().lower()
    if len(cleaned) > 254 or not _EMAIL.fullmatch(cleaned):
        raise errors.Invalid("This is not an e-mail address.", code="invalid_email")
    return cleaned


def check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise errors.Invalid(
            f"The password needs at least {MIN_PASSWORD} characters.", code="password_too_short"
        )
    if len(password) > MAX_PASSWORD:
        raise errors.Invalid("The password is too long.", code="password_too_long")
    return password


def create_user(client: redis.Redis, email: str, password: str, name: str = "") -> User:
    email = normalise_email(email)
    check_password(password)
    uid = new_id("u")
    if not client.hsetnx(keys.USER_EMAILS, email, uid):
        raise errors.Conflict("An account with this e-mail exists.", code="email_taken")
    now = time.time()
    record: dict[str, str] = {
        "email": email,
        "name": " ".join(name.split())[:80],
        "password": _HASHER.hash(password),
        "generation": "1",
        "created": repr(now),
    }
    pipe = client.pipeline(transaction=False)
    pipe.hset(keys.user(uid), mapping=record)  # type: ignore[arg-type]
    pipe.hset(keys.USERS, uid, email)
    pipe.execute()
    return User.from_record(uid, record)


def get_user(client: redis.Redis, uid: str) -> User:
    data: dict[str, str] = client.hgetall(keys.user(uid))  # type: ignore[assignment]
    if not data:
        raise errors.NotFound("Unknown account.", code="unknown_user")
    return User.from_record(uid, data)


def find_user(client: redis.Redis, email: str) -> User | None:
    try:
        uid = client.hget(keys.USER_EMAILS, normalise_email(email))
    except errors.Invalid:
        return None
    return get_user(client, str(uid)) if uid else None


def list_users(client: redis.Redis) -> list[User]:
    uids: list[str] = client.hkeys(keys.USERS)  # type: ignore[assignment]
    return sorted((get_user(client, uid) for uid in uids), key=lambda user: user.email)


def authenticate(client: redis.Redis, email: str, password: str, code: str = "") -> User:
    """The account for these credentials; ``totp_required`` when a second factor is set
    and ``code`` is empty. Every failure looks the same apart from that."""
    wrong = errors.Forbidden("E-mail or password is wrong.", code="login_invalid")
    user = find_user(client, email)
    stored = client.hget(keys.user(user.id), "password") if user else None
    try:
        _HASHER.verify(str(stored) if stored else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        raise wrong from None
    if user is None or not stored:
        raise wrong
    if _HASHER.check_needs_rehash(str(stored)):
        client.hset(keys.user(user.id), "password", _HASHER.hash(password))
    if user.has_totp:
        if not code.strip():
            raise errors.Forbidden(
                "Enter the code of your authenticator app.", code="totp_required"
            )
        verify_totp(client, user.id, code)
    return user


def set_password(client: redis.Redis, uid: str, password: str) -> None:
    """New password; every session of the account ends."""
    check_password(password)
    get_user(client, uid)
    pipe = client.pipeline(transaction=False)
    pipe.hset(keys.user(uid), "password", _HASHER.hash(password))
    pipe.hincrby(keys.user(uid), "generation", 1)
    pipe.execute()


def end_sessions(client: redis.Redis, uid: str) -> None:
    """Log out everywhere: sessions opened before now are no longer valid."""
    client.hincrby(keys.user(uid), "generation", 1)


# Second factor ---------------------------------------------------------------------


def new_totp_secret() -> str:
    return pyotp.random_base32()


def totp_uri(secret: str, email: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=TOTP_ISSUER)


def enable_totp(client: redis.Redis, uid: str, secret: str, code: str) -> None:
    """Turn the second factor on once the app shows a matching code."""
    step = _matching_step(secret, code)
    if step is None:
        raise errors.Invalid("The code does not match.", code="totp_invalid")
    client.hset(keys.user(uid), mapping={"totp": secret, "totp_step": str(step)})


def disable_totp(client: redis.Redis, uid: str) -> None:
    client.hdel(keys.user(uid), "totp", "totp_step")


def verify_totp(client: redis.Redis, uid: str, code: str) -> None:
    """A code counts once: a step at or before the last one used is refused (replay),
    checked and recorded in one script (``totp_step.lua``)."""
    step = _matching_step(str(client.hget(keys.user(uid), "totp") or ""), code)
    if step is None or not _use_step(client, uid, step):
        raise errors.Forbidden("The code is not valid.", code="totp_invalid")


_step_script: Script | None = None


def _use_step(client: redis.Redis, uid: str, step: int) -> bool:
    global _step_script
    if _step_script is None:
        _step_script = Script(client, (Path(__file__).parent / "totp_step.lua").read_text("utf-8"))
    return bool(_step_script(keys=[keys.user(uid)], args=[step], client=client))


def _matching_step(secret: str, code: str, now: float | None = None) -> int | None:
    code = "".join(code.split())
    if not secret or not code.isdigit() or len(code) != 6:
        return None
    totp = pyotp.TOTP(secret)
    step = int((time.time() if now is None else now) // totp.interval)
    for candidate in (step, step - 1, step + 1):  # one step of clock drift either way
        if secrets.compare_digest(totp.generate_otp(candidate), code):
            return candidate
    return None


# One-time links --------------------------------------------------------------------


def issue_link(client: redis.Redis, purpose: str, seconds: int, **data: Any) -> str:
    """A one-time token for an invitation or a password reset; the store keeps its hash."""
    token = secrets.token_urlsafe(32)
    payload = orjson.dumps({"purpose": purpose, "issued": time.time(), **data})
    client.set(keys.account_token(_digest(token)), payload, ex=seconds)
    return token


def peek_link(client: redis.Redis, token: str, purpose: str) -> dict[str, Any]:
    raw = client.get(keys.account_token(_digest(token))) if token else None
    return _link_data(raw, purpose)


def use_link(client: redis.Redis, token: str, purpose: str) -> dict[str, Any]:
    """Read and delete in one step: two tabs cannot both use one link."""
    raw = client.getdel(keys.account_token(_digest(token))) if token else None
    return _link_data(raw, purpose)


def _link_data(raw: Any, purpose: str) -> dict[str, Any]:
    data: dict[str, Any] = orjson.loads(raw) if raw else {}
    if data.get("purpose") != purpose:
        raise errors.NotFound("This link is not valid (any more).", code="link_invalid")
    return data


def request_reset(client: redis.Redis, email: str) -> tuple[User, str] | None:
    """A reset link for the account, or None when there is none (say the same either way)."""
    user = find_user(client, email)
    if user is None:
        return None
    return user, issue_link(client, "reset", RESET_SECONDS, user=user.id, gen=user.generation)


def reset_password(client: redis.Redis, token: str, password: str) -> User:
    check_password(password)
    data = use_link(client, token, "reset")
    user = get_user(client, str(data.get("user", "")))
    if int(data.get("gen", -1)) != user.generation:
        raise errors.NotFound("This link is not valid (any more).", code="link_invalid")
    set_password(client, user.id, password)
    return get_user(client, user.id)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
