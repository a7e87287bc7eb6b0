"""Organiser accounts for the tests: made through the domain, logged in through the form."""

from __future__ import annotations

import re

import httpx
import redis
from starlette.testclient import TestClient

from duels import accounts, organisations
from duels.access import Role

OWNER_EMAIL = "owner@example.org"
PASSWORD = "correct horse battery"


def csrf_of(page: str) -> str:
    match = re.search(r'name="csrf" value="([0-9a-f]+)"', page)
    assert match, "page has no CSRF field"
    return match.group(1)


def account(
    store: redis.Redis,
    email: str = OWNER_EMAIL,
    role: Role | str = Role.OWNER,
    scope: str = f"o:{organisations.DEFAULT}",
    password: str = PASSWORD,
) -> accounts.User:
    """The account ``email`` (made once) holding ``role`` in ``scope``."""
    organisations.upgrade(store)
    user = accounts.find_user(store, email) or accounts.create_user(store, email, password)
    organisations.grant(store, user.id, scope, role)
    return user


def log_in_form(
    http: TestClient | httpx.Client,
    email: str = OWNER_EMAIL,
    password: str = PASSWORD,
    code: str = "",
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    """Post the login form as a browser would (not following the redirect)."""
    csrf = csrf_of(http.get("/host/login", headers=headers).text)
    form = {"email": email, "password": password, "csrf": csrf}
    if code:
        form["code"] = code
    return http.post("/host/login", data=form, headers=headers, follow_redirects=False)


def log_in(client: TestClient, email: str = OWNER_EMAIL, role: Role | str = Role.OWNER) -> str:
    """Log ``client`` in as an account holding ``role`` in the default organisation;
    returns the CSRF token of the console's start page."""
    account(client.app.state.store, email, role)  # type: ignore[attr-defined]
    response = log_in_form(client, email)
    assert response.status_code == 303, response.text
    page = client.get("/host")
    assert page.status_code == 200
    return csrf_of(page.text)
