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
    # Two trades: "A vs. B"; one trade (the draw may pair two bakers): "<trade>-Challenge".
    title = link.group(1)
    assert " gegen " not in title and (" vs" in title or title.endswith("-Challenge")), title


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


def test_duel_actions_come_back_to_the_duels_row(
    client: TestClient, host_headers: dict[str, str]
) -> None:
    cid = _drawn(client, host_headers)
    did = Host(client, host_headers).current_duels(cid)[0]["id"]
    csrf = log_in(client)
    page = client.get(f"/host/c/{cid}").text
    assert f'<tr data-duel="{did}" id="duel-{did}"' in page

    def answer(path: str, **form: str) -> str:
        sent = client.post(path, data={"csrf": csrf, **form}, follow_redirects=False)
        assert sent.status_code == 303, sent.text
        return str(sent.headers["location"])

    row = f"#duel-{did}"
    assert answer(f"/host/duels/{did}/admission", mode="open") == (
        f"/host/c/{cid}?ok=admission_set{row}"
    )
    assert answer(f"/host/duels/{did}/results-mode", mode="on_reveal") == (
        f"/host/c/{cid}?ok=results_mode_set{row}"
    )
    assert answer(f"/host/duels/{did}/open") == f"/host/c/{cid}?ok=voting_opened{row}"
    assert answer(f"/host/duels/{did}/reveal") == f"/host/c/{cid}?error=still_voting{row}"
    assert answer(f"/host/duels/{did}/close") == f"/host/c/{cid}?ok=voting_closed{row}"
    assert answer(f"/host/duels/{did}/reveal") == f"/host/c/{cid}?ok=revealed{row}"
    css = (STATIC / "style.css").read_text()
    assert ".host-nav ~ .notice[role] { position: sticky" in css  # the outcome stays in view


def test_duels_are_named_by_round_and_teams_not_codes(
    client: TestClient, host_headers: dict[str, str]
) -> None:
    cid = _drawn(client, host_headers)
    log_in(client)
    for lang, label in (("de", "Runde 1 · Team "), ("en", "Round 1 · Team ")):
        console = client.get(f"/host/c/{cid}?lang={lang}").text
        assert "r1m1" not in re.sub(r'(id|data-[a-z-]+)="[^"]*"', "", console), lang
        assert f"<td>{label.split(' · ')[0]}</td>" in console, lang
        remote = client.get(f"/host/c/{cid}/show?lang={lang}").text
        options = re.findall(r'<option value="[^"]+"[^>]*>([^<]+)</option>', remote)
        joined = " gegen " if lang == "de" else " vs. "
        assert options and all(o.startswith(label) and joined in o for o in options), options
        assert '<optgroup label="' in remote, "the status labels a group, not each option"


def test_selects_use_the_width_they_have() -> None:
    css = (STATIC / "style.css").read_text()
    assert re.search(r"form\.inline select \{[^}]*width: auto", css)
    show = (STATIC / "show.css").read_text()
    assert re.search(r"\.show-remote \{[^}]*grid-template-columns: minmax\(0, 1fr\)", show)


def test_results_modes_read_as_words(client: TestClient, host_headers: dict[str, str]) -> None:
    cid = _drawn(client, host_headers)
    log_in(client)
    for lang, words in (
        ("de", ["Sofort (live während der Abstimmung)", "Nach Ende der Abstimmung",
                "Erst nach Enthüllung"]),
        ("en", ["Right away (live while voting)", "When voting ends", "Only once revealed"]),
    ):  # fmt: skip
        page = client.get(f"/host/c/{cid}?lang={lang}").text
        shown = re.findall(r'<option value="(?:live|after_close|on_reveal)"[^>]*>([^<]+)<', page)
        assert shown[:3] == words, (lang, shown[:3])


def test_the_start_page_leads_organisers_to_the_login(client: TestClient) -> None:
    for lang, text in (("de", "Für Veranstalter: Anmelden"), ("en", "For organisers: sign in")):
        page = client.get(f"/?lang={lang}").text
        assert f'<a href="/host/login" data-host-entry>{text}</a>' in page, lang


def test_the_jury_page_links_a_juror_to_their_account(client: TestClient) -> None:
    log_in(client, "jury-only@example.org", Role.JURY)

    def nav(browser: TestClient) -> str:
        return browser.get("/host/jury").text.split('class="jury-nav"')[1].split("</nav>")[0]

    assert 'href="/host"' not in nav(client) and 'href="/host/account"' in nav(client)
    host = TestClient(client.app)
    log_in(host, "host-and-more@example.org", Role.HOST)
    assert 'href="/host"' in nav(host)
