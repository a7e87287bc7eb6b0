"""Results for the audience and the console around them: the vote page after voting,
hide until reveal (API and console), the console's wording and actions per state, manual
seeding by names and the company ranking's bracket tie-break."""

from __future__ import annotations

import re
from typing import Any

import redis
from starlette.testclient import TestClient

from duels import api_keys, tournament
from duels.access import Role
from tests.accounts import PASSWORD, account, csrf_of, log_in, log_in_form
from tests.host.helpers import Host, record_official_counts
from web.routes.live import live_board


def _host(client: TestClient, host_headers: dict[str, str]) -> Host:
    return Host(client, host_headers)


def _draw(host: Host, teams: int, **body: Any) -> tuple[str, list[dict[str, Any]]]:
    cid, created = host.competition(teams=teams)
    host.post(f"/api/competitions/{cid}/bracket", {"seed": 7, **body}, 201)
    return cid, created


def _decide(
    host: Host, redis_client: redis.Redis, duel: dict[str, Any], votes: tuple[int, int]
) -> None:
    host.post(f"/api/duels/{duel['id']}/open")
    counts = {duel["home"]["id"]: votes[0], duel["away"]["id"]: votes[1]}
    record_official_counts(redis_client, duel["id"], counts)
    host.post(f"/api/duels/{duel['id']}/close")


def _notice(page: str) -> str:
    """The text of the vote page's status notice ("" while hidden)."""
    match = re.search(r'<div id="vote-status"([^>]*)>(.*?)</div>', page, re.S)
    assert match
    return "" if " hidden" in match.group(1) else match.group(2).strip()


def _row(page: str, did: str) -> str:
    match = re.search(rf'<tr data-duel="{did}".*?</tr>', page, re.S)
    assert match, f"no row for {did}"
    return match.group(0)


# The vote page after voting -------------------------------------------------------


def test_a_decided_duel_shows_the_winner_and_the_score(
    client: TestClient, host_headers: dict[str, str], redis_client: redis.Redis
) -> None:
    host = _host(client, host_headers)
    cid, _ = _draw(host, 2)
    (final,) = host.current_duels(cid)
    _decide(host, redis_client, final, (7, 3))
    host.post(f"/api/competitions/{cid}/advance", {"round": 1})
    page = client.get(f"/vote/{final['id']}").text
    assert f"Sieger: {final['home']['name']}" in page
    assert "7 : 3" in page and "70 %" in page and "30 %" in page
    assert _notice(page) == ""  # no "not open right now": the result says it all
    assert 'data-status="decided"' in page


def test_a_closed_hidden_duel_keeps_its_counts_and_links_the_open_duel(
    client: TestClient, host_headers: dict[str, str], redis_client: redis.Redis
) -> None:
    host = _host(client, host_headers)
    cid, _ = _draw(host, 4)
    first, second = host.current_duels(cid)
    host.post(f"/api/duels/{first['id']}/results-mode", {"mode": "on_reveal"})
    _decide(host, redis_client, first, (11, 4))
    host.post(f"/api/duels/{second['id']}/open")
    for path in (f"/vote/{first['id']}", f"/vote/{first['id']}/result"):
        page = client.get(path).text
        assert "Abstimmung beendet – Ergebnis folgt" in page
        # The count as a number of its own (ids and tokens may contain the digits).
        assert not re.search(r"(?<![\w-])11(?![\w-])", page), path
        assert "data-score" not in page and " %" not in page
        assert f'href="/vote/{second["id"]}"' in page
    revealed = host.post(f"/api/duels/{first['id']}/reveal")
    assert revealed["show_results"] is True and revealed["revealed_at"]
    page = client.get(f"/vote/{first['id']}").text
    assert "Abstimmung beendet" in page and "Ergebnis folgt" not in page
    assert "11 : 4" in page and "73 %" in page and "27 %" in page


def test_no_team_shows_fifty_percent_at_no_votes(
    client: TestClient, host_headers: dict[str, str]
) -> None:
    host = _host(client, host_headers)
    cid, _ = _draw(host, 2)
    (duel,) = host.current_duels(cid)
    host.post(f"/api/duels/{duel['id']}/open")
    host.post(f"/api/duels/{duel['id']}/close")
    page = client.get(f"/vote/{duel['id']}").text
    assert "Noch keine Stimmen" in page
    assert "50 %" not in page and "0 %" not in page
    buttons = re.findall(r'<button type="submit" class="vote-button"[^>]*>([^<]*)<', page)
    assert buttons == [f"Stimme für {duel['home']['name']}", f"Stimme für {duel['away']['name']}"]


def test_a_pending_duel_links_the_one_that_is_open(
    client: TestClient, host_headers: dict[str, str]
) -> None:
    host = _host(client, host_headers)
    cid, _ = _draw(host, 4)
    first, second = host.current_duels(cid)
    host.post(f"/api/duels/{second['id']}/open")
    page = client.get(f"/vote/{first['id']}").text
    assert "gerade nicht geöffnet" in _notice(page)
    assert f'href="/vote/{second["id"]}"' in page
    assert client.get("/vote/dunknown/result").status_code == 404


# Hide until reveal: API and console ------------------------------------------------


def test_results_mode_and_reveal_need_the_run_permission(
    client: TestClient, host_headers: dict[str, str], redis_client: redis.Redis
) -> None:
    host = _host(client, host_headers)
    cid, _ = _draw(host, 2)
    (duel,) = host.current_duels(cid)
    did = duel["id"]
    keys_of: dict[Role, dict[str, str]] = {}
    for role in (Role.HOST, Role.MODERATOR, Role.VIEWER):
        user = account(redis_client, f"{role.value}@example.org", role)
        _, secret = api_keys.create(redis_client, user.id, "results", role)
        keys_of[role] = {"Authorization": f"Bearer {secret}"}
    for role in (Role.MODERATOR, Role.VIEWER):
        refused = client.post(
            f"/api/duels/{did}/results-mode", json={"mode": "on_reveal"}, headers=keys_of[role]
        )
        assert refused.status_code == 403
        assert client.post(f"/api/duels/{did}/reveal", headers=keys_of[role]).status_code == 403
    ok = client.post(
        f"/api/duels/{did}/results-mode", json={"mode": "on_reveal"}, headers=keys_of[Role.HOST]
    )
    assert ok.status_code == 200 and ok.json()["results_mode"] == "on_reveal"
    bad = client.post(f"/api/duels/{did}/results-mode", json={"mode": "x"}, headers=host_headers)
    assert bad.status_code == 422
    early = client.post(f"/api/duels/{did}/reveal", headers=host_headers)
    assert early.status_code == 409 and early.json()["detail"]["code"] == "nothing_to_reveal"
    schema = client.get("/openapi.json").json()["paths"]
    described = schema["/api/duels/{did}/reveal"]["post"]["description"]
    assert "`still_voting`" in described and "`nothing_to_reveal`" in described
    assert schema["/api/duels/{did}/results-mode"]["post"]["summary"]

    # The console: a viewer may look but not reveal; the owner reveals.
    tournament.open_voting(redis_client, did)
    tournament.close_voting(redis_client, did)
    viewer = TestClient(client.app, follow_redirects=False)
    assert log_in_form(viewer, f"{Role.VIEWER.value}@example.org", PASSWORD).status_code == 303
    viewer_csrf = csrf_of(viewer.get(f"/host/c/{cid}").text)
    refused = viewer.post(f"/host/duels/{did}/reveal", data={"csrf": viewer_csrf})
    assert refused.status_code == 403
    csrf = log_in(client)
    row = _row(client.get(f"/host/c/{cid}").text, did)
    assert 'data-action="reveal"' in row and "Ergebnis enthüllen" in row
    page = client.post(f"/host/duels/{did}/reveal", data={"csrf": csrf})
    assert "Ergebnis enthüllt." in page.text
    row = _row(page.text, did)
    assert 'data-action="reveal"' not in row and "data-revealed" in row
    mode = client.post(f"/host/duels/{did}/results-mode", data={"csrf": csrf, "mode": "live"})
    assert "error=already_revealed" in str(mode.url)


def test_the_console_sets_the_results_mode(
    client: TestClient, host_headers: dict[str, str], redis_client: redis.Redis
) -> None:
    host = _host(client, host_headers)
    cid, _ = _draw(host, 2)
    (duel,) = host.current_duels(cid)
    csrf = log_in(client)
    page = client.post(
        f"/host/duels/{duel['id']}/results-mode", data={"csrf": csrf, "mode": "after_close"}
    )
    assert "Ergebnisanzeige gespeichert." in page.text
    assert 'data-results-mode="after_close"' in _row(page.text, duel["id"])
    assert redis_client.hget(f"mm:d:{{d:{duel['id']}}}", "results") == "after_close"


# Console wording and actions per state ---------------------------------------------


def test_after_the_final_the_console_names_the_champion(
    client: TestClient, host_headers: dict[str, str], redis_client: redis.Redis
) -> None:
    host = _host(client, host_headers)
    cid, _ = _draw(host, 4)
    csrf = log_in(client)
    for duel in host.current_duels(cid):
        _decide(host, redis_client, duel, (5, 2))
    page = client.post(f"/host/c/{cid}/advance", data={"round": "1", "csrf": csrf}).text
    assert "Nächste Runde gestartet." in page and "Finale entschieden" not in page
    (final,) = host.current_duels(cid)
    _decide(host, redis_client, final, (1, 9))
    page = client.post(f"/host/c/{cid}/advance", data={"round": "2", "csrf": csrf}).text
    assert f"Finale entschieden – Sieger: {final['away']['name']}" in page
    assert "Nächste Runde gestartet." not in page


def test_each_duel_offers_only_the_actions_of_its_state(
    client: TestClient, host_headers: dict[str, str], redis_client: redis.Redis
) -> None:
    host = _host(client, host_headers)
    cid, _ = _draw(host, 3)  # one bye
    csrf = log_in(client)
    played = [d for d in host.current_duels(cid) if d["away"]]
    (bye,) = [d for d in host.current_duels(cid) if not d["away"]]
    (duel,) = played
    did = duel["id"]

    def row() -> str:
        return _row(client.get(f"/host/c/{cid}").text, did)

    pending = row()
    assert 'data-action="open"' in pending and 'data-action="walkover"' in pending
    assert 'data-action="close"' not in pending and 'data-action="reopen"' not in pending
    if bye["id"]:
        bye_row = _row(client.get(f"/host/c/{cid}").text, bye["id"])
        for action in ("open", "reopen", "walkover", "close", "reveal"):
            assert f'data-action="{action}"' not in bye_row
    client.post(f"/host/duels/{did}/open", data={"csrf": csrf})
    voting = row()
    assert 'data-action="close"' in voting and "Abstimmung schließen" in voting
    assert 'data-action="open"' not in voting and 'data-action="walkover"' not in voting
    record_official_counts(redis_client, did, {duel["home"]["id"]: 4, duel["away"]["id"]: 2})
    client.post(f"/host/duels/{did}/close", data={"csrf": csrf})
    closed = row()
    assert 'data-action="open"' not in closed and "Abstimmung öffnen" not in closed
    assert 'data-action="reopen"' in closed and "Abstimmung wieder öffnen" in closed
    assert 'data-action="close"' not in closed
    client.post(f"/host/c/{cid}/advance", data={"round": "1", "csrf": csrf})
    decided = row()
    for action in ("open", "reopen", "walkover", "close", "reveal", "results-mode"):
        assert f'data-action="{action}"' not in decided


# Manual seeding by names -------------------------------------------------------------


def test_manual_seeding_by_team_names(
    client: TestClient, host_headers: dict[str, str], redis_client: redis.Redis
) -> None:
    host = _host(client, host_headers)
    cid, teams = host.competition(teams=4)
    csrf = log_in(client)
    page = client.get(f"/host/c/{cid}").text
    for team in teams:
        assert f'<span class="seeding-name">{team["name"]}</span>' in page
    assert "Team-IDs" not in page and "Setzliste" in page
    ids = [team["id"] for team in teams]
    form: dict[str, Any] = {"format": "single_elimination", "seeding": "manual", "csrf": csrf}
    same = client.post(f"/host/c/{cid}/draw", data={**form, "team": ids, "place": ["1"] * 4})
    assert "error=invalid_seeding_order" in str(same.url)
    drawn = client.post(
        f"/host/c/{cid}/draw", data={**form, "team": ids, "place": ["4", "3", "2", "1"]}
    )
    assert "ok=drawn" in str(drawn.url)
    state = tournament.load_bracket(redis_client, cid)
    assert state is not None and state.seeding == "manual"
    assert [entrant.id for entrant in state.entrants] == ids[::-1]


# Company ranking: ties go by the bracket result --------------------------------------


def test_a_tie_in_duels_won_goes_to_the_champions_company(
    client: TestClient, host_headers: dict[str, str], redis_client: redis.Redis
) -> None:
    host = _host(client, host_headers)
    cid = host.post("/api/competitions", {"title": "Gleichstand"}, 201)["id"]
    names = ["Zeta", "Alpha", "Beta", "Gamma", "Delta", "Epsilon", "Eta"]
    company = {
        name: host.post(f"/api/competitions/{cid}/companies", {"name": name}, 201)["id"]
        for name in names
    }
    # X (Zeta) is seed 1, Y and Z (both Alpha) seeds 2 and 3: Z wins once, Y twice.
    owners = ["Zeta", "Alpha", "Alpha", "Beta", "Gamma", "Delta", "Epsilon", "Eta"]
    team_ids = [
        host.post(
            f"/api/competitions/{cid}/teams",
            {"company_id": company[owner], "name": f"T{n}", "trade": "Koch/Köchin"},
            201,
        )["id"]
        for n, owner in enumerate(owners)
    ]
    host.post(
        f"/api/competitions/{cid}/bracket",
        {"seeding": "manual", "order": team_ids},
        201,
    )
    priority = {team: n for n, team in enumerate(team_ids)}
    for round_number in (1, 2, 3):
        for duel in host.current_duels(cid):
            if duel["status"] == "decided":
                continue
            home, away = duel["home"]["id"], duel["away"]["id"]
            home_wins = priority[home] < priority[away]
            # The Alpha teams collect more votes than the champion.
            votes = (9, 8) if home_wins else (8, 9)
            if "Alpha" in (owners[priority[home]], owners[priority[away]]):
                votes = (30, 20) if home_wins else (20, 30)
            _decide(host, redis_client, duel, votes)
        host.post(f"/api/competitions/{cid}/advance", {"round": round_number})
    board = client.get(f"/api/competitions/{cid}/leaderboard").json()["companies"]
    zeta, alpha = board[0], board[1]
    assert (zeta["name"], alpha["name"]) == ("Zeta", "Alpha")
    assert zeta["duels_won"] == alpha["duels_won"] == 3
    assert (zeta["bracket_place"], alpha["bracket_place"]) == (1, 2)
    assert (zeta["rank"], alpha["rank"]) == (1, 2)
    live = live_board(redis_client, cid, "http://testserver")["leaderboard"]
    assert [row["name"] for row in live[:2]] == ["Zeta", "Alpha"]
    assert live[0]["wins"] == live[1]["wins"] == 3 and live[1]["votes"] > live[0]["votes"]
