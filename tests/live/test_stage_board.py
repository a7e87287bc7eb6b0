"""Competitions in stages on the audience boards (#18): the live board, its projector
mode, the embedded board and the stage's standings show the group tables (qualifying
places marked in words), the Swiss standings, who goes on and the knockout's first
round, and each challenge of a best-of-N duel."""

from __future__ import annotations

import random
import re
from typing import Any

import pytest
import redis
from starlette.testclient import TestClient

from duels import show
from tests.host.helpers import Host, record_official_counts
from tests.host.test_stages import play_open_duels, play_stage

ROW = re.compile(r'<tr class="stage-row( is-qualifying)?" data-team="([^"]+)" data-rank="(\d+)"')


@pytest.fixture
def host(client: TestClient, host_headers: dict[str, str]) -> Host:
    return Host(client, host_headers)


def group_tables(html: str) -> dict[str, list[tuple[str, bool]]]:
    """Each group table on a page: (team id, marked as qualifying) from rank 1 down."""
    found: dict[str, list[tuple[str, bool]]] = {}
    blocks = re.split(r'<div class="stage-table-block" data-group="', html)[1:]
    for block in blocks:
        name = block.split('"', 1)[0]
        table = block.split("</table>", 1)[0]
        rows = ROW.findall(table)
        assert [int(rank) for _, _, rank in rows] == list(range(1, len(rows) + 1))
        assert name not in found  # one table per group on a page
        found[name] = [(team, bool(mark)) for mark, team, _ in rows]
        assert table.count("▲ weiter") == sum(bool(mark) for mark, _, _ in rows)
    return found


def draw_groups(host: Host) -> tuple[str, dict[str, Any]]:
    cid, _ = host.competition(12, companies=6)
    body = {"format": "groups", "groups": 3, "advance": 2, "best_placed": 2, "seed": 7}
    return cid, host.post(f"/api/competitions/{cid}/bracket", body, 201)


def test_group_stage_after_one_round_shows_three_tables_in_order_with_qualifying_marks(
    host: Host, client: TestClient, redis_client: redis.Redis
) -> None:
    cid, _ = draw_groups(host)
    play_open_duels(host, redis_client, cid, random.Random(3))
    view = host.post(f"/api/competitions/{cid}/advance", {"round": 1})
    assert view["round"] == 2
    winners = {d["winner"] for r in view["rounds"] if r["number"] == 1 for d in r["duels"]}
    expected = {
        group["name"]: [(row["team"]["id"], row["rank"] <= 2) for row in group["rows"]]
        for group in view["groups"]
    }
    assert sorted(expected) == ["A", "B", "C"]
    for rows in expected.values():  # the round's two winners lead each table
        assert {team for team, _ in rows[:2]} <= winners
        assert not {team for team, _ in rows[2:]} & winners

    for url in (f"/live/{cid}", f"/live/{cid}?mode=projector", f"/embed/{cid}?view=standings"):
        page = client.get(url)
        assert page.status_code == 200, url
        assert group_tables(page.text) == expected, url
        assert "Gruppe A" in page.text and "Stimmendifferenz" in page.text
        assert " style=" not in page.text
    board = client.get(f"/live/{cid}").text
    assert "Dazu kommen die 2 besten Teams" in board
    # Round 2's duels under their group's table; the tree's columns named as group rounds.
    for group in ("A", "B", "C"):
        block = board.split(f'data-group="{group}"', 1)[1].split('class="group-block"', 1)[0]
        shown = re.findall(
            r'<article class="duel-card group-duel[^"]*"\s+data-duel="([^"]+)"', block
        )
        mine = [
            d["id"] for r in view["rounds"] if r["number"] == 2 for d in r["duels"]
            if d["match"].startswith(f"{group}-")
        ]  # fmt: skip
        assert shown == mine and len(mine) == 2
    assert "Gruppenphase · Runde 1" in board and "Gruppenphase · Runde 2" in board
    # The fragment live.js refetches carries the tables too.
    fragment = client.get(f"/live/{cid}/board").text
    assert group_tables(fragment) == expected
    assert group_tables(client.get(f"/embed/{cid}/board?view=standings").text) == expected
    # The plain embed (bracket view) shows them too; the standings view leaves the tree out.
    assert group_tables(client.get(f"/embed/{cid}").text) == expected
    assert 'data-embed="bracket"' not in client.get(f"/embed/{cid}?view=standings").text


def test_finished_group_stage_shows_the_qualifiers_then_the_knockout_rounds(
    host: Host, client: TestClient, redis_client: redis.Redis
) -> None:
    cid, _ = draw_groups(host)
    view = play_stage(host, redis_client, cid, random.Random(5))
    assert view["stage"]["over"] and view["round"] == 3
    qualification = view["qualification"]
    assert len(qualification["qualified"]) == 8

    board = client.get(f"/live/{cid}").text
    assert "Weiter in die K.-o.-Runde" in board and "K.-o.-Runde 1: die Paarungen" in board
    listed = re.findall(r'<tr data-team="([^"]+)" data-seed="(\d+)"', board)
    assert listed == [(e["team"]["id"], str(e["seed"])) for e in qualification["qualified"]]
    assert "Gruppe A, Platz 1" in board
    best = [e for e in qualification["qualified"] if e["rank"] == 3]
    assert len(best) == 2
    pairs = re.findall(r'data-pair="([^"]*)"', board)
    assert pairs == [
        f"{p['home']['id']}-{p['away']['id'] if p['away'] else ''}"
        for p in qualification["first_round"]
    ]
    assert len(pairs) == 4
    embedded = client.get(f"/embed/{cid}?view=standings").text
    assert re.findall(r'data-pair="([^"]*)"', embedded) == pairs

    view = host.post(f"/api/competitions/{cid}/stage/finish", {"round": 3})
    assert view["round"] == 4
    board = client.get(f"/live/{cid}").text
    assert "data-qualification" not in board
    # The knockout's rounds named from its own start: 8 teams, quarter-finals first.
    assert "<h3>Viertelfinale</h3>" in board and "Runde 4" not in board
    knockout = [d["id"] for r in view["rounds"] if r["number"] == 4 for d in r["duels"]]
    bracket = board.split('class="bracket"', 1)[1].split('class="leaderboard"', 1)[0]
    for did in knockout:
        assert f'data-duel="{did}"' in bracket
    quarter = bracket.split("<h3>Viertelfinale</h3>", 1)[1]
    assert all(f'data-duel="{did}"' in quarter for did in knockout)
    # Play on: the semi-finals and the final keep their names.
    view = play_stage(host, redis_client, cid, random.Random(6))
    assert view["finished"]
    board = client.get(f"/live/{cid}?mode=projector").text
    for heading in ("Viertelfinale", "Halbfinale", "Finale"):
        assert f"<h3>{heading}</h3>" in board
    assert "Runde 5" not in board and "Runde 6" not in board


def test_swiss_draw_shows_its_standings(
    host: Host, client: TestClient, redis_client: redis.Redis
) -> None:
    cid, _ = host.competition(8)
    body = {"format": "swiss", "swiss_rounds": 3, "advance": 4, "seed": 2}
    host.post(f"/api/competitions/{cid}/bracket", body, 201)
    play_open_duels(host, redis_client, cid, random.Random(8))
    view = host.post(f"/api/competitions/{cid}/advance", {"round": 1})
    standings = [(row["team"]["id"], row["qualifying"]) for row in view["swiss"]]
    assert len(standings) == 8 and sum(q for _, q in standings) == 4
    for url in (f"/live/{cid}", f"/live/{cid}?mode=projector", f"/embed/{cid}?view=standings"):
        html = client.get(url).text
        table = html.split('class="stage-table swiss-table"', 1)[1].split("</table>", 1)[0]
        rows = ROW.findall(table)
        assert [(team, bool(mark)) for mark, team, _ in rows] == standings, url
        assert "Buchholz" in table and "Freilose" in table
        assert "Schweizer System · Runde 1" in html or "view=standings" in url


def test_best_of_two_duel_card_shows_both_challenges_and_their_votes(
    host: Host, client: TestClient, redis_client: redis.Redis
) -> None:
    cid, _ = host.competition(2)
    host.post(f"/api/competitions/{cid}/bracket", {"seed": 1, "best_of": 2}, 201)
    (duel,) = host.current_duels(cid)
    first, second = duel["legs"]
    host.post(f"/api/duels/{second['id']}/open")  # the second challenge runs first

    board = client.get(f"/live/{cid}").text
    card = board.split('class="duel-card running-card', 1)[1].split("</article>", 1)[0]
    assert (
        f"Challenge 1/2: {first['trade']}" in card and f"Challenge 2/2: {second['trade']}" in card
    )
    assert 'data-leg="1" data-leg-status="pending"' in card
    assert 'data-leg="2" data-leg-status="voting"' in card
    running = board.split('id="running-title"', 1)[1].split("</section>", 1)[0]
    assert f'href="/vote/{second["id"]}"' in running
    assert f'href="/vote/{first["id"]}"' not in running
    projector = client.get(f"/live/{cid}?mode=projector").text
    assert f'src="/qr/duels/{second["id"]}.svg"' in projector
    embedded = client.get(f"/embed/{cid}").text
    assert f'href="/vote/{second["id"]}" target="_blank"' in embedded

    home, away = duel["home"]["id"], duel["away"]["id"]
    record_official_counts(redis_client, second["id"], {home: 3, away: 9})
    host.post(f"/api/duels/{second['id']}/close")
    board = client.get(f"/live/{cid}").text
    assert 'data-leg="2" data-leg-status="closed"' in board
    assert f'href="/vote/{second["id"]}"' not in board

    host.post(f"/api/duels/{first['id']}/open")
    record_official_counts(redis_client, first["id"], {home: 5, away: 1})
    host.post(f"/api/duels/{first['id']}/close")
    board = client.get(f"/live/{cid}").text
    card = board.split('class="duel-card', 1)[1].split("</article>", 1)[0]
    # The card adds up both challenges (8 : 10); each challenge shows its own count.
    assert 'data-home-votes="8" data-away-votes="10"' in card
    assert f'data-legs="{first["id"]} {second["id"]}"' in card and 'data-duel=""' in card
    assert "5 : 1" in card and "3 : 9" in card
    ranking = dict(re.findall(r'data-company="(\w+)" data-wins="\d+" data-votes="(\d+)"', board))
    assert ranking == {duel["home"]["company_id"]: "8", duel["away"]["company_id"]: "10"}


def test_one_stage_formats_keep_their_round_names(
    host: Host, client: TestClient, redis_client: redis.Redis
) -> None:
    cid, _ = host.competition(4)
    view = host.post(f"/api/competitions/{cid}/bracket", {"seed": 3}, 201)
    while not view["finished"]:
        play_open_duels(host, redis_client, cid, random.Random(1))
        view = host.post(f"/api/competitions/{cid}/advance", {"round": view["round"]})
    board = client.get(f"/live/{cid}").text
    assert "<h3>Runde 1</h3>" in board and "<h3>Finale</h3>" in board
    assert "data-stage-tables" not in board and "duel-legs" not in board


def test_stage_shows_the_group_tables_for_the_bracket_scene_during_the_group_stage(
    host: Host, client: TestClient, redis_client: redis.Redis
) -> None:
    cid, view = draw_groups(host)
    show.set_scene(redis_client, cid, "bracket")
    scene = client.get(f"/stage/{cid}/scene").text
    assert scene.count('class="stage-group"') == 3
    for group in view["groups"]:
        block = scene.split(f'data-group="{group["name"]}"', 1)[1].split("</section>", 1)[0]
        teams = re.findall(r'data-team="([^"]+)"', block)
        assert teams == [row["team"]["id"] for row in group["rows"]]
        assert block.count("▲ weiter") == 2
    view = play_stage(host, redis_client, cid, random.Random(9))
    host.post(f"/api/competitions/{cid}/stage/finish", {"round": view["round"]})
    scene = client.get(f"/stage/{cid}/scene").text  # the knockout: its tree, named
    assert 'class="stage-group"' not in scene and "<h2>Viertelfinale</h2>" in scene
    assert "Gruppenphase" not in scene
