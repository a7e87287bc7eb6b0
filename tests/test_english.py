"""Every page in English says nothing in German: the data are ASCII-only, so any German
word or umlaut on an English page is ours. Both catalogues hold the same keys, and every
key a template asks for exists."""

from __future__ import annotations

import html
import json
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import redis
from starlette.testclient import TestClient

from duels import organisations
from duels.settings import Settings
from tests.accounts import log_in
from tests.conftest import ClientFactory
from tests.host.helpers import Host, record_official_counts
from voting import verify
from voting.admission import AdmissionSecrets
from web.i18n import catalogue, translator
from web.video_reasons import video_reason
from workers import media, transcode

WEB = Path(__file__).resolve().parent.parent / "web"
GERMAN = re.compile(
    r"\b(gegen|Freilos|Runden?|Abstimmung(en)?|Stimmen?|Sieger(in)?|Firmen?|Anmelden|Duelle?|"
    r"Zurück|Speichern|Team-?Name|Bitte|nicht|und|oder|für|mit|der|die|das)\b"
    r"|[äöüÄÖÜß]"
)
ASCII_TRADES = ("Baker", "Carpenter", "Chef")


@dataclass
class Cup:
    cid: str
    duels: list[dict[str, Any]]
    company_token: str
    others: list[str]  # the other companies' portal tokens
    screen_key: str
    code: str


def _german(text: str) -> list[str]:
    """The German words left in a page's visible text (tags, scripts and styles removed)."""
    text = re.sub(r"<(script|style)\b.*?</\1>", " ", text, flags=re.S | re.I)
    text = re.sub(r"<!--.*?-->", " ", text, flags=re.S)
    attributes = " ".join(
        re.findall(r'\b(?:title|alt|placeholder|aria-label|content|value)="([^"]*)"', text)
    )
    visible = html.unescape(re.sub(r"<[^>]+>", " ", text) + " " + attributes)
    found = []
    for match in GERMAN.finditer(visible):
        start, end = max(match.start() - 30, 0), match.end() + 30
        found.append(f"{match.group(0)!r} in …{' '.join(visible[start:end].split())}…")
    return found


def _host(client: TestClient, headers: dict[str, str]) -> Host:
    return Host(client, headers)


@pytest.fixture
def cup(client: TestClient, host_headers: dict[str, str], redis_client: redis.Redis) -> Cup:
    """Seven ASCII-named teams (one bye), a drawn bracket, one duel decided, one open, one
    still waiting; a company link, a stage screen and an attendee code."""
    host = _host(client, host_headers)
    cid = host.post("/api/competitions", {"title": "Spring Cup"}, 201)["id"]
    tokens, teams = [], []
    for n in range(7):
        company = host.post(f"/api/competitions/{cid}/companies", {"name": f"Acme {n}"}, 201)
        tokens.append(company["invite_token"])
        body = {"company_id": company["id"], "name": f"Crew {n}", "trade": ASCII_TRADES[n % 3]}
        teams.append(host.post(f"/api/competitions/{cid}/teams", body, 201)["id"])
    host.post(f"/api/competitions/{cid}/bracket", {"seeding": "manual", "order": teams}, 201)
    duels = [d for d in host.current_duels(cid) if d["status"] != "decided"]
    first, second = duels[0], duels[1]
    host.post(f"/api/duels/{first['id']}/open")
    record_official_counts(redis_client, first["id"], {first["home"]["id"]: 5})
    host.post(f"/api/duels/{first['id']}/close")
    host.post(f"/api/duels/{second['id']}/open")
    screen = host.post(f"/api/competitions/{cid}/screens", {"name": "Stage left"}, 201)
    host.post(f"/api/competitions/{cid}/codes", {"count": 2}, 201)
    listed = client.get(f"/api/competitions/{cid}/codes", headers=host_headers).json()
    return Cup(
        cid, host.current_duels(cid), tokens[0], tokens[1:], screen["key"], listed[0]["code"]
    )


def _english(client: TestClient) -> TestClient:
    client.cookies.set("mm_lang", "en")
    return client


def _check(client: TestClient, paths: list[str]) -> None:
    problems = {}
    for path in paths:
        response = client.get(path, follow_redirects=True)
        assert response.status_code < 500, (path, response.status_code)
        found = _german(response.text)
        if found:
            problems[path] = found[:8]
    assert not problems, json.dumps(problems, indent=1, ensure_ascii=False)


def test_audience_pages_in_english(
    client: TestClient, cup: Cup, settings: Settings, make_client: ClientFactory
) -> None:
    _english(client)
    decided, voting, waiting = (
        next(d for d in cup.duels if d["status"] == status)
        for status in ("decided", "voting", "pending")
    )
    statuses = [
        "counted", "already_voted", "voting_closed", "throttled", "pow_required", "pow_invalid",
        "team_not_in_duel", "invalid_body", "voter_token_missing", "csrf_invalid",
        "presence_required", "presence_stale", "presence_invalid", "code_required",
        "email_required", "admission_revoked", "email_sent", "email_invalid", "email_disposable",
        "email_throttled", "code_claimed", "code_unknown", "code_revoked",
        "code_claimed_elsewhere", "code_attempts_throttled",
    ]  # fmt: skip
    vote = f"/vote/{voting['id']}"
    secret = settings.secret_key_value()
    subject = AdmissionSecrets(secret).subject_hash("e", "ada@example.org")
    signer = verify.LinkSigner(secret)
    link = verify.VerifyLink(cup.cid, voting["id"], subject, "l1", int(time.time()) + 600)
    expired = verify.VerifyLink(cup.cid, voting["id"], subject, "l2", int(time.time()) - 1)
    store = client.app.state.store  # type: ignore[attr-defined]
    organisations.upgrade(store)
    organisation = organisations.get_organisation(store, organisations.DEFAULT)
    _check(
        client,
        [
            "/",
            vote,
            *(f"{vote}?status={status}" for status in statuses),
            f"/vote/{decided['id']}",
            f"/vote/{waiting['id']}",
            "/vote/unknown",
            f"/live/{cup.cid}",
            f"/live/{cup.cid}?mode=projector",
            f"/live/{cup.cid}/board",
            f"/screen/{cup.screen_key}",
            f"/stage/{cup.cid}",
            "/code",
            f"/code/{cup.code}",
            f"/code/duels/{cup.cid}",
            f"/verify/{signer.sign(link)}",
            f"/verify/{signer.sign(expired)}",
            f"/company/{cup.company_token}",
            "/company/not-a-token",
            f"/o/{organisation.slug}",
            f"/poster/duels/{voting['id']}",
        ],
    )
    form = client.get(vote).text
    csrf = re.search(r'name="csrf" value="([^"]+)"', form)
    assert csrf
    team = voting["home"]["id"]
    client.post(vote, data={"csrf": csrf.group(1), "team_id": team}, follow_redirects=True)
    _check(client, [vote])


def test_console_pages_in_english(client: TestClient, cup: Cup) -> None:
    _english(client)
    client.get("/host/login")
    log_in(client)
    did = cup.duels[0]["id"]
    organisation = organisations.DEFAULT
    _check(
        client,
        [
            "/host",
            f"/host/c/{cup.cid}",
            f"/host/c/{cup.cid}/advance",
            f"/host/c/{cup.cid}/codes",
            f"/host/c/{cup.cid}/codes/sheet",
            f"/host/c/{cup.cid}/branding",
            f"/host/o/{organisation}/branding",
            f"/host/c/{cup.cid}/posters",
            f"/host/c/{cup.cid}/show",  # the show remote, and the stage page with it
            f"/stage/{cup.cid}",
            f"/host/duels/{did}/quarantine",
            f"/host/duels/{did}/evidence",
            "/host/account",
            "/host/members",
            "/host/jury",
            "/host/invitation/not-a-token",
        ],
    )
    client.post("/host/logout", data={})
    _check(client, ["/host/login", "/host/password-reset", "/host/password-reset/not-a-token"])


# A key, and "~" when the template completes it (t("admission." ~ mode)).
TEMPLATE_KEY = re.compile(r"""\bt(?:\.plural|\.or_else)?\(\s*["']([A-Za-z0-9_.\-]+)["']\s*(~?)""")


def _known(key: str, known: dict[str, str]) -> bool:
    """A whole key, a plural pair, or the prefix of keys completed in the template."""
    if key.endswith("*"):
        return any(name.startswith(key[:-1]) for name in known)
    return key in known or (f"{key}.one" in known and f"{key}.other" in known)


def test_every_key_a_template_uses_exists_in_both_languages() -> None:
    used = {
        key + ("*" if completed else "")
        for template in (WEB / "templates").rglob("*.html")
        for key, completed in TEMPLATE_KEY.findall(template.read_text("utf-8"))
    }
    assert used
    for lang in ("de", "en"):
        known = catalogue(lang)
        missing = sorted(key for key in used if not _known(key, known))
        assert not missing, (lang, missing)


def test_both_languages_have_the_same_keys() -> None:
    german, english = set(catalogue("de")), set(catalogue("en"))
    assert sorted(german - english) == [] and sorted(english - german) == []


def test_generated_titles_and_worker_reasons_follow_the_language() -> None:
    english, german = translator("en"), translator("de")
    assert english.duel_title("Baker gegen Chef") == "Baker vs. Chef"
    assert english.duel_title("Baker: Freilos") == "Baker: bye"
    assert german.duel_title("Baker gegen Chef") == "Baker gegen Chef"
    assert english.duel_title("Bake-off") == "Bake-off"
    too_long = media.REASON_TOO_LONG.format(seconds=200.2, limit=180)
    assert video_reason(english, too_long).startswith("The video is 200 seconds long")
    assert video_reason(german, too_long) == too_long
    assert video_reason(english, transcode.REASON_FAILED) == english("i18n.reason.failed")
    assert video_reason(english, "Too dark") == "Too dark"  # a host's own words


def test_share_cards_in_english_are_their_own_files(client: TestClient, cup: Cup) -> None:
    voting = next(d for d in cup.duels if d["status"] == "voting")
    german = client.get(f"/cards/duels/{voting['id']}/post.png")
    english = client.get(f"/cards/duels/{voting['id']}/post.png?lang=en")
    assert german.status_code == english.status_code == 200
    assert german.headers["etag"] != english.headers["etag"]
    assert (
        client.get(f"/cards/duels/{voting['id']}/post.png").headers["etag"]
        == german.headers["etag"]
    )
    portals = [_english(client).get(f"/company/{token}").text for token in cup.others]
    assert any("/post.png?lang=en" in portal for portal in portals)
