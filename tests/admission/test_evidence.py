"""Evidence for hosts: votes cast through the real vote API, counted by the real tally,
shown per duel (API and console page), warned about before an advance, exported."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Any

import pytest
import redis
from starlette.testclient import TestClient

from duels import keys, privacy
from duels.settings import Settings
from tests.accounts import log_in
from tests.conftest import ClientFactory
from tests.host.helpers import Host
from tests.voting.factories import voter_cookie
from tests.voting.helpers import SECRET, code, vote
from voting import evidence
from voting.admission import AdmissionSecrets
from workers.tally import tally

CROWD = 25  # distinct networks voting once each for B
FLOOD = 30  # votes of one network for A (more than fraud_votes_per_network = 20)
XSS = "<script>alert(1)</script>"


@dataclass(frozen=True)
class Duel:
    cid: str
    did: str
    a: str  # home team
    b: str  # away team


def host_duel(
    client: TestClient, host_headers: dict[str, str], admission: str = "open", name: str = "A"
) -> Duel:
    """A drawn, opened one-duel competition; team A is home."""
    host = Host(client, host_headers)
    cid = host.post("/api/competitions", {"title": "Cup", "admission": admission}, 201)["id"]
    teams = []
    for team in (name, "Team B"):
        company = host.post(f"/api/competitions/{cid}/companies", {"name": f"F {team}"}, 201)
        body = {"company_id": company["id"], "name": team, "trade": "Koch/Köchin"}
        teams.append(host.post(f"/api/competitions/{cid}/teams", body, 201)["id"])
    host.post(f"/api/competitions/{cid}/bracket", {"seeding": "manual", "order": teams}, 201)
    did = host.current_duels(cid)[0]["id"]
    host.post(f"/api/duels/{did}/open")
    return Duel(cid, did, teams[0], teams[1])


def flood_and_crowd(make_client: ClientFactory, duel: Duel) -> list[str]:
    """One network casts FLOOD votes for A, CROWD networks one each for B; returns the
    cookies of the flooding network's voters."""
    flood = make_client("198.51.100.7")
    cookies = [voter_cookie(SECRET) for _ in range(FLOOD)]
    for cookie in cookies:
        assert vote(flood, duel.did, duel.a, cookie=cookie).status_code == 202
    for n in range(CROWD):
        phone = make_client(f"203.0.{n + 1}.9")
        assert vote(phone, duel.did, duel.b).status_code == 202
        phone.__exit__(None, None, None)
    return cookies


@pytest.fixture
def flooded(
    make_client: ClientFactory,
    client: TestClient,
    host_headers: dict[str, str],
    redis_client: redis.Redis,
    settings: Settings,
) -> Duel:
    """The open-mode duel of the issue, with three double taps, tallied and closed."""
    duel = host_duel(client, host_headers)
    cookies = flood_and_crowd(make_client, duel)
    again = make_client("198.51.100.7")
    for cookie in cookies[:3]:
        tapped = vote(again, duel.did, duel.a, cookie=cookie)
        assert tapped.status_code == 409 and code(tapped) == "already_voted"
    run = tally(redis_client, settings, duel.did, consumer="t")
    assert run.counted == FLOOD + CROWD
    Host(client, host_headers).post(f"/api/duels/{duel.did}/close")
    return duel


def test_held_back_network_is_shown_with_reason_timeline_and_what_if(
    flooded: Duel, redis_client: redis.Redis, settings: Settings
) -> None:
    found = evidence.duel_evidence(redis_client, settings, flooded.did)

    assert found.mode == "open"
    assert found.official == {flooded.a: 0, flooded.b: CROWD}
    assert found.held_back == {flooded.a: FLOOD, flooded.b: 0}
    assert found.provisional == {flooded.a: FLOOD, flooded.b: CROWD}
    [group] = found.groups
    assert group.reason == "volume" and group.state == "pending"
    assert group.description == "more than 20 votes from one network in this duel"
    assert group.teams == {flooded.a: FLOOD}
    assert group.without_group.winner == flooded.b
    assert group.with_group.counts == {flooded.a: FLOOD, flooded.b: CROWD}
    assert group.with_group.winner == flooded.a
    assert group.could_change_winner and found.winner_at_risk
    # The timeline accounts for every accepted vote, the network's under its group.
    assert sum(bucket.total for bucket in found.timeline) == FLOOD + CROWD
    assert sum(sum(bucket.by_group.values()) for bucket in found.timeline) == FLOOD
    assert {name for bucket in found.timeline for name in bucket.by_group} == {group.group}
    assert sum(b.by_kind.get("open", 0) for b in found.timeline) == CROWD
    assert all(bucket.t % found.bucket_seconds == 0 for bucket in found.timeline)
    assert found.bucket_seconds == settings.evidence_bucket_seconds
    assert not found.timeline_purged
    assert found.integrity.public() == {
        "admission": "open", "counted": CROWD, "held_back": FLOOD, "included_groups": 0,
        "refused": 3, "refused_by_code": {"already_voted": 3}, "accepted": FLOOD + CROWD,
        "in_stream": FLOOD + CROWD, "uncounted": 0,
    }  # fmt: skip


def test_evidence_api_needs_the_host_token(
    flooded: Duel, client: TestClient, host_headers: dict[str, str]
) -> None:
    refused = client.get(f"/api/duels/{flooded.did}/evidence")
    assert refused.status_code == 401 and code(refused) == "host_token_required"
    wrong = client.get(
        f"/api/duels/{flooded.did}/evidence", headers={"Authorization": "Bearer nope"}
    )
    assert wrong.status_code == 403
    body = client.get(f"/api/duels/{flooded.did}/evidence", headers=host_headers).json()
    assert body["groups"][0]["could_change_winner"] is True
    assert body["groups"][0]["with_group"]["winner"] == flooded.a
    assert body["integrity"]["refused_by_code"] == {"already_voted": 3}
    assert sum(bucket["total"] for bucket in body["timeline"]) == FLOOD + CROWD
    missing = client.get("/api/duels/nosuchd1/evidence", headers=host_headers)
    assert missing.status_code == 404 and code(missing) == "unknown_duel"


def test_advance_page_warns_until_the_group_is_reviewed(
    flooded: Duel, client: TestClient, redis_client: redis.Redis, settings: Settings
) -> None:
    csrf = log_in(client)
    warning = "Achtung: zurückgehaltene Stimmen könnten den Sieger ändern – erst prüfen"
    page = client.get(f"/host/c/{flooded.cid}/advance").text
    assert warning in page
    assert f'href="/host/duels/{flooded.did}/evidence"' in page
    competition = client.get(f"/host/c/{flooded.cid}").text
    assert f'href="/host/duels/{flooded.did}/evidence"' in competition

    shown = client.get(f"/host/duels/{flooded.did}/evidence").text
    assert "mehr als 20 Stimmen aus einem Netzwerk in diesem Duell" in shown
    assert "könnte den Sieger ändern" in shown
    assert shown.count("<rect x=") >= 2  # crowd and held-back segments
    [group] = evidence.duel_evidence(redis_client, settings, flooded.did).groups
    included = client.post(
        f"/host/duels/{flooded.did}/quarantine/{group.group}/include",
        data={"csrf": csrf, "reason": "Schulklasse im WLAN", "back": "evidence"},
        follow_redirects=False,
    )
    assert included.status_code == 303
    assert included.headers["location"].startswith(f"/host/duels/{flooded.did}/evidence?ok=")

    after = evidence.duel_evidence(redis_client, settings, flooded.did)
    assert after.official == {flooded.a: FLOOD, flooded.b: CROWD}
    assert after.groups[0].state == "included" and after.integrity.included_groups == 1
    assert after.groups[0].without_group.winner == flooded.b  # excluding it would flip
    assert not after.winner_at_risk
    assert warning not in client.get(f"/host/c/{flooded.cid}/advance").text


def test_exports_carry_the_integrity_summary(flooded: Duel, client: TestClient) -> None:
    log_in(client)
    [row] = client.get(f"/host/c/{flooded.cid}/results.json").json()
    assert {k: row[k] for k in evidence.INTEGRITY_COLUMNS} == {
        "admission": "open", "counted": CROWD, "held_back": FLOOD, "included_groups": 0,
        "refused": 3, "refused_by_code": {"already_voted": 3},
    }  # fmt: skip
    assert row["home_quarantined"] == FLOOD  # the existing columns stay
    exported = client.get(f"/host/c/{flooded.cid}/results.csv")
    [line] = list(csv.DictReader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert line["admission"] == "open"
    assert (line["counted"], line["held_back"], line["refused"]) == (str(CROWD), str(FLOOD), "3")
    assert line["refused_by_code"] == "already_voted=3"


def test_venue_duel_counts_refusals_by_code_and_votes_by_kind(
    make_client: ClientFactory,
    client: TestClient,
    host_headers: dict[str, str],
    redis_client: redis.Redis,
    settings: Settings,
) -> None:
    duel = host_duel(client, host_headers, admission="venue")
    phone = make_client()
    for _ in range(2):
        refused = vote(phone, duel.did, duel.a)
        assert refused.status_code == 403 and code(refused) == "presence_required"
    cookie = voter_cookie(SECRET)
    token = AdmissionSecrets(SECRET).presence_token(duel.did).token
    marked = phone.get(f"/vote/{duel.did}?p={token}", headers={"Cookie": f"mm_voter={cookie}"})
    assert marked.status_code == 303
    assert vote(phone, duel.did, duel.b, cookie=cookie).status_code == 202
    tally(redis_client, settings, duel.did, consumer="t")

    found = evidence.duel_evidence(redis_client, settings, duel.did)
    assert found.mode == "venue"
    assert found.integrity.refused_by_code == {"presence_required": 2}
    assert found.official == {duel.a: 0, duel.b: 1}
    assert [bucket.by_kind for bucket in found.timeline] == [{"venue": 1}]
    assert found.groups == ()
    log_in(client)
    page = client.get(f"/host/duels/{duel.did}/evidence").text
    assert "Vor Ort: Abstimmen kann nur" in page
    assert 'data-code="presence_required"' in page


def test_a_duel_without_votes_and_a_bye(
    client: TestClient,
    host_headers: dict[str, str],
    redis_client: redis.Redis,
    settings: Settings,
) -> None:
    duel = host_duel(client, host_headers)
    empty = evidence.duel_evidence(redis_client, settings, duel.did)
    assert empty.timeline == () and not empty.timeline_purged
    assert empty.result.winner == evidence.TIE and not empty.winner_at_risk
    assert empty.integrity.public()["accepted"] == 0

    host = Host(client, host_headers)
    cid = host.post("/api/competitions", {"title": "Drei"}, 201)["id"]
    company = host.post(f"/api/competitions/{cid}/companies", {"name": "F"}, 201)["id"]
    for n in range(3):
        body = {"company_id": company, "name": f"T{n}", "trade": "Koch/Köchin"}
        host.post(f"/api/competitions/{cid}/teams", body, 201)
    host.post(f"/api/competitions/{cid}/bracket", {"seed": 3}, 201)
    bye = next(d for d in host.current_duels(cid) if not d["away"])
    found = evidence.duel_evidence(redis_client, settings, bye["id"])
    assert found.official == {bye["home"]["id"]: 0} and found.groups == ()
    assert found.result.winner == bye["home"]["id"]
    log_in(client)
    for did in (duel.did, bye["id"]):
        assert client.get(f"/host/duels/{did}/evidence").status_code == 200
        assert client.get(f"/api/duels/{did}/evidence", headers=host_headers).status_code == 200


def test_purged_votes_leave_the_counts_and_say_so(
    flooded: Duel, redis_client: redis.Redis, settings: Settings, client: TestClient
) -> None:
    privacy.purge(redis_client, flooded.cid, force=True)
    assert redis_client.xlen(keys.votes(flooded.did)) == 0
    found = evidence.duel_evidence(redis_client, settings, flooded.did)
    assert found.timeline == () and found.timeline_purged
    assert found.integrity.counted == CROWD and found.integrity.held_back == FLOOD
    assert found.groups[0].could_change_winner  # the renamed group keeps its counts
    log_in(client)
    assert 'data-timeline="purged"' in client.get(f"/host/duels/{flooded.did}/evidence").text


def test_team_names_are_escaped_on_the_evidence_page(
    client: TestClient, host_headers: dict[str, str]
) -> None:
    duel = host_duel(client, host_headers, name=XSS)
    log_in(client)
    page = client.get(f"/host/duels/{duel.did}/evidence")
    assert page.status_code == 200
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    assert XSS not in page.text


def test_console_page_needs_a_login(flooded: Duel, client: TestClient) -> None:
    response = client.get(f"/host/duels/{flooded.did}/evidence", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/host/login"


def test_timeline_widens_its_buckets_past_the_cap(
    redis_client: redis.Redis, settings: Settings
) -> None:
    from voting.timeline import read_timeline

    stream = keys.votes("dwide")
    for second in range(0, 100, 2):  # 50 votes, one every two seconds
        redis_client.xadd(stream, {"t": "tA", "a": "open", "n": ""}, id=f"{second * 1000}-1")
    read = read_timeline(redis_client, "dwide", 1, {}, max_buckets=10)
    assert len(read.buckets) <= 10 and read.bucket_seconds == 16
    assert sum(bucket.total for bucket in read.buckets) == 50 == read.votes
    details: list[dict[str, Any]] = [bucket.public() for bucket in read.buckets]
    assert all(item["by_kind"] == {"open": item["total"]} for item in details)
