"""Members, invitations and password reset in the console: a real SMTP server, a real
RQ worker, and the links followed in fresh browsers (TestClients)."""

from __future__ import annotations

import email
import email.policy
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from starlette.testclient import TestClient

from duels import member_admin, organisations
from duels.access import Role
from duels.settings import Settings
from tests.accounts import OWNER_EMAIL, PASSWORD, account, csrf_of, log_in, log_in_form
from tests.conftest import HOST_TOKEN as SETTINGS_HOST_TOKEN
from tests.conftest import ClientFactory
from tests.mail_sink import MAIL_TIMEOUT, Sink
from tests.support import Process, child_env, wait_for
from tests.voting.factories import make_duel
from web.app import create_app

NEW_PASSWORD = "a much better passphrase"


@pytest.fixture
def browsers(mail_settings: Settings) -> Iterator[list[TestClient]]:
    """Fresh browsers of one app with mail: ``browsers[n]`` are independent cookie jars."""
    app = create_app(mail_settings)
    with TestClient(app, follow_redirects=False) as first:
        opened = [first] + [TestClient(app, follow_redirects=False) for _ in range(3)]
        yield opened


def _store(http: TestClient) -> redis.Redis:
    return http.app.state.store  # type: ignore[attr-defined,no-any-return]


def _link(message: email.message.EmailMessage, path: str) -> str:
    body = message.get_content()
    found = re.search(rf"http://testserver({re.escape(path)}\S+)", body)
    assert found, body
    return found.group(1)


def _invite(http: TestClient, address: str, role: str, scope: str = "o") -> str:
    csrf = csrf_of(http.get("/host/members").text)
    answer = http.post(
        f"/host/members/{organisations.DEFAULT}/invite",
        data={"csrf": csrf, "email": address, "role": role, "scope": scope},
    )
    assert answer.status_code == 303, answer.text
    return str(answer.headers["location"])


def test_an_invitation_by_mail_makes_a_moderator_once(
    browsers: list[TestClient], sink: Sink, mail_worker: Process
) -> None:
    owner, invitee, stranger = browsers[:3]
    log_in(owner)
    duel = make_duel(_store(owner))
    organisations.attach_competition(_store(owner), duel["competition"], organisations.DEFAULT)
    assert _invite(owner, "Mod@Example.org", "moderator").endswith("ok=member_invited")

    (mail,) = sink.wait(1)
    assert mail["To"] == "mod@example.org" and "Einladung" in mail["Subject"]
    assert "Moderator" in mail.get_content() and "Invitation" not in mail.get_content()[:40]
    path = _link(mail, "/host/invitation/")

    page = invitee.get(path)
    assert page.status_code == 200 and "mod@example.org" in page.text
    assert page.headers["Cache-Control"] == "no-store"
    form = {"csrf": csrf_of(page.text), "name": "Mo", "password": PASSWORD, "password2": "x"}
    assert invitee.post(path, data=form).status_code == 422  # the passwords differ
    form["password2"] = PASSWORD
    joined = invitee.post(path, data=form)
    assert joined.status_code == 303 and joined.headers["location"].startswith("/host")
    start = invitee.get("/host")
    assert start.status_code == 200
    csrf = csrf_of(start.text)

    # A moderator: videos yes (this one has none yet), advancing the round no.
    did, cid = duel["id"], duel["competition"]
    approve = invitee.post(f"/host/duels/{did}/videos/{duel['home']}/approve", data={"csrf": csrf})
    assert approve.status_code == 303 and "role_forbidden" not in approve.headers["location"]
    advance = invitee.post(f"/host/c/{cid}/advance", data={"csrf": csrf, "round": "1"})
    assert advance.status_code == 403
    assert advance.json()["detail"]["code"] == "role_forbidden"

    again = stranger.get(path)
    assert again.status_code == 404 and "gilt nicht" in again.text
    members = owner.get("/host/members").text
    assert "mod@example.org" in members and "ist beigetreten" in members


def test_a_competition_invitation_for_an_existing_account(
    browsers: list[TestClient], sink: Sink, mail_worker: Process
) -> None:
    owner, invited, other = browsers[:3]
    log_in(owner)
    store = _store(owner)
    duel = make_duel(store)
    cid = duel["competition"]
    organisations.attach_competition(store, cid, organisations.DEFAULT)
    _invite(owner, "judge@example.org", "jury", scope=f"c:{cid}")
    path = _link(sink.wait(1)[0], "/host/invitation/")

    account(store, "judge@example.org", Role.VIEWER, f"c:{cid}")
    assert "zuerst an" in invited.get(path).text  # log in first
    log_in_form(invited, "judge@example.org")
    log_in(other, "someone@example.org", Role.VIEWER)
    wrong = other.post(path, data={"csrf": csrf_of(other.get(path).text)})
    assert wrong.status_code == 403  # logged in as another address

    accepted = invited.post(path, data={"csrf": csrf_of(invited.get(path).text)})
    assert accepted.status_code == 303
    user = organisations.members(store, f"c:{cid}")
    assert [(m.email, m.role) for m in user] == [("judge@example.org", Role.JURY)]
    assert any(entry["what"] == "member_invited" for entry in _audit(store, cid))


def _audit(store: redis.Redis, cid: str) -> list[dict[str, str]]:
    from duels import store as competitions

    return competitions.audit_log(store, cid)


def test_password_reset_by_mail_ends_every_session(
    browsers: list[TestClient], sink: Sink, mail_worker: Process
) -> None:
    laptop, phone, forgetful, _ = browsers
    log_in(laptop)
    assert log_in_form(phone).status_code == 303

    page = forgetful.get("/host/password-reset")
    answers = [
        forgetful.post(
            "/host/password-reset", data={"csrf": csrf_of(page.text), "email": address}
        ).text
        for address in ("nobody@example.org", OWNER_EMAIL.upper())
    ]
    assert all("Wenn es ein Konto gibt, ist ein Link unterwegs" in text for text in answers)
    (mail,) = sink.wait(1)
    assert mail["To"] == OWNER_EMAIL
    path = _link(mail, "/host/password-reset/")

    form_page = forgetful.get(path)
    assert form_page.status_code == 200 and form_page.headers["Cache-Control"] == "no-store"
    form = {"csrf": csrf_of(form_page.text), "password": NEW_PASSWORD, "password2": NEW_PASSWORD}
    done = forgetful.post(path, data=form)
    assert done.headers["location"] == "/host/login?ok=password_reset_done"
    assert "Neues Passwort gespeichert" in forgetful.get(done.headers["location"]).text

    for ended in (laptop, phone):
        assert ended.get("/host").headers["location"] == "/host/login"
    assert log_in_form(forgetful, OWNER_EMAIL, PASSWORD).status_code == 403
    assert log_in_form(forgetful, OWNER_EMAIL, NEW_PASSWORD).status_code == 303
    assert forgetful.get(path).status_code == 404  # one time only


def test_reset_requests_are_braked_per_address(redis_client: redis.Redis) -> None:
    account(redis_client)
    asked = [member_admin.request_reset(redis_client, "k", OWNER_EMAIL) for _ in range(7)]
    assert [found is not None for found in asked] == [True] * 5 + [False] * 2
    assert member_admin.request_reset(redis_client, "k", "other@example.org") is None
    assert member_admin.request_reset(redis_client, "k", "not an address") is None


def test_without_smtp_the_inviter_sees_the_link_once(make_client: ClientFactory) -> None:
    client = make_client()
    log_in(client)
    _invite(client, "helper@example.org", "viewer")
    first = client.get("/host/members").text
    assert "Kein Mailserver eingerichtet – diesen Link selbst weitergeben" in first
    found = re.search(r"http://testserver(/host/invitation/[A-Za-z0-9_-]+)", first)
    assert found
    second = client.get("/host/members").text
    assert found.group(1) not in second and "selbst weitergeben" not in second
    fresh = TestClient(client.app, follow_redirects=False)
    assert fresh.get(found.group(1)).status_code == 200


def test_non_owners_get_403_and_the_last_owner_stays(make_client: ClientFactory) -> None:
    client = make_client()
    store = _store(client)
    csrf = log_in(client, "host@example.org", Role.HOST)
    assert client.get("/host/members").status_code == 403
    default = organisations.DEFAULT
    for action, form in (
        ("invite", {"email": "x@example.org", "role": "owner"}),
        ("role", {"user_id": "u1", "scope": "o", "role": "owner"}),
        ("remove", {"user_id": "u1", "scope": "o"}),
    ):
        refused = client.post(f"/host/members/{default}/{action}", data={"csrf": csrf, **form})
        assert refused.status_code == 403, action
    assert client.post("/host/members/host-token", data={"csrf": csrf}).status_code == 403

    owner = account(store)
    owner_browser = TestClient(client.app, follow_redirects=False)
    csrf = log_in(owner_browser)
    me = {"csrf": csrf, "user_id": owner.id, "scope": "o"}
    for action, extra in (("role", {"role": "host"}), ("remove", {})):
        answer = owner_browser.post(f"/host/members/{default}/{action}", data={**me, **extra})
        assert answer.headers["location"].endswith("error=last_owner")
    page = owner_browser.get("/host/members?error=last_owner").text
    assert "mindestens eine Inhaberin" in page

    second = account(store, "second@example.org")
    demote = {"csrf": csrf, "user_id": second.id, "scope": "o", "role": "moderator"}
    assert (
        owner_browser.post(f"/host/members/{default}/role", data=demote)
        .headers["location"]
        .endswith("ok=member_role_changed")
    )
    assert organisations.scopes_of(store, second.id)[f"o:{default}"] == Role.MODERATOR
    gone = {"csrf": csrf, "user_id": second.id, "scope": "o"}
    assert owner_browser.post(f"/host/members/{default}/remove", data=gone).status_code == 303
    assert f"o:{default}" not in organisations.scopes_of(store, second.id)
    log = owner_browser.get("/host/members").text
    assert "hat die Rolle geändert" in log and "hat entfernt" in log


def test_owners_of_the_default_organisation_rotate_the_host_token(
    make_client: ClientFactory,
) -> None:
    client = make_client()
    old = {"Authorization": f"Bearer {SETTINGS_HOST_TOKEN}"}
    assert client.post("/api/competitions", json={"title": "Cup"}, headers=old).status_code == 201
    csrf = log_in(client)
    rotated = client.post("/host/members/host-token", data={"csrf": csrf})
    assert rotated.headers["location"].endswith("ok=host_token_rotated")
    page = client.get("/host/members").text
    token = re.search(r'<code class="secret">([A-Za-z0-9_-]{40,})</code>', page)
    assert token and "hat einen neuen Host-Token erzeugt" in page
    assert token.group(1) not in client.get("/host/members").text
    new = {"Authorization": f"Bearer {token.group(1)}"}
    assert client.post("/api/competitions", json={"title": "Cup"}, headers=new).status_code == 201
    assert client.post("/api/competitions", json={"title": "Cup"}, headers=old).status_code == 403


def test_without_smtp_the_worker_logs_the_reset_mail(
    make_client: ClientFactory, settings: Settings, tmp_path: Path
) -> None:
    assert settings.smtp_url is None and settings.mode == "development"
    browser = make_client()
    account(_store(browser))
    log_path = tmp_path / "worker.log"
    with log_path.open("wb") as log_file:
        popen = subprocess.Popen(
            [sys.executable, "-m", "web.cli", "worker"], env=child_env(settings),
            stdin=subprocess.DEVNULL, stdout=log_file, stderr=subprocess.STDOUT,
        )  # fmt: skip
    worker = Process(popen)
    try:
        csrf = csrf_of(browser.get("/host/password-reset").text)
        browser.post("/host/password-reset", data={"csrf": csrf, "email": OWNER_EMAIL})
        marker = "DEV MAIL (MACHMAL_SMTP_URL not set)"
        wait_for(lambda: marker in log_path.read_text("utf-8"), timeout=MAIL_TIMEOUT)
    finally:
        worker.stop()
    text = log_path.read_text("utf-8")
    assert "o***@example.org" in text and OWNER_EMAIL not in text
    path = re.search(r"http://testserver(/host/password-reset/\S+)", text)
    assert path and browser.get(path.group(1)).status_code == 200
