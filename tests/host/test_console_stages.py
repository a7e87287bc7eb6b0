"""Competitions in stages from the host console: the draw form's stage options, the stage
card with its tables and qualification, finishing the stage, undo, best-of-N challenges."""

from __future__ import annotations

import html
import random
import re

import pytest
import redis
from starlette.testclient import TestClient

from duels import store
from tests.accounts import log_in
from tests.host.helpers import Host, record_official_counts
from web.i18n import translator
from web.stage_reasons import qualification_reason


@pytest.fixture
def host(client: TestClient, host_headers: dict[str, str]) -> Host:
    return Host(client, host_headers)


def draw_form(csrf: str, **fields: str) -> dict[str, str]:
    """The draw form as a browser sends it: every option field, most left as shown."""
    form = {
        "csrf": csrf, "format": "single_elimination", "seeding": "random", "seed": "7",
        "groups": "3", "advance": "2", "best_placed": "0", "swiss_rounds": "",
        "swiss_advance": "0", "best_of": "1",
    }  # fmt: skip
    form.update(fields)
    return form


def play_round_from_console(
    client: TestClient, host: Host, redis_client: redis.Redis, cid: str, csrf: str, seed: int
) -> None:
    """Open, count and close every challenge of the current round through the console's
    forms, then advance with the console's confirm form."""
    rnd = random.Random(seed)
    view = host.bracket(cid)
    for duel in host.current_duels(cid):
        if duel["status"] == "decided":
            continue
        for leg in duel["legs"]:
            opened = client.post(f"/host/duels/{leg['id']}/open", data={"csrf": csrf})
            assert "ok=voting_opened" in str(opened.url), opened.url
            home, away = rnd.sample(range(5, 60), 2)  # never level
            counts = {duel["home"]["id"]: home, duel["away"]["id"]: away}
            record_official_counts(redis_client, leg["id"], counts)
            closed = client.post(f"/host/duels/{leg['id']}/close", data={"csrf": csrf})
            assert "ok=voting_closed" in str(closed.url), closed.url
    assert client.get(f"/host/c/{cid}/advance").status_code == 200
    done = client.post(f"/host/c/{cid}/advance", data={"round": str(view["round"]), "csrf": csrf})
    assert "ok=advanced" in str(done.url), done.url


def stage_now(page: str) -> str:
    found = re.search(r"<p class=\"stage-now\" data-stage-now>\s*(.*?)\s*</p>", page, re.S)
    assert found, "no stage card"
    return html.unescape(found.group(1))


def test_a_host_plays_a_group_stage_and_draws_the_knockout_from_the_console(
    client: TestClient, host: Host, redis_client: redis.Redis
) -> None:
    cid, teams = host.competition(12, companies=6)
    csrf = log_in(client)
    page = client.get(f"/host/c/{cid}").text
    assert '<option value="groups">Gruppenphase, dann K.-o.-Runde</option>' in page
    assert '<option value="swiss">Schweizer System</option>' in page
    assert 'name="best_of"' in page and 'for="draw-best-of"' in page
    assert "/static/host_draw.js" in page

    drawn = client.post(
        f"/host/c/{cid}/draw", data=draw_form(csrf, format="groups", best_placed="2")
    )  # three groups of four: the top two of each and the two best thirds, eight in all
    assert "ok=drawn" in str(drawn.url)
    view = host.bracket(cid)
    assert view["stage"]["kind"] == "groups" and len(view["groups"]) == 3
    page = drawn.text
    assert stage_now(page) == "Gruppenphase, Runde 1 von 3"
    assert page.count('class="group-table"') == 3 and "Gruppe A" in page
    for team in teams:
        assert f'<tr data-team="{team["id"]}"' in page
    assert 'data-action="finish-stage"' not in page

    play_round_from_console(client, host, redis_client, cid, csrf, seed=1)
    assert stage_now(client.get(f"/host/c/{cid}").text) == "Gruppenphase, Runde 2 von 3"
    play_round_from_console(client, host, redis_client, cid, csrf, seed=2)
    play_round_from_console(client, host, redis_client, cid, csrf, seed=3)

    view = host.bracket(cid)
    assert view["stage"]["over"] and view["round"] == 3
    page = client.get(f"/host/c/{cid}").text
    assert stage_now(page) == "Gruppenphase, Runde 3 von 3"
    assert 'data-action="finish-stage"' in page
    assert "Phase abschließen und K.-o.-Runde auslosen" in page
    assert 'data-action="advance"' not in page  # it would only be refused
    refused = client.get(f"/host/c/{cid}/advance")
    assert "error=stage_finished" in str(refused.url)
    assert "Schließe sie ab, um die K.-o.-Runde auszulosen" in refused.text
    qualification = view["qualification"]
    t = translator("de")
    assert page.count("data-qualified=") == len(qualification["qualified"]) == 8
    assert page.count("data-eliminated=") == len(qualification["eliminated"]) == 4
    assert sorted(e["rank"] for e in qualification["qualified"]) == [1, 1, 1, 2, 2, 2, 3, 3]
    assert page.count('class="badge go"') == 8  # the two best thirds marked in their tables
    for entry in qualification["qualified"] + qualification["eliminated"]:
        assert html.escape(qualification_reason(t, entry), quote=False) in page
    for entry in qualification["qualified"]:
        row = re.search(rf'<tr data-qualified="{entry["team"]["id"]}"><td>(\d+)</td>', page)
        assert row and int(row.group(1)) == entry["seed"]
        assert f"Gruppe {entry['group']}, Platz {entry['rank']}" in page
    first_round = re.search(r"<ol class=\"first-round\" data-first-round>(.*?)</ol>", page, re.S)
    assert first_round and first_round.group(1).count("<li>") == len(qualification["first_round"])

    stale = client.post(f"/host/c/{cid}/stage/finish", data={"round": "2", "csrf": csrf})
    assert "error=round_changed" in str(stale.url)
    assert host.bracket(cid)["round"] == 3  # nothing drawn

    finished = client.post(f"/host/c/{cid}/stage/finish", data={"round": "3", "csrf": csrf})
    assert "ok=stage_drawn" in str(finished.url)
    assert "Phase abgeschlossen, die K.-o.-Runde ist ausgelost." in finished.text
    assert stage_now(finished.text) == "K.-o.-Runde"
    knockout = host.current_duels(cid)
    assert host.bracket(cid)["round"] == 4 and knockout
    assert all(d["stage"] == "main" for d in knockout)
    shown = sorted((p["home"]["id"], p["away"]["id"]) for p in qualification["first_round"])
    assert sorted((d["home"]["id"], d["away"]["id"]) for d in knockout) == shown
    assert len(knockout) == 4
    for duel in knockout:
        assert f'id="duel-{duel["id"]}"' in finished.text
        assert f'action="/host/duels/{duel["id"]}/open"' in finished.text
    assert 'data-action="finish-stage"' not in finished.text
    assert 'data-action="advance"' in finished.text

    undone = client.post(f"/host/c/{cid}/undo", data={"reason": "Gruppe neu prüfen", "csrf": csrf})
    assert "ok=undone" in str(undone.url)
    view = host.bracket(cid)
    assert view["round"] == 3 and view["stage"]["over"] and view["stage"]["kind"] == "groups"
    assert 'data-action="finish-stage"' in undone.text
    assert stage_now(undone.text) == "Gruppenphase, Runde 3 von 3"

    english = client.get(f"/host/c/{cid}?lang=en").text
    assert stage_now(english) == "Group stage, round 3 of 3"
    assert "Finish the stage and draw the knockout" in english
    assert "Qualification" in english and "Group A" in english
    refused = client.get(f"/host/c/{cid}/advance")
    assert "The stage has been played: finish it to draw the knockout." in refused.text


def test_a_swiss_draw_from_the_console_shows_its_standings(client: TestClient, host: Host) -> None:
    cid, teams = host.competition(8)
    csrf = log_in(client)
    drawn = client.post(
        f"/host/c/{cid}/draw", data=draw_form(csrf, format="swiss", swiss_advance="4")
    )
    assert "ok=drawn" in str(drawn.url)
    view = host.bracket(cid)
    assert view["stage"]["kind"] == "swiss" and view["stage"]["rounds"] == 3  # recommended
    assert view["stage"]["stages"] == ["swiss", "knockout"] and view["stage"]["advance"] == 4
    assert not view["groups"]  # the group fields of the form do not count
    assert stage_now(drawn.text) == "Schweizer System, Runde 1 von 3"
    assert drawn.text.count('class="swiss-table"') == 1
    assert all(f'<tr data-team="{team["id"]}"' in drawn.text for team in teams)
    assert "Ausgelost: Schweizer System" in drawn.text


@pytest.mark.parametrize(
    ("fields", "code", "text"),
    [
        ({"format": "groups", "groups": "7"}, "invalid_groups", "Diese Gruppen gehen nicht auf"),
        ({"format": "groups", "groups": "3", "advance": "5"}, "invalid_groups", "gehen nicht auf"),
        ({"format": "groups", "groups": "zwei"}, "invalid_option", "passt nicht zu den Teams"),
        ({"format": "groups", "groups": "100000"}, "invalid_option", "passt nicht"),
        ({"format": "swiss", "swiss_rounds": "12"}, "invalid_option", "passt nicht"),
        ({"format": "swiss", "swiss_advance": "13"}, "invalid_option", "passt nicht"),
        ({"best_of": "6"}, "invalid_option", "passt nicht zu den Teams"),
    ],
)
def test_draw_options_that_do_not_fit_show_the_error_and_draw_nothing(
    client: TestClient, host: Host, fields: dict[str, str], code: str, text: str
) -> None:
    cid, _ = host.competition(12)
    csrf = log_in(client)
    refused = client.post(f"/host/c/{cid}/draw", data=draw_form(csrf, **fields))
    assert f"error={code}" in str(refused.url)
    assert text in refused.text and 'role="alert"' in refused.text
    assert host.bracket(cid)["format"] is None


def test_best_of_two_lists_both_challenges_with_their_own_controls(
    client: TestClient, host: Host, redis_client: redis.Redis
) -> None:
    cid, _ = host.competition(4)
    csrf = log_in(client)
    drawn = client.post(f"/host/c/{cid}/draw", data=draw_form(csrf, best_of="2"))
    assert "ok=drawn" in str(drawn.url)
    duels = host.current_duels(cid)
    assert len(duels) == 2 and all(len(d["legs"]) == 2 for d in duels)
    page = drawn.text
    for duel in duels:
        for leg in duel["legs"]:
            assert f'id="duel-{leg["id"]}"' in page
            assert f'action="/host/duels/{leg["id"]}/open"' in page
        assert page.count(f'data-match="{duel["match"]}"') == 2
    assert page.count("Challenge 1 von 2") == 2 and page.count("Challenge 2 von 2") == 2
    assert page.count('data-action="open"') == 4
    assert page.count('data-action="walkover"') == 2  # a walkover decides the whole duel

    first, second = duels[0]["legs"]
    home, away = duels[0]["home"]["id"], duels[0]["away"]["id"]
    opened = client.post(f"/host/duels/{second['id']}/open", data={"csrf": csrf})
    assert opened.url.fragment == f"duel-{second['id']}"
    page = opened.text
    row = page[page.index(f'id="duel-{second["id"]}"') :]
    row = row[: row.index("</tr>")]
    assert (
        'data-status="voting"' in row
        and 'data-action="close"' in row
        and 'data-action="open"' not in row
    )
    first_row = page[page.index(f'id="duel-{first["id"]}"') :]
    assert 'data-action="open"' in first_row[: first_row.index("</tr>")]

    for leg, counts in ((first, {home: 30, away: 10}), (second, {home: 12, away: 20})):
        if leg is first:
            client.post(f"/host/duels/{leg['id']}/open", data={"csrf": csrf})
        record_official_counts(redis_client, leg["id"], counts)
        client.post(f"/host/duels/{leg['id']}/close", data={"csrf": csrf})
    for leg in duels[1]["legs"]:
        client.post(f"/host/duels/{leg['id']}/open", data={"csrf": csrf})
        counts = {duels[1]["home"]["id"]: 9, duels[1]["away"]["id"]: 4}
        record_official_counts(redis_client, leg["id"], counts)
        client.post(f"/host/duels/{leg['id']}/close", data={"csrf": csrf})
    confirm = client.get(f"/host/c/{cid}/advance")
    assert confirm.status_code == 200
    assert '<strong data-score="challenges">Challenges 1 : 1</strong>' in confirm.text
    assert '<strong data-score="challenges">Challenges 2 : 0</strong>' in confirm.text


def test_a_round_opens_and_closes_at_once_from_the_console(
    client: TestClient, redis_client: redis.Redis
) -> None:
    csrf = log_in(client)
    page = client.post("/host/competitions", data={"title": "Runde", "csrf": csrf})
    cid = re.search(r"/host/c/([a-z0-9]+)", str(page.url)).group(1)  # type: ignore[union-attr]
    company, _ = store.add_company(redis_client, cid, "Firma")
    for n in range(4):
        store.add_team(redis_client, cid, company.id, f"Team {n}", "Koch/Köchin")
    drawn = client.post(f"/host/c/{cid}/draw", data=draw_form(csrf, format="groups", groups="1"))
    assert "ok=drawn" in str(drawn.url), drawn.url
    page = client.get(f"/host/c/{cid}")
    assert 'data-action="open-round"' in page.text
    opened = client.post(f"/host/c/{cid}/round/open", data={"csrf": csrf})
    assert "ok=round_opened" in str(opened.url)
    assert "Alle Duelle der Runde sind zur Abstimmung geöffnet." in opened.text
    duels = [d for d in store.duels_of_competition(redis_client, cid) if d.round == 1]
    assert len(duels) == 2 and {d.status for d in duels} == {"voting"}
    closed = client.post(f"/host/c/{cid}/round/close", data={"csrf": csrf})
    assert "ok=round_closed" in str(closed.url)
    assert "Die Abstimmung aller Duelle der Runde ist geschlossen." in closed.text
    assert {d.status for d in store.duels_of_competition(redis_client, cid)} >= {"closed"}
    client.post(f"/host/c/{cid}/round/open", data={"csrf": "wrong"})  # refused: no CSRF
    assert {d.status for d in store.duels_of_competition(redis_client, cid) if d.round == 1} == {
        "closed"
    }
