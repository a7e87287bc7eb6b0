"""Pending invitations on the members page: listed, gone once accepted, withdrawn by an
owner (the link stops working at once), expired ones dropped; and the last owner's own
row offers no way to demote or remove themselves."""

from __future__ import annotations

import hashlib
import re
import time

import orjson
import redis
from starlette.testclient import TestClient

from duels import keys, member_invitations, organisations, store
from duels.access import Role
from tests.accounts import PASSWORD, account, csrf_of, log_in
from tests.conftest import ClientFactory
from tests.voting.factories import make_duel

DEFAULT = organisations.DEFAULT


def _store(http: TestClient) -> redis.Redis:
    return http.app.state.store  # type: ignore[attr-defined,no-any-return]


def _invite(owner: TestClient, address: str, role: str = "viewer", scope: str = "o") -> str:
    """Invite (no mail server: the page shows the link once); the link's path."""
    csrf = csrf_of(owner.get("/host/members").text)
    answer = owner.post(
        f"/host/members/{DEFAULT}/invite",
        data={"csrf": csrf, "email": address, "role": role, "scope": scope},
    )
    assert answer.headers["location"].endswith("ok=member_invited")
    found = re.search(r"http://testserver(/host/invitation/([A-Za-z0-9_-]+))", owner.get(PAGE).text)
    assert found
    return found.group(1)


PAGE = "/host/members"


def _digest(path: str) -> str:
    return hashlib.sha256(path.rsplit("/", 1)[1].encode()).hexdigest()


def _withdraw_action(digest: str) -> str:
    return f"/host/members/{DEFAULT}/invitations/{digest}/withdraw"


def test_an_invitation_is_listed_until_it_is_accepted(make_client: ClientFactory) -> None:
    owner = make_client()
    log_in(owner)
    cid = make_duel(_store(owner))["competition"]
    organisations.attach_competition(_store(owner), cid, DEFAULT)
    title = store.get_competition(_store(owner), cid).title
    path = _invite(owner, "Helper@Example.org", "jury", scope=f"c:{cid}")
    digest = _digest(path)

    page = owner.get(PAGE).text
    assert "Offene Einladungen" in page and _withdraw_action(digest) in page
    row = page[page.index("helper@example.org</td>") :]
    row = row[: row.index("</tr>")]
    assert "Jury" in row and title in row and "owner@example.org" in row
    assert path.rsplit("/", 1)[1] not in page  # the token is never shown again
    stored = _store(owner).hgetall(keys.organisation_invitations(DEFAULT))
    assert list(stored) == [digest] and path.rsplit("/", 1)[1] not in str(stored)

    invitee = TestClient(owner.app, follow_redirects=False)
    form = {"csrf": csrf_of(invitee.get(path).text), "password": PASSWORD, "password2": PASSWORD}
    assert invitee.post(path, data=form).status_code == 303
    page = owner.get(PAGE).text
    assert _withdraw_action(digest) not in page and "Keine offenen Einladungen" in page
    assert member_invitations.pending(_store(owner), DEFAULT) == []


def test_an_owner_withdraws_an_invitation(make_client: ClientFactory) -> None:
    owner = make_client()
    csrf = log_in(owner)
    path = _invite(owner, "late@example.org")
    keep = _invite(owner, "stays@example.org")
    action = _withdraw_action(_digest(path))

    done = owner.post(action, data={"csrf": csrf})
    assert done.headers["location"].endswith("ok=invitation_withdrawn")
    page = owner.get(done.headers["location"]).text
    assert "Einladung zurückgezogen" in page and action not in page
    assert _withdraw_action(_digest(keep)) in page
    assert "hat die Einladung zurückgezogen: late@example.org" in page
    log = organisations.organisation_audit_log(_store(owner), DEFAULT)
    assert log[0]["what"] == "invitation_withdrawn" and log[0]["email"] == "late@example.org"
    assert log[0]["who"] == "owner@example.org"

    fresh = TestClient(owner.app, follow_redirects=False)
    gone = fresh.get(path)
    assert gone.status_code == 404 and "gilt nicht" in gone.text
    assert fresh.get(keep).status_code == 200
    again = owner.post(action, data={"csrf": csrf})
    assert again.headers["location"].endswith("error=unknown_invitation")
    bogus = owner.post(_withdraw_action("not-a-digest"), data={"csrf": csrf})
    assert bogus.headers["location"].endswith("error=unknown_invitation")
    forged = owner.post(_withdraw_action(_digest(keep)), data={"csrf": "0" * 32})
    assert "error=" in forged.headers["location"]
    assert fresh.get(keep).status_code == 200


def test_only_owners_withdraw(make_client: ClientFactory) -> None:
    owner = make_client()
    log_in(owner)
    path = _invite(owner, "kept@example.org")
    host = TestClient(owner.app, follow_redirects=False)
    csrf = log_in(host, "host@example.org", Role.HOST)
    refused = host.post(_withdraw_action(_digest(path)), data={"csrf": csrf})
    assert refused.status_code == 403
    assert refused.json()["detail"]["code"] == "role_forbidden"
    assert TestClient(owner.app, follow_redirects=False).get(path).status_code == 200
    assert [p.email for p in member_invitations.pending(_store(owner), DEFAULT)] == [
        "kept@example.org"
    ]


def test_expired_invitations_are_not_listed(make_client: ClientFactory) -> None:
    owner = make_client()
    log_in(owner)
    client = _store(owner)
    old = _digest(_invite(owner, "old@example.org"))
    lost = _digest(_invite(owner, "lost@example.org"))
    new = _digest(_invite(owner, "new@example.org"))
    index = keys.organisation_invitations(DEFAULT)
    entry = orjson.loads(client.hget(index, old))  # type: ignore[arg-type]
    entry["expires"] = time.time() - 1
    client.hset(index, old, orjson.dumps(entry))
    client.delete(keys.account_token(lost))  # the link itself ran out

    page = owner.get(PAGE).text
    assert _withdraw_action(new) in page
    assert _withdraw_action(old) not in page and _withdraw_action(lost) not in page
    assert set(client.hkeys(index)) == {new}
    week_later = time.time() + 8 * 24 * 3600
    assert member_invitations.pending(client, DEFAULT, now=week_later) == []


def test_the_last_owner_cannot_demote_or_remove_themselves_on_the_page(
    make_client: ClientFactory,
) -> None:
    owner = make_client()
    log_in(owner)
    me = account(_store(owner))
    mine = f'name="user_id" value="{me.id}"'
    page = owner.get(PAGE).text
    assert mine not in page and "einzige Inhaberin" in page

    account(_store(owner), "second@example.org")
    assert mine in owner.get(PAGE).text
