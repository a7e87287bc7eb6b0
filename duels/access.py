"""Who may do what: roles, the permissions they carry, and the principal behind a request.

A person holds a role in an organisation (it covers all its competitions) or in one
competition; what they may do there is the union of both. An API key acts for its
person, capped at the role it was made with (and at one competition, if it names one).
The host token of the settings is the installation's key for automation: it may do
everything, and the audit log names it as such.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

import redis

from duels import errors, keys


class Role(StrEnum):
    OWNER = "owner"
    HOST = "host"
    MODERATOR = "moderator"
    JURY = "jury"
    VIEWER = "viewer"


class Permission(StrEnum):
    MEMBERS = "members"  # people, roles, invitations, branding of the organisation
    CONFIGURE = "configure"  # competitions, companies, teams, admission, codes, screens
    RUN = "run"  # draw, open/close, advance, undo, walkover, override
    MODERATE = "moderate"  # videos, quarantine, evidence
    JURY = "jury"  # jury points (a jury member: the duels assigned to them)
    READ = "read"  # the console's views, the audit log, exports


ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.OWNER: frozenset(Permission),
    Role.HOST: frozenset({Permission.CONFIGURE, Permission.RUN, Permission.READ}),
    Role.MODERATOR: frozenset({Permission.MODERATE, Permission.READ}),
    Role.JURY: frozenset({Permission.JURY}),
    Role.VIEWER: frozenset({Permission.READ}),
}
_ROLE_NAMES = frozenset(role.value for role in Role)
ROLE_ORDER = (Role.OWNER, Role.HOST, Role.MODERATOR, Role.JURY, Role.VIEWER)


def parse_role(value: str) -> Role:
    try:
        return Role(value)
    except ValueError:
        raise errors.Invalid(f"Unknown role {value!r}.", code="invalid_role") from None


@dataclass(frozen=True, slots=True)
class Principal:
    kind: Literal["user", "api_key", "host_token"]
    user_id: str = ""
    label: str = ""  # e-mail of the person; for a key also its name
    key_role: Role | None = None  # an API key's cap
    key_competition: str = ""  # an API key limited to one competition

    @property
    def actor(self) -> str:
        """What the audit log records as "who"."""
        if self.kind == "host_token":
            return "host token"
        return self.label

    @property
    def is_installation(self) -> bool:
        return self.kind == "host_token"


HOST_TOKEN = Principal("host_token", label="host token")


def roles_of(client: redis.Redis, principal: Principal, cid: str | None) -> set[Role]:
    """The roles ``principal`` holds for competition ``cid`` (None: in any organisation)."""
    if principal.is_installation or not principal.user_id:
        return set()
    held: dict[str, str] = client.hgetall(keys.user_roles(principal.user_id))  # type: ignore[assignment]
    if cid is None:
        found = {Role(role) for scope, role in held.items() if scope.startswith("o:")}
    else:
        organisation = str(client.hget(keys.competition(cid), "organisation") or "")
        found = {
            Role(role)
            for scope, role in held.items()
            if scope in (f"c:{cid}", f"o:{organisation}") and role in _ROLE_NAMES
        }
    return found


def permissions(
    client: redis.Redis, principal: Principal, cid: str | None
) -> frozenset[Permission]:
    if principal.is_installation:
        return frozenset(Permission)
    if principal.key_competition and cid != principal.key_competition:
        return frozenset()
    granted: set[Permission] = set()
    for role in roles_of(client, principal, cid):
        granted |= ROLE_PERMISSIONS[role]
    if principal.key_role is not None:
        granted &= ROLE_PERMISSIONS[principal.key_role]
    return frozenset(granted)


def require_in_organisation(
    client: redis.Redis, principal: Principal, permission: Permission, oid: str
) -> None:
    """``permission`` through a role in organisation ``oid`` itself (creating in it)."""
    if principal.is_installation:
        return
    role = (
        client.hget(keys.user_roles(principal.user_id), f"o:{oid}") if principal.user_id else None
    )
    granted = ROLE_PERMISSIONS[Role(str(role))] if role in _ROLE_NAMES else frozenset()
    if principal.key_role is not None:
        granted &= ROLE_PERMISSIONS[principal.key_role]
    if principal.key_competition or permission not in granted:
        raise errors.Forbidden(
            f"Your role in this organisation does not allow this ({permission.value}).",
            code="role_forbidden",
        )


def require(
    client: redis.Redis, principal: Principal, permission: Permission, cid: str | None
) -> None:
    if permission not in permissions(client, principal, cid):
        raise errors.Forbidden(
            f"Your role does not allow this ({permission.value}).", code="role_forbidden"
        )


def may_judge(client: redis.Redis, principal: Principal, cid: str, did: str) -> bool:
    """Jury points for duel ``did``: owners (and the host token) anywhere, a jury member
    only on the duels assigned to them (no assignment: every duel of the competition)."""
    granted = permissions(client, principal, cid)
    if Permission.JURY not in granted:
        return False
    if principal.is_installation or Role.OWNER in roles_of(client, principal, cid):
        return principal.key_role in (None, Role.OWNER)
    assigned = client.hget(keys.jury(cid), principal.user_id)
    if assigned is None:
        return False
    return not assigned or did in str(assigned).split(",")
