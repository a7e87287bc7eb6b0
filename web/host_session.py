"""Host console sessions: log in with the host token, a random session id in the cookie
(the record lives in Redis: duels/host_sessions.py), CSRF tokens bound to the session for
every form, and a brake on guessing the token (duels/login_brake.py)."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from starlette.requests import Request
from starlette.responses import Response

from duels import errors, host_sessions, login_brake
from duels.settings import Settings
from web.audience import client_ip

SESSION_COOKIE = "mm_host"
CSRF_COOKIE = "mm_csrf"
ONCE_KINDS = ("invite", "screen")
_UNCHECKED = object()


def session_id(request: Request) -> str | None:
    """The request's live session id, checked once per request (web/console_guard.py
    checks it first for every console path)."""
    known = getattr(request.state, "host_session", _UNCHECKED)
    if known is not _UNCHECKED:
        return known  # type: ignore[return-value]
    raw = request.cookies.get(SESSION_COOKIE)
    settings: Settings = request.app.state.settings
    live = bool(raw) and host_sessions.check(request.app.state.store, settings, str(raw))
    request.state.host_session = raw if live else None
    return request.state.host_session  # type: ignore[no-any-return]


def is_logged_in(request: Request) -> bool:
    return session_id(request) is not None


def log_in(request: Request, response: Response, token: str) -> None:
    """Check the token (braked per address and account) and open a session."""
    settings: Settings = request.app.state.settings
    client = request.app.state.store
    address = login_brake.address_hash(settings.secret_key_value(), client_ip(request))
    login_brake.check(client, address)
    if not hmac.compare_digest(token.encode(), settings.host_token_value().encode()):
        raise login_brake.failed(client, address)
    login_brake.succeeded(client, address)
    previous = session_id(request)
    if previous:
        host_sessions.end(client, previous)  # a new id on every login
    sid = host_sessions.start(client, settings, address)
    request.state.host_session = sid
    _set_cookie(response, settings, SESSION_COOKIE, sid, settings.host_session_max_seconds)


def log_out(request: Request, response: Response) -> None:
    sid = session_id(request)
    if sid:
        host_sessions.end(request.app.state.store, sid)
    request.state.host_session = None
    response.delete_cookie(SESSION_COOKIE, path="/")


def log_out_everywhere(request: Request, response: Response) -> None:
    host_sessions.end_all(request.app.state.store)
    request.state.host_session = None
    response.delete_cookie(SESSION_COOKIE, path="/")


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
