"""Console sessions of organisers: log in with e-mail, password and (when set up) a TOTP
code, a random session id in the cookie (the record lives in Redis:
duels/host_sessions.py), CSRF tokens bound to the session for every form, and a brake on
guessing passwords (duels/login_brake.py)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from typing import TypeVar

from starlette.requests import Request
from starlette.responses import Response

from duels import accounts, errors, host_sessions, login_brake
from duels.settings import Settings
from web.audience import client_ip

T = TypeVar("T")
SESSION_COOKIE = "mm_host"
CSRF_COOKIE = "mm_csrf"
ONCE_KINDS = ("invite", "screen")
_UNCHECKED = object()


def session_id(request: Request) -> str | None:
    """The request's live session id, checked once per request (web/console_guard.py
    checks it first for every console path)."""
    _check_session(request)
    return request.state.host_session  # type: ignore[no-any-return]


def session_user(request: Request) -> str | None:
    """The user id of the request's live session."""
    _check_session(request)
    return request.state.session_user  # type: ignore[no-any-return]


def is_logged_in(request: Request) -> bool:
    return session_id(request) is not None


def _check_session(request: Request) -> None:
    if getattr(request.state, "host_session", _UNCHECKED) is not _UNCHECKED:
        return
    raw = request.cookies.get(SESSION_COOKIE)
    settings: Settings = request.app.state.settings
    uid = host_sessions.check(request.app.state.store, settings, str(raw)) if raw else None
    request.state.host_session = raw if uid else None
    request.state.session_user = uid


def log_in(request: Request, response: Response, email: str, password: str, code: str) -> None:
    """Check the credentials (braked per address and account) and open a session."""
    client = request.app.state.store
    user = braked(request, lambda: accounts.authenticate(client, email, password, code))
    open_session(request, response, user)


def braked(request: Request, check: Callable[[], T]) -> T:
    """Run a check of a password or a TOTP code under the login brake
    (duels/login_brake.py): the login's, and the account page's, so a stolen session
    cannot guess either freely. "Enter your code" is no failure."""
    settings: Settings = request.app.state.settings
    client = request.app.state.store
    address = login_brake.address_hash(settings.secret_key_value(), client_ip(request))
    login_brake.check(client, address)
    try:
        result = check()
    except errors.Forbidden as exc:
        if exc.code == "totp_required":
            raise
        raise login_brake.failed(client, address, exc) from None
    login_brake.succeeded(client, address)
    return result


def open_session(
    request: Request, response: Response, user: accounts.User, address: str | None = None
) -> None:
    """A fresh session id for ``user`` (also after accepting an invitation or a reset)."""
    settings: Settings = request.app.state.settings
    client = request.app.state.store
    if address is None:
        address = login_brake.address_hash(settings.secret_key_value(), client_ip(request))
    previous = session_id(request)
    if previous:
        host_sessions.end(client, previous)  # a new id on every login
    sid = host_sessions.start(client, settings, address, user)
    request.state.host_session = sid
    request.state.session_user = user.id
    _set_cookie(response, settings, SESSION_COOKIE, sid, settings.host_session_max_seconds)


def log_out(request: Request, response: Response) -> None:
    sid = session_id(request)
    if sid:
        host_sessions.end(request.app.state.store, sid)
    request.state.host_session = None
    response.delete_cookie(SESSION_COOKIE, path="/")


def log_out_everywhere(request: Request, response: Response) -> None:
    """End every session of this account, this one included."""
    uid = session_user(request)
    if uid:
        accounts.end_sessions(request.app.state.store, uid)
    log_out(request, response)


def keep_once(request: Request, cid: str, kind: str, secret: str) -> None:
    """Show ``secret`` on this session's next view of competition ``cid``, and only there."""
    sid = session_id(request)
    if sid and kind in ONCE_KINDS:
        host_sessions.keep_once(request.app.state.store, sid, cid, kind, secret)


def take_once(request: Request, cid: str) -> dict[str, str]:
    sid = session_id(request)
    if not sid:
        return {}
    return host_sessions.take_once(request.app.state.store, sid, cid, ONCE_KINDS)


def csrf_token(request: Request, response: Response | None = None) -> str:
    """The token for forms on this page; sets the CSRF cookie when missing."""
    settings: Settings = request.app.state.settings
    seed = request.cookies.get(CSRF_COOKIE) or getattr(request.state, "csrf_seed", None)
    if not seed:
        seed = secrets.token_urlsafe(16)
        request.state.csrf_seed = seed
    if response is not None and request.cookies.get(CSRF_COOKIE) != seed:
        _set_cookie(response, settings, CSRF_COOKIE, seed, settings.host_session_max_seconds)
    return _csrf_for(settings, seed, session_id(request))


def check_csrf(request: Request, submitted: str | None) -> None:
    seed = request.cookies.get(CSRF_COOKIE)
    settings: Settings = request.app.state.settings
    expected = _csrf_for(settings, seed, session_id(request)) if seed else ""
    if not seed or not submitted or not hmac.compare_digest(submitted, expected):
        raise errors.Forbidden("The form has expired; reload the page.", code="csrf_failed")


def _csrf_for(settings: Settings, seed: str, sid: str | None) -> str:
    """Bound to the cookie's seed and, once logged in, to the session: a token (or a
    planted seed cookie) of one session is worth nothing in another."""
    key = settings.secret_key_value().encode()
    bound = f"csrf:{seed}:{host_sessions.session_hash(sid)}" if sid else f"csrf:{seed}"
    return hmac.new(key, bound.encode(), hashlib.sha256).hexdigest()


def _set_cookie(response: Response, settings: Settings, name: str, value: str, age: int) -> None:
    response.set_cookie(
        name,
        value,
        max_age=age,
        httponly=True,
        samesite="strict",
        secure=settings.secure_cookies,
        path="/",
    )
