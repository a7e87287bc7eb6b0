"""The organiser's own account page: password, second factor (TOTP), personal API keys.
Secrets it shows (a TOTP secret being set up, a new key) wait server-side for this
session (duels/account_settings.py), never in a URL."""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Annotated

import redis
from fastapi import APIRouter, Form, Request
from starlette.responses import HTMLResponse, Response

from duels import account_settings, accounts, api_keys, organisations
from voting import qr
from web import host_session
from web.deps import Person
from web.routes.host_console import EVENT_TIMEZONE, _act, _page

router = APIRouter(prefix="/host/account", include_in_schema=False)
Field = Annotated[str, Form()]
Code = Annotated[str, Form(max_length=12)]
BACK = "/host/account"


def _store(request: Request) -> redis.Redis:
    return request.app.state.store  # type: ignore[no-any-return]


def _sid(request: Request) -> str:
    return host_session.session_id(request) or ""


@router.get("")
def account_page(request: Request, user: Person) -> HTMLResponse:
    client, sid = _store(request), _sid(request)
    totp_secret = "" if user.has_totp else account_settings.peek(client, sid, "totp")
    index = organisations.console_index(client, user.id)
    return _page(
        request,
        "host/account.html",
        {
            "user": user,
            "totp_secret": totp_secret,
            "totp_qr": _qr_data_uri(accounts.totp_uri(totp_secret, user.email))
            if totp_secret
            else "",
            "api_keys": [_key_row(key) for key in api_keys.list_keys(client, user.id)],
            "new_key": account_settings.take(client, sid, "api-key"),
            "key_roles": account_settings.key_roles(client, user.id),
            "competitions": index["competitions"],
        },
    )


@router.post("/password")
def change_password(
    request: Request, csrf: Field, current: Field, new: Field, repeat: Field, user: Person
) -> Response:
    changed: list[accounts.User] = []

    def action() -> None:
        client = _store(request)
        changed.append(account_settings.change_password(client, user, current, new, repeat))

    response = _act(
        request, csrf, BACK, lambda: host_session.braked(request, action), "password_changed"
    )
    if changed:  # every session ended: this browser gets a fresh one
        host_session.open_session(request, response, changed[0])
    return response


@router.post("/totp/setup")
def start_totp(request: Request, csrf: Field, user: Person) -> Response:
    client, sid = _store(request), _sid(request)
    return _act(
        request, csrf, BACK, lambda: account_settings.start_totp(client, sid, user), "totp_started"
    )


@router.post("/totp/confirm")
def confirm_totp(request: Request, csrf: Field, code: Code, user: Person) -> Response:
    client, sid = _store(request), _sid(request)
    return _act(
        request, csrf, BACK,
        lambda: account_settings.confirm_totp(client, sid, user, code), "totp_enabled",
    )  # fmt: skip


@router.post("/totp/off")
def turn_off_totp(request: Request, csrf: Field, code: Code, user: Person) -> Response:
    def action() -> None:
        account_settings.turn_off_totp(_store(request), user, code)

    return _act(request, csrf, BACK, lambda: host_session.braked(request, action), "totp_disabled")


@router.post("/keys")
def create_key(
    request: Request, csrf: Field, name: Field, role: Field, user: Person,
    competition: Annotated[str, Form(max_length=40)] = "",
) -> Response:  # fmt: skip
    client, sid = _store(request), _sid(request)

    def action() -> None:
        secret = account_settings.create_key(client, user.id, name, role, competition)[1]
        account_settings.hold(client, sid, "api-key", secret, account_settings.KEY_SHOWN_SECONDS)

    return _act(request, csrf, BACK, action, "key_created")


@router.post("/keys/revoke")
def revoke_key(
    request: Request, csrf: Field, user: Person, key_id: Annotated[str, Form(max_length=40)]
) -> Response:
    client = _store(request)
    return _act(
        request, csrf, BACK, lambda: api_keys.revoke(client, user.id, key_id), "key_revoked"
    )


def _key_row(key: api_keys.ApiKey) -> dict[str, str]:
    created = datetime.fromtimestamp(key.created_at, EVENT_TIMEZONE).strftime("%Y-%m-%d %H:%M")
    return {
        "id": key.id, "name": key.name, "role": key.role.value,
        "competition": key.competition, "created": created,
    }  # fmt: skip


def _qr_data_uri(content: str) -> str:
    """An inline SVG QR code (not cached: it carries a secret)."""
    return "data:image/svg+xml;base64," + base64.b64encode(qr.make_svg(content)).decode()
