"""Host console sessions: log in with the host token, a signed session cookie,
CSRF tokens for every form, and a brake on guessing the token."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.requests import Request
from starlette.responses import Response

from duels import errors, keys
from duels.settings import Settings

SESSION_COOKIE = "mm_host"
CSRF_COOKIE = "mm_csrf"
SESSION_SECONDS = 12 * 3600
LOGIN_ATTEMPTS = 5
LOGIN_WINDOW = 300


def _serializer(settings: Settings) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings.secret_key_value(), salt="host-session")


def is_logged_in(request: Request) -> bool:
    raw = request.cookies.get(SESSION_COOKIE)
    if not raw:
        return False
    try:
        _serializer(request.app.state.settings).loads(raw, max_age=SESSION_SECONDS)
    except BadSignature:
        return False
    return True


def log_in(request: Request, response: Response, token: str) -> None:
    """Check the token (throttled per client) and set the session cookie."""
    settings: Settings = request.app.state.settings
    client = request.app.state.store
    attempts_key = keys.login_failures(_client_hash(request))
    failures = int(client.get(attempts_key) or 0)
    if failures >= LOGIN_ATTEMPTS:
        retry = max(1, int(client.ttl(attempts_key)))
        raise errors.Throttled("Too many failed logins.", retry_after=retry, code="login_throttled")
    if not hmac.compare_digest(token.encode(), settings.host_token_value().encode()):
        pipe = client.pipeline()
        pipe.incr(attempts_key)
        pipe.expire(attempts_key, LOGIN_WINDOW)
        pipe.execute()
        raise errors.Forbidden("The host token is not valid.", code="host_token_invalid")
    client.delete(attempts_key)
    value = _serializer(settings).dumps({"sid": secrets.token_urlsafe(16)})
    _set_cookie(response, settings, SESSION_COOKIE, value, SESSION_SECONDS)


def log_out(request: Request, response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/")


def csrf_token(request: Request, response: Response | None = None) -> str:
    """The token for forms on this page; sets the CSRF cookie when missing."""
    settings: Settings = request.app.state.settings
    seed = request.cookies.get(CSRF_COOKIE) or getattr(request.state, "csrf_seed", None)
    if not seed:
        seed = secrets.token_urlsafe(16)
        request.state.csrf_seed = seed
    if response is not None and request.cookies.get(CSRF_COOKIE) != seed:
        _set_cookie(response, settings, CSRF_COOKIE, seed, SESSION_SECONDS)
    return _csrf_for(settings, seed)


def check_csrf(request: Request, submitted: str | None) -> None:
    seed = request.cookies.get(CSRF_COOKIE)
    expected = _csrf_for(request.app.state.settings, seed) if seed else ""
    if not seed or not submitted or not hmac.compare_digest(submitted, expected):
        raise errors.Forbidden("The form has expired; reload the page.", code="csrf_failed")


def _csrf_for(settings: Settings, seed: str) -> str:
    key = settings.secret_key_value().encode()
    return hmac.new(key, f"csrf:{seed}".encode(), hashlib.sha256).hexdigest()


def _client_hash(request: Request) -> str:
    host = request.client.host if request.client else "unknown"
    key = request.app.state.settings.secret_key_value().encode()
    return hmac.new(key, host.encode(), hashlib.sha256).hexdigest()[:16]


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
