"""Members of an organisation (owners only), invitations by mail, password reset, and
the rotation of the host token. The invitation and reset pages are public (a link from a
mail): web/console_guard.py lets them through without a session."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from duels import access, accounts, errors, host_sessions, member_admin, organisations
from duels.access import Principal
from duels.settings import Settings
from web import host_session
from web.deps import Members, Person
from web.errors import status_for
from web.routes.host_console import EVENT_TIMEZONE, _act, _render_with_csrf
from workers import account_mail

router = APIRouter(prefix="/host", include_in_schema=False)
Field = Annotated[str, Form(max_length=300)]
Secret = Annotated[str, Form(max_length=accounts.MAX_PASSWORD + 1)]
PAGE = "/host/members"
ONCE = "members"  # the one-time display slot of this page (duels.host_sessions)
ONCE_KINDS = ("member-invite", "host-token")


def _owner(request: Request, oid: str, user: accounts.User) -> Principal:
    """The person, refused (403, before the form is read further) unless they may manage
    the members of ``oid``."""
    principal = Principal("user", user_id=user.id, label=user.email)
    access.require_in_organisation(
        request.app.state.store, principal, access.Permission.MEMBERS, oid
    )
    return principal


def _keep_once(request: Request, kind: str, secret: str) -> None:
    sid = host_session.session_id(request)
    if sid:
        host_sessions.keep_once(request.app.state.store, sid, ONCE, kind, secret)


@router.get("/members")
def members_page(request: Request, user: Person) -> HTMLResponse:
    client = request.app.state.store
    owned = member_admin.owned_organisations(client, user.id)
    sid = host_session.session_id(request)
    shown = host_sessions.take_once(client, sid, ONCE, ONCE_KINDS) if sid else {}
    context: dict[str, Any] = {
        "user": user,
        "organisations": [_with_times(member_admin.overview(client, org.id)) for org in owned],
        "roles": access.ROLE_ORDER,
        "default": organisations.DEFAULT,
        "invite_link": shown.get("member-invite", ""),
        "host_token": shown.get("host-token", ""),
        "mail_configured": request.app.state.settings.smtp_url is not None,
    }
    return _render_with_csrf(request, "host/members.html", context, 200 if owned else 403)


def _with_times(view: dict[str, Any]) -> dict[str, Any]:
    for entry in view["audit"]:
        moment = datetime.fromtimestamp(float(entry.get("when", 0)), EVENT_TIMEZONE)
        entry["at"] = moment.strftime("%d.%m.%Y %H:%M")
    for pending in view["invitations"]:
        moment = datetime.fromtimestamp(pending["expires"], EVENT_TIMEZONE)
        pending["until"] = moment.strftime("%d.%m.%Y %H:%M")
    return view


@router.post("/members/{oid}/invite")
def invite(
    request: Request, oid: str, csrf: Field, email: Field, role: Field, owner: Members,
    user: Person, scope: Field = "o",
) -> Response:  # fmt: skip
    client = request.app.state.store
    settings: Settings = request.app.state.settings
    by = _owner(request, oid, user)

    def action() -> None:
        token, address = member_admin.invite(client, oid, by, email, scope, role)
        link = f"{settings.public_url}/host/invitation/{token}"
        invited = member_admin.invitation(client, token)
        place = invited.competition or invited.organisation.name
        text = account_mail.invitation_text(user.name or user.email, place, role, link)
        queued = account_mail.enqueue_account_mail(
            settings, address, account_mail.INVITATION_SUBJECT, text
        )
        if settings.smtp_url is None or not queued:
            _keep_once(request, "member-invite", link)

    return _act(request, csrf, PAGE, action, "member_invited")


@router.post("/members/{oid}/invitations/{digest}/withdraw")
def withdraw_invitation(
    request: Request, oid: str, digest: str, csrf: Field, owner: Members
) -> Response:
    client = request.app.state.store
    return _act(
        request, csrf, PAGE,
        lambda: member_admin.withdraw(client, oid, owner, digest),
        "invitation_withdrawn",
    )  # fmt: skip


@router.post("/members/{oid}/role")
def change_role(
    request: Request, oid: str, csrf: Field, user_id: Field, scope: Field, role: Field,
    owner: Members, user: Person,
) -> Response:  # fmt: skip
    client, by = request.app.state.store, _owner(request, oid, user)
    return _act(
        request, csrf, PAGE,
        lambda: member_admin.change_role(client, oid, by, user_id, scope, role),
        "member_role_changed",
    )  # fmt: skip


@router.post("/members/{oid}/remove")
def remove(
    request: Request,
    oid: str,
    csrf: Field,
    user_id: Field,
    scope: Field,
    owner: Members,
    user: Person,
) -> Response:
    client, by = request.app.state.store, _owner(request, oid, user)
    return _act(
        request, csrf, PAGE,
        lambda: member_admin.remove(client, oid, by, user_id, scope),
        "member_removed",
    )  # fmt: skip


@router.post("/members/host-token")
def rotate_host_token(request: Request, csrf: Field, user: Person) -> Response:
    client, by = request.app.state.store, _owner(request, organisations.DEFAULT, user)

    def action() -> None:
        _keep_once(request, "host-token", member_admin.rotate_host_token(client, by))

    return _act(request, csrf, PAGE, action, "host_token_rotated")


# Public: opened from a mail ------------------------------------------------------------


def _invalid_link(request: Request, template: str) -> HTMLResponse:
    return _render_with_csrf(request, template, {"invalid": True}, 404)


def _logged_in_user(request: Request) -> accounts.User | None:
    uid = host_session.session_user(request)
    if not uid:
        return None
    try:
        return accounts.get_user(request.app.state.store, uid)
    except errors.NotFound:
        return None


def _invitation_page(
    request: Request, token: str, error: str = "", status: int = 200, name: str = ""
) -> HTMLResponse:
    client = request.app.state.store
    try:
        invited = member_admin.invitation(client, token)
    except errors.NotFound:
        return _invalid_link(request, "host/invitation.html")
    context = {
        "invitation": invited,
        "token": token,
        "current": _logged_in_user(request),
        "has_account": accounts.find_user(client, invited.email) is not None,
        "error": error,
        "name": name,
    }
    return _render_with_csrf(request, "host/invitation.html", context, status)


@router.get("/invitation/{token}")
def invitation_page(request: Request, token: str) -> HTMLResponse:
    return _invitation_page(request, token)


@router.post("/invitation/{token}")
def accept_invitation(
    request: Request, token: str, csrf: Field, name: Field = "", password: Secret = "",
    password2: Secret = "",
) -> Response:  # fmt: skip
    client = request.app.state.store
    response = RedirectResponse("/host?ok=invitation_accepted", status_code=303)
    current = _logged_in_user(request)
    try:
        host_session.check_csrf(request, csrf)
        if current is not None:
            member_admin.accept(client, token, user=current)
            return response
        if password != password2:
            raise errors.Invalid("The passwords differ.", code="password_mismatch")
        joined = member_admin.accept(client, token, password=password, name=name)
    except errors.DomainError as exc:
        if exc.code == "link_invalid":
            return _invalid_link(request, "host/invitation.html")
        return _invitation_page(request, token, exc.code, status_for(exc), name[:80])
    host_session.open_session(request, response, joined)
    return response


@router.get("/password-reset")
def reset_request_page(request: Request) -> HTMLResponse:
    return _render_with_csrf(request, "host/password_reset.html", {})


@router.post("/password-reset")
def request_reset(request: Request, csrf: Field, email: Field) -> HTMLResponse:
    client = request.app.state.store
    settings: Settings = request.app.state.settings
    try:
        host_session.check_csrf(request, csrf)
    except errors.Forbidden as exc:
        return _render_with_csrf(request, "host/password_reset.html", {"error": exc.code}, 403)
    found = member_admin.request_reset(client, settings.secret_key_value(), email)
    if found is not None:
        user, token = found
        link = f"{settings.public_url}/host/password-reset/{token}"
        account_mail.enqueue_account_mail(
            settings, user.email, account_mail.RESET_SUBJECT, account_mail.reset_text(link)
        )
    return _render_with_csrf(request, "host/password_reset.html", {"sent": True})


@router.get("/password-reset/{token}")
def new_password_page(request: Request, token: str) -> HTMLResponse:
    try:
        accounts.peek_link(request.app.state.store, token, "reset")
    except errors.NotFound:
        return _invalid_link(request, "host/password_reset_new.html")
    return _render_with_csrf(request, "host/password_reset_new.html", {})


@router.post("/password-reset/{token}")
def set_new_password(
    request: Request, token: str, csrf: Field, password: Secret, password2: Secret
) -> Response:
    client = request.app.state.store
    try:
        host_session.check_csrf(request, csrf)
        accounts.peek_link(client, token, "reset")
        if password != password2:
            raise errors.Invalid("The passwords differ.", code="password_mismatch")
        accounts.reset_password(client, token, password)
    except errors.DomainError as exc:
        if exc.code == "link_invalid":
            return _invalid_link(request, "host/password_reset_new.html")
        context = {"error": exc.code}
        return _render_with_csrf(request, "host/password_reset_new.html", context, status_for(exc))
    response = RedirectResponse("/host/login?ok=password_reset_done", status_code=303)
    host_session.log_out(request, response)  # its account's sessions ended with the reset
    return response
