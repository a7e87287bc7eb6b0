"""``machmal admin create`` from a shell without a terminal: the password is printed once."""

from __future__ import annotations

import re
import subprocess
import sys

from starlette.testclient import TestClient

from duels.settings import Settings
from tests.accounts import log_in_form
from tests.support import child_env

EMAIL = "a@example.org"


def _create(settings: Settings) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "web.cli", "admin", "create", EMAIL],
        env=child_env(settings),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_admin_create_prints_a_password_that_logs_in(
    settings: Settings, client: TestClient
) -> None:
    created = _create(settings)
    assert created.returncode == 0, created.stderr
    match = re.search(r"Password \(shown once\): (\S+)", created.stdout)
    assert match, created.stdout
    response = log_in_form(client, EMAIL, match.group(1))
    assert response.status_code == 303, response.text
    assert client.get("/host", follow_redirects=False).status_code == 200

    again = _create(settings)
    assert again.returncode == 1
    assert "email_taken" in again.stderr


def test_a_second_region_gets_its_own_organisation_and_owner(
    settings: Settings, client: TestClient
) -> None:
    """Another region on the same installation: its owner sees only its competitions."""

    def admin(*argv: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "web.cli", "admin", *argv],
            env=child_env(settings), stdin=subprocess.DEVNULL, capture_output=True, text=True,
            timeout=120, check=True,
        )  # fmt: skip
        return done.stdout

    made = admin("create-organisation", "Initiative Nord", "--slug", "nord", "--region", "Kiel")
    oid = re.search(r"Created organisation (\S+) ", made)
    assert oid, made
    password = re.search(
        r"Password \(shown once\): (\S+)",
        admin("create", "nord@example.org", "--organisation", oid[1]),
    )
    assert password
    assert log_in_form(client, "nord@example.org", password[1]).status_code == 303
    csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', client.get("/host").text)
    assert csrf
    form = {"csrf": csrf[1], "title": "Nordduell", "organisation": oid[1]}
    created = client.post("/host/competitions", data=form, follow_redirects=False)
    assert "ok=competition_created" in created.headers["location"]
    cid = created.headers["location"].split("/host/c/")[1].split("?")[0]
    default = client.post(
        "/host/competitions", data={**form, "organisation": "default"}, follow_redirects=False
    )
    assert "error=role_forbidden" in default.headers["location"]
    listing = client.get("/o/nord").text
    assert "Nordduell" in listing and f"/live/{cid}" in listing
