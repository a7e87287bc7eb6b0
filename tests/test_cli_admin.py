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
