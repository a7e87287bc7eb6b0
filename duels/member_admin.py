"""Owners managing people: member changes (audited; an organisation never loses its
last owner), invitations, password reset requests (braked per address) and the
rotation of the installation's host token.

Every change is written to the organisation's audit stream; a change in one
competition also to that competition's audit log.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import asdict, dataclass
from typing import Any

import redis

from duels import accounts, api_keys, errors, keys, member_invitations, organisations, store
from duels.access import Permission, Principal, Role, parse_role, require_in_organisation

RESET_REQUESTS_PER_HOUR = 5


@dataclass(frozen=True, slots=True)
class Invitation:
    email: str
    role: Role
    scope: str
    organisation: organisations.Organisation
    competition: str  # title, when the invitation is for one competition


def check_scope(client: redis.Redis, oid: str, scope: str) -> str:
    """``scope`` of a form ("o" / "" for the organisation, "c:<cid>" for one of its
    competitions) as a membership scope, refused when it lies outside ``oid``."""
    if scope in ("", "o", f"o:{oid}"):
        return f"o:{oid}"
    if scope.startswith("c:") and scope[2:] in organisations.competitions_of(client, oid):
        return scope
    raise errors.Invalid(f"Unknown scope {scope!r}.", code="invalid_scope")


def owned_organisations(client: redis.Redis, user_id: str) -> list[organisations.Organisation]:
    held = organisations.scopes_of(client, user_id)
    owned = []
    for scope, role in held.items():
        if scope.startswith("o:") and role == Role.OWNER:
            try:
                owned.append(organisations.get_organisation(client, scope[2:]))
            except errors.NotFound:
                continue
    return sorted(owned, key=lambda organisation: organisation.name.lower())


def overview(client: redis.Redis, oid: str) -> dict[str, Any]:
    """What the members page shows of one organisation."""
    competitions = []
    for cid in organisations.competitions_of(client, oid):
        try:
            title = store.get_competition(client, cid).title
        except errors.NotFound:
            continue
        competitions.append(
            {"id": cid, "title": title, "members": organisations.members(client, f"c:{cid}")}
        )
    organisation = organisations.get_organisation(client, oid)
    members = organisations.members(client, f"o:{oid}")
    owners = [member.user_id for member in members if member.role == Role.OWNER]
    places = {f"c:{c['id']}": c["title"] for c in competitions}
    invitations = [
        {**asdict(entry), "where": places.get(entry.scope, organisation.name)}
        for entry in member_invitations.pending(client, oid)
    ]
    return {
        "organisation": organisation,
        "members": members,
        "sole_owner": owners[0] if len(owners) == 1 else "",
        "competitions": competitions,
        "invitations": invitations,
        "audit": organisations.organisation_audit_log(client, oid),
    }


def invite(
    client: redis.Redis, oid: str, by: Principal, email: str, scope: str, role: str
) -> tuple[str, str]:
    """An invitation link token; returns it and the normalised address."""
    require_in_organisation(client, by, Permission.MEMBERS, oid)
    scope = check_scope(client, oid, scope)
    email = accounts.normalise_email(email)
    granted = parse_role(role)
    token = organisations.invite(client, email, scope, granted, by.actor)
    member_invitations.record(
        client, oid, token, email=email, role=granted.value, scope=scope, by=by.actor
    )
    _audit(client, oid, scope, by.actor, "member_invited", email=email, role=role)
    return token, email


def withdraw(client: redis.Redis, oid: str, by: Principal, digest: str) -> None:
    """Take back a pending invitation (named by its digest); its link stops working."""
    require_in_organisation(client, by, Permission.MEMBERS, oid)
    entry = member_invitations.withdraw(client, oid, digest)
    _audit(
        client, oid, entry.scope, by.actor, "invitation_withdrawn",
        email=entry.email, role=entry.role,
    )  # fmt: skip


def change_role(
    client: redis.Redis, oid: str, by: Principal, user_id: str, scope: str, role: str
) -> None:
    require_in_organisation(client, by, Permission.MEMBERS, oid)
    scope = check_scope(client, oid, scope)
    new = parse_role(role)
    old = _role_in(client, user_id, scope)
    if old == Role.OWNER and new != Role.OWNER:
        _keep_an_owner(client, oid, scope)
    organisations.grant(client, user_id, scope, new)
    if old == Role.OWNER and scope == f"o:{oid}" and organisations.owners_left(client, oid) < 1:
        organisations.grant(client, user_id, scope, Role.OWNER)  # a concurrent demotion won
        raise _last_owner()
    email = accounts.get_user(client, user_id).email
    _audit(client, oid, scope, by.actor, "member_role", email=email, role=new.value, was=old.value)


def remove(client: redis.Redis, oid: str, by: Principal, user_id: str, scope: str) -> None:
    require_in_organisation(client, by, Permission.MEMBERS, oid)
    scope = check_scope(client, oid, scope)
    old = _role_in(client, user_id, scope)
    if old == Role.OWNER:
        _keep_an_owner(client, oid, scope)
    organisations.revoke(client, user_id, scope)
    if old == Role.OWNER and scope == f"o:{oid}" and organisations.owners_left(client, oid) < 1:
        organisations.grant(client, user_id, scope, Role.OWNER)
        raise _last_owner()
    email = accounts.get_user(client, user_id).email
    _audit(client, oid, scope, by.actor, "member_removed", email=email, was=old.value)


def rotate_host_token(client: redis.Redis, by: Principal) -> str:
    """Owners of the default organisation may replace the installation's host token."""
    require_in_organisation(client, by, Permission.MEMBERS, organisations.DEFAULT)
    token = api_keys.rotate_host_token(client)
    organisations.audit_organisation(client, organisations.DEFAULT, by.actor, "host_token_rotated")
    return token


# Invitations and resets seen from outside --------------------------------------------


def invitation(client: redis.Redis, token: str) -> Invitation:
    data = accounts.peek_link(client, token, "invite")
    scope = str(data["scope"])
    title = ""
    if scope.startswith("c:"):
        title = store.get_competition(client, scope[2:]).title
        oid = organisations.organisation_of(client, scope[2:])
    else:
        oid = scope[2:]
    organisation = organisations.get_organisation(client, oid)
    return Invitation(str(data["email"]), parse_role(str(data["role"])), scope, organisation, title)


def accept(
    client: redis.Redis,
    token: str,
    *,
    user: accounts.User | None = None,
    password: str = "",
    name: str = "",
) -> accounts.User:
    """Join with an invitation: the logged-in ``user`` (it must be the invited address)
    or a new account with ``password``."""
    invited = invitation(client, token)
    if user is not None and user.email != invited.email:
        raise errors.Forbidden(
            "This invitation is for another e-mail address.", code="invitation_other_account"
        )
    joined = organisations.accept_invitation(
        client, token, password=password, name=name, user_id=user.id if user else ""
    )
    member_invitations.forget(client, invited.organisation.id, token)
    _audit(
        client, invited.organisation.id, invited.scope, joined.email, "member_joined",
        email=joined.email, role=invited.role.value,
    )  # fmt: skip
    return joined


def request_reset(client: redis.Redis, secret: str, email: str) -> tuple[accounts.User, str] | None:
    """A reset link, or None (no such account, or asked too often this hour): the caller
    answers the same either way."""
    try:
        email = accounts.normalise_email(email)
    except errors.Invalid:
        return None
    digest = hmac.new(secret.encode(), f"reset:{email}".encode(), hashlib.sha256).hexdigest()
    key = keys.reset_requests(digest[:32])
    pipe = client.pipeline(transaction=False)
    pipe.set(key, 0, nx=True, ex=3600)
    pipe.incr(key)
    asked = int(pipe.execute()[1])
    if asked > RESET_REQUESTS_PER_HOUR:
        return None
    return accounts.request_reset(client, email)


def _role_in(client: redis.Redis, user_id: str, scope: str) -> Role:
    held = organisations.scopes_of(client, user_id).get(scope)
    if held is None:
        raise errors.NotFound("This person is not a member here.", code="unknown_member")
    return held


def _keep_an_owner(client: redis.Redis, oid: str, scope: str) -> None:
    if scope == f"o:{oid}" and organisations.owners_left(client, oid) <= 1:
        raise _last_owner()


def _last_owner() -> errors.Conflict:
    return errors.Conflict("The organisation needs at least one owner.", code="last_owner")


def _audit(
    client: redis.Redis, oid: str, scope: str, actor: str, action: str, **details: str
) -> None:
    organisations.audit_organisation(client, oid, actor, action, scope=scope, **details)
    if scope.startswith("c:"):
        store.audit(client, scope[2:], actor, action, **details)
