"""Findings of walking through the console as a new organiser: a person sees only the
buttons their role may use, and the console does not break out of a 360 px phone."""

from __future__ import annotations

import re
from pathlib import Path

from starlette.testclient import TestClient

from duels.access import Role
from tests.accounts import account, log_in, log_in_form
from tests.host.helpers import Host

STATIC = Path(__file__).resolve().parents[2] / "web" / "static"
RUN_ONLY = (
    'data-action="show-remote"',
    'data-action="open"',
    'data-action="walkover"',
    'data-action="advance"',
    "/undo",
    'data-action="results-mode"',
)
CONFIGURE_ONLY = ('data-action="branding"', 'id="admission"', 'data-action="duel-admission"')


def _drawn(client: TestClient, host_headers: dict[str, str]) -> str:
    host = Host(client, host_headers)
    cid, _ = host.competition(4)
    host.post(f"/api/competitions/{cid}/bracket", {"seed": 1}, 201)
    return cid


def test_a_moderator_sees_no_buttons_of_the_host(
    client: TestClient, host_headers: dict[str, str]
) -> None:
    cid = _drawn(client, host_headers)
    log_in(client, "mod@example.org", Role.MODERATOR)
    page = client.get(f"/host/c/{cid}")
    assert page.status_code == 200
    for marker in RUN_ONLY + CONFIGURE_ONLY:
        assert marker not in page.text, marker
    assert "/host/duels/" in page.text  # the duels are listed, with the moderator's links


def test_a_viewer_reads_without_forms_that_would_refuse(
    client: TestClient, host_headers: dict[str, str]
) -> None:
    cid = _drawn(client, host_headers)
    log_in(client, "viewer@example.org", Role.VIEWER)
    page = client.get(f"/host/c/{cid}").text
    forms = re.findall(r'<form method="post" action="([^"]+)"', page)
    assert forms == ["/host/logout", "/host/logout-everywhere"], forms
    assert "/quarantine" not in page and "/evidence" not in page and "/original" not in page


def test_a_host_keeps_every_button(client: TestClient, host_headers: dict[str, str]) -> None:
    cid = _drawn(client, host_headers)
    log_in(client, "host@example.org", Role.HOST)
    page = client.get(f"/host/c/{cid}").text
    for marker in RUN_ONLY + CONFIGURE_ONLY:
        assert marker in page, marker


def test_console_tables_scroll_inside_the_page(
    client: TestClient, host_headers: dict[str, str]
) -> None:
    cid = _drawn(client, host_headers)
    log_in(client)
    for path in (f"/host/c/{cid}", "/host/members"):
        page = client.get(path).text
        before = [page[: m.start()].rstrip() for m in re.finditer("<table", page)]
        assert before and all(b.endswith('<div class="table-scroll">') for b in before), path
    css = (STATIC / "style.css").read_text()
    assert re.search(r"\.host-nav \{[^}]*flex-wrap: wrap", css)
    # the visually-hidden labels inside a scrolled table must not widen the page
    assert re.search(r"\.table-scroll \{[^}]*position: relative", css)


def test_the_next_duel_link_speaks_english(
    client: TestClient, host_headers: dict[str, str]
) -> None:
    host = Host(client, host_headers)
    cid, _ = host.competition(4, admission="open")
    first, second = host.post(f"/api/competitions/{cid}/bracket", {"seed": 1}, 201)["rounds"][0][
        "duels"
    ]
    host.post(f"/api/duels/{first['id']}/open")
    host.post(f"/api/duels/{first['id']}/close")
    host.post(f"/api/duels/{second['id']}/open")
    page = client.get(f"/vote/{first['id']}?lang=en").text
    link = re.search(r'data-next-duel="[^"]+">([^<]+)</a>', page)
    assert link, "the closed duel's page offers the open one"
    assert " gegen " not in link.group(1) and " vs" in link.group(1), link.group(1)


def test_the_navigation_offers_only_what_the_role_may_open(client: TestClient) -> None:
    """Owners see the members page; a moderator does not; a jury member sees their duels
    instead of the competitions, and a 403 page leads them back there."""
    for email, role, shown, hidden in (
        ("owner@example.org", Role.OWNER, ['href="/host/members"', 'href="/host"'], []),
        ("mod@example.org", Role.MODERATOR, ['href="/host"'], ['href="/host/members"']),
        ("jury@example.org", Role.JURY, ['href="/host/jury"'], ['href="/host/members"']),
    ):
        account(client.app.state.store, email, role)  # type: ignore[attr-defined]
        browser = TestClient(client.app)
        assert log_in_form(browser, email).status_code == 303
        page = browser.get("/host/account").text
        nav = page.split('class="host-nav"')[1].split("</nav>")[0]
        assert all(link in nav for link in shown), (role, nav)
        assert not any(link in nav for link in hidden), (role, nav)
    refused = browser.get("/host/members", headers={"accept": "text/html"})
    assert refused.status_code == 403 and 'href="/host/jury"' in refused.text
