"""The organiser's own account page: password, second factor, log out everywhere, API keys."""

from __future__ import annotations

import html
import re
import time
from concurrent.futures import ThreadPoolExecutor

import pyotp
import redis
from starlette.testclient import TestClient

from duels import accounts, errors, keys
from duels.access import Role
from tests.accounts import OWNER_EMAIL, PASSWORD, account, csrf_of, log_in, log_in_form
from tests.host.helpers import Host

NEW_PASSWORD = "another long passphrase"


def _account_page(client: TestClient) -> str:
    page = client.get("/host/account", follow_redirects=False)
    assert page.status_code == 200, page.text
    return str(page.text)


def _post(client: TestClient, path: str, **form: str) -> str:
    """Post a form of the account page; the redirect's query (``ok=...``/``error=...``)."""
    form["csrf"] = csrf_of(_account_page(client))
    response = client.post(path, data=form, follow_redirects=False)
    assert response.status_code == 303, response.text
    return str(response.headers["location"]).partition("?")[2]


def _logged_in(client: TestClient) -> bool:
    return bool(client.get("/host", follow_redirects=False).status_code == 200)


def _second_client(client: TestClient, email: str = OWNER_EMAIL) -> TestClient:
    other = TestClient(client.app)
    assert log_in_form(other, email).status_code == 303
    assert _logged_in(other)
    return other


def test_page_shows_the_person_and_is_linked_from_the_nav(client: TestClient) -> None:
    log_in(client)
    assert 'href="/host/account"' in client.get("/host").text
    page = _account_page(client)
    assert OWNER_EMAIL in page
    assert 'action="/host/logout-everywhere"' in page


def test_password_change_ends_the_other_sessions_and_keeps_this_one(client: TestClient) -> None:
    log_in(client)
    other = _second_client(client)
    wrong = _post(client, "/host/account/password", current="not it at all", new=NEW_PASSWORD,
                  repeat=NEW_PASSWORD)  # fmt: skip
    assert wrong == "error=login_invalid"
    differ = _post(client, "/host/account/password", current=PASSWORD, new=NEW_PASSWORD,
                   repeat=NEW_PASSWORD + "x")  # fmt: skip
    assert differ == "error=new_password_mismatch"
    assert _logged_in(other)

    done = _post(client, "/host/account/password", current=PASSWORD, new=NEW_PASSWORD,
                 repeat=NEW_PASSWORD)  # fmt: skip
    assert done == "ok=password_changed"
    assert _logged_in(client)
    assert not _logged_in(other)

    fresh = TestClient(client.app)
    assert log_in_form(fresh, OWNER_EMAIL, PASSWORD).status_code == 403
    assert log_in_form(fresh, OWNER_EMAIL, NEW_PASSWORD).status_code == 303


def test_a_stolen_session_cannot_guess_the_current_password_freely(client: TestClient) -> None:
    """The password form has the login's brake: five wrong guesses lock the address, and
    then even the right password waits."""
    log_in(client)
    answers = [
        _post(client, "/host/account/password", current=f"guess number {n}", new=NEW_PASSWORD,
              repeat=NEW_PASSWORD)
        for n in range(6)
    ]  # fmt: skip
    assert answers[:5] == ["error=login_invalid"] * 5
    assert answers[5] == "error=login_throttled"
    right = _post(client, "/host/account/password", current=PASSWORD, new=NEW_PASSWORD,
                  repeat=NEW_PASSWORD)  # fmt: skip
    assert right == "error=login_throttled"


def test_totp_set_up_confirm_and_log_in_with_a_code(client: TestClient) -> None:
    log_in(client)
    assert "totp-secret" not in _account_page(client)
    assert _post(client, "/host/account/totp/setup") == "ok=totp_started"
    page = _account_page(client)
    match = re.search(r'<code id="totp-secret">([A-Z2-7]+)</code>', page)
    assert match, "the page shows the secret"
    secret = match.group(1)
    assert 'src="data:image/svg+xml;base64,' in page

    assert _post(client, "/host/account/totp/confirm", code="000000") in (
        "error=totp_invalid",
        "ok=totp_enabled",  # one in a million: the right code by chance
    )
    totp = pyotp.TOTP(secret)
    assert _post(client, "/host/account/totp/confirm", code=totp.now()) == "ok=totp_enabled"
    assert "totp-secret" not in _account_page(client)

    client.post("/host/logout", data={"csrf": csrf_of(_account_page(client))})
    assert not _logged_in(client)
    asked = log_in_form(client)
    assert asked.status_code == 403
    assert 'name="code"' in asked.text
    # One step ahead of the confirmation's code (within the allowed clock drift).
    code = totp.at(time.time() + totp.interval)
    assert log_in_form(client, code=code).status_code == 303
    assert _logged_in(client)
    again = log_in_form(TestClient(client.app), code=code)
    assert again.status_code == 403  # replayed
    assert 'name="code"' in again.text


def test_turning_totp_off_needs_a_valid_code(client: TestClient) -> None:
    log_in(client)
    _post(client, "/host/account/totp/setup")
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', _account_page(client))
    assert secret
    totp = pyotp.TOTP(secret.group(1))
    confirmed = totp.now()  # the same code twice, even if the 30 s step turns in between
    assert _post(client, "/host/account/totp/confirm", code=confirmed) == "ok=totp_enabled"
    assert _post(client, "/host/account/totp/off", code=confirmed) == "error=totp_invalid"
    ahead = totp.at(time.time() + totp.interval)
    assert _post(client, "/host/account/totp/off", code=ahead) == "ok=totp_disabled"
    assert log_in_form(TestClient(client.app)).status_code == 303


def test_log_out_everywhere_ends_both_sessions(client: TestClient) -> None:
    log_in(client)
    other = _second_client(client)
    response = client.post(
        "/host/logout-everywhere",
        data={"csrf": csrf_of(_account_page(client))},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert not _logged_in(client)
    assert not _logged_in(other)


def _new_key(client: TestClient, name: str, role: str, competition: str = "") -> str:
    assert _post(client, "/host/account/keys", name=name, role=role,
                 competition=competition) == "ok=key_created"  # fmt: skip
    page = _account_page(client)
    match = re.search(r'id="new-key-secret" readonly value="([^"]+)"', page)
    assert match, "the new key is shown once"
    assert "new-key-secret" not in _account_page(client)
    return html.unescape(match.group(1))


def _bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def test_api_keys_are_capped_named_in_the_audit_and_revocable(
    client: TestClient, host_headers: dict[str, str]
) -> None:
    host = Host(client, host_headers)
    cid, _ = host.competition(teams=2)
    log_in(client)

    viewer = _new_key(client, "nur lesen", "viewer")
    assert client.get(f"/api/competitions/{cid}/audit", headers=_bearer(viewer)).status_code == 200
    refused = client.post(f"/api/competitions/{cid}/advance", headers=_bearer(viewer))
    assert refused.status_code == 403
    assert refused.json()["detail"]["code"] == "role_forbidden"

    hosting = _new_key(client, "Skript", "host")
    added = client.post(
        f"/api/competitions/{cid}/companies", json={"name": "Firma K"}, headers=_bearer(hosting)
    )
    assert added.status_code == 201, added.text
    who = client.get(f"/api/competitions/{cid}/audit", headers=host_headers).json()[-1]["who"]
    assert OWNER_EMAIL in who and "Skript" in who

    page = _account_page(client)
    assert "nur lesen" in page and "Skript" in page and viewer not in page
    key_ids = re.findall(r'name="key_id" value="([^"]+)"', page)
    assert len(key_ids) == 2
    for key_id in key_ids:
        assert _post(client, "/host/account/keys/revoke", key_id=key_id) == "ok=key_revoked"
    assert _post(client, "/host/account/keys/revoke", key_id="k-gone") == "error=unknown_api_key"
    gone = client.get(f"/api/competitions/{cid}/audit", headers=_bearer(viewer))
    assert gone.status_code == 403
    assert gone.json()["detail"]["code"] == "host_token_invalid"


def test_a_key_limited_to_one_competition_is_refused_on_another(
    client: TestClient, host_headers: dict[str, str]
) -> None:
    host = Host(client, host_headers)
    first, _ = host.competition(teams=2)
    second, _ = host.competition(teams=2)
    log_in(client)
    limited = _new_key(client, "nur A", "viewer", competition=first)
    assert client.get(f"/api/competitions/{first}/audit", headers=_bearer(limited)).is_success
    other = client.get(f"/api/competitions/{second}/audit", headers=_bearer(limited))
    assert other.status_code == 403
    assert other.json()["detail"]["code"] == "role_forbidden"


def test_a_key_never_exceeds_the_persons_role(client: TestClient) -> None:
    store = client.app.state.store  # type: ignore[attr-defined]
    account(store, "viewer@example.org", Role.VIEWER)
    log_in(client, "viewer@example.org", Role.VIEWER)
    page = _account_page(client)
    assert 'value="viewer"' in page and 'value="host"' not in page
    assert _post(client, "/host/account/keys", name="mehr", role="host") == "error=role_forbidden"
    assert _post(client, "/host/account/keys", name="fremd", role="viewer",
                 competition="c-unknown") == "error=unknown_competition"  # fmt: skip


def test_a_code_counts_once_even_when_two_logins_race(redis_client: redis.Redis) -> None:
    """Eight logins present the same code at the same moment: exactly one gets through."""
    user = account(redis_client, "racer@example.org")
    secret = accounts.new_totp_secret()
    redis_client.hset(keys.user(user.id), "totp", secret)
    code = pyotp.TOTP(secret).now()

    def attempt(_: int) -> bool:
        try:
            accounts.verify_totp(redis_client, user.id, code)
        except errors.Forbidden:
            return False
        return True

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(attempt, range(8)))
    assert results.count(True) == 1
