"""What a person changes about their own account: the password, the second factor, and
personal API keys, capped at what the person may do themselves.

Secrets of the account page (a TOTP secret being set up, a new key's secret) wait in the
store for the console session that made them, never in a URL.
"""

from __future__ import annotations

import redis

from duels import accounts, api_keys, errors, host_sessions, keys
from duels.access import ROLE_ORDER, ROLE_PERMISSIONS, Principal, Role, permissions
from duels.organisations import scopes_of

TOTP_SETUP_SECONDS = 900
KEY_SHOWN_SECONDS = 300


def hold(client: redis.Redis, sid: str, kind: str, secret: str, seconds: int) -> None:
    client.set(_pending(sid, kind), secret, ex=seconds)


def peek(client: redis.Redis, sid: str, kind: str) -> str:
    return str(client.get(_pending(sid, kind)) or "")


def take(client: redis.Redis, sid: str, kind: str) -> str:
    """The waiting secret, gone from the store once read."""
    return str(client.getdel(_pending(sid, kind)) or "")


def drop(client: redis.Redis, sid: str, kind: str) -> None:
    client.delete(_pending(sid, kind))


def change_password(
    client: redis.Redis, user: accounts.User, current: str, new: str, repeat: str
) -> accounts.User:
    """A new password once the current one is right; every session of the account ends
    (the caller opens a fresh one for the browser that asked)."""
    try:
        accounts.authenticate(client, user.email, current)
    except errors.Forbidden as exc:
        # The password was right; only the second factor was not given (not asked here).
        if exc.code != "totp_required":
            raise
    if new != repeat:
        raise errors.Invalid("The new passwords differ.", code="new_password_mismatch")
    accounts.set_password(client, user.id, new)
    return accounts.get_user(client, user.id)


def start_totp(client: redis.Redis, sid: str, user: accounts.User) -> str:
    if user.has_totp:
        raise errors.Conflict("The second factor is on already.", code="totp_already_on")
    secret = accounts.new_totp_secret()
    hold(client, sid, "totp", secret, TOTP_SETUP_SECONDS)
    return secret


def confirm_totp(client: redis.Redis, sid: str, user: accounts.User, code: str) -> None:
    secret = peek(client, sid, "totp")
    if not secret:
        raise errors.NotFound("Start the set-up again.", code="totp_setup_expired")
    accounts.enable_totp(client, user.id, secret, code)
    drop(client, sid, "totp")


def turn_off_totp(client: redis.Redis, user: accounts.User, code: str) -> None:
    if not user.has_totp:
        raise errors.Conflict("The second factor is off already.", code="totp_already_off")
    accounts.verify_totp(client, user.id, code)
    accounts.disable_totp(client, user.id)


def key_roles(client: redis.Redis, user_id: str) -> list[Role]:
    """Roles a key of this person may be capped at: each one no wider than a role they
    hold somewhere (an owner may make a viewer key, a viewer no host key)."""
    held = [ROLE_PERMISSIONS[role] for role in scopes_of(client, user_id).values()]
    return [role for role in ROLE_ORDER if any(ROLE_PERMISSIONS[role] <= mine for mine in held)]


def create_key(
    client: redis.Redis, user_id: str, name: str, role: str, competition: str = ""
) -> tuple[api_keys.ApiKey, str]:
    chosen = Role(role) if role in {r.value for r in Role} else None
    if chosen is None or chosen not in key_roles(client, user_id):
        raise errors.Forbidden("A key cannot exceed your own role.", code="role_forbidden")
    competition = competition.strip()
    if competition and not permissions(client, Principal("user", user_id=user_id), competition):
        raise errors.NotFound("You hold no role in this competition.", code="unknown_competition")
    return api_keys.create(client, user_id, name, chosen, competition)


def _pending(sid: str, kind: str) -> str:
    return keys.session_pending(host_sessions.session_hash(sid), kind)
