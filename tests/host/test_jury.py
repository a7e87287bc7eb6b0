"""The jury in the console: hosts assign jury members, each member scores their duels on
their own page, the duel's jury points are the sum, and nobody scores another's duel."""

from __future__ import annotations

import re
from typing import Any

import redis
from starlette.testclient import TestClient

from duels import organisations, store, videos
from duels.access import Role
from tests.accounts import OWNER_EMAIL, account, csrf_of, log_in, log_in_form
from tests.conftest import ClientFactory
from tests.host.conftest import HTML
from tests.host.helpers import Host

ANNA, BEN = "anna.jury@example.org", "ben.jury@example.org"


def juror(
    make_client: ClientFactory, redis_client: redis.Redis, email: str, cid: str, n: int
) -> tuple[TestClient, str, str]:
    """A jury member of ``cid`` logged in on a phone of their own: (client, csrf, user id)."""
    user = account(redis_client, email, Role.JURY, f"c:{cid}")
    phone = make_client(f"198.51.100.{n}")
    assert log_in_form(phone, email).status_code == 303
    page = phone.get("/host/jury")
    assert page.status_code == 200
    return phone, csrf_of(page.text), user.id


def approve_link(client: redis.Redis, cid: str, did: str, team_id: str, video: str) -> None:
    """The team's company posts a YouTube link and the host approves it."""
    duel = store.get_duel(client, did)
    company = duel.home_company if team_id == duel.home else duel.away_company
    target = videos.submission_target(client, store.get_company(client, cid, company), did, team_id)
    videos.submit_link(client, target, f"https://youtu.be/{video}")
    videos.approve(client, did, team_id)


def score(phone: TestClient, csrf: str, did: str, home: int, away: int, **kw: Any) -> Any:
    return phone.post(f"/host/jury/{did}", data={"csrf": csrf, "home": home, "away": away}, **kw)


def test_host_assigns_jury_on_the_competition_page(
    client: TestClient,
    make_client: ClientFactory,
    redis_client: redis.Redis,
    cup: tuple[str, list[dict[str, Any]]],
) -> None:
    cid, (first, second) = cup
    _, _, anna = juror(make_client, redis_client, ANNA, cid, 1)
    csrf = log_in(client)
    page = client.get(f"/host/c/{cid}").text
    assert 'id="jury"' in page and f'data-juror="{ANNA}"' in page
    assert "noch keine Duelle" in page and 'href="/host/members"' in page

    form = {"csrf": csrf, "mode": "chosen", "duel": [second["id"]]}
    answer = client.post(f"/host/c/{cid}/jury/{anna}", data=form, follow_redirects=False)
    assert answer.headers["location"] == f"/host/c/{cid}?ok=jury_assigned#jury"
    assert organisations.jury_assignments(redis_client, cid) == {anna: [second["id"]]}

    client.post(f"/host/c/{cid}/jury/{anna}", data={"csrf": csrf, "mode": "all"})
    assert organisations.jury_assignments(redis_client, cid) == {anna: []}
    entry = store.audit_log(redis_client, cid)[-1]
    assert (entry["who"], entry["what"], entry["juror"], entry["duels"]) == (
        OWNER_EMAIL, "jury_assigned", ANNA, "all",
    )  # fmt: skip

    refused = client.post(f"/host/c/{cid}/jury/{anna}", data={"csrf": csrf, "mode": "chosen"})
    assert "error=jury_no_duels" in str(refused.url)
    stranger = client.post(f"/host/c/{cid}/jury/u-nobody", data={"csrf": csrf, "mode": "all"})
    assert "error=unknown_juror" in str(stranger.url)
    client.post(f"/host/c/{cid}/jury/{anna}", data={"csrf": csrf, "mode": "none"})
    assert organisations.jury_assignments(redis_client, cid) == {}
    assert first["id"]


def test_two_jurors_points_add_up_and_the_audit_names_them(
    make_client: ClientFactory, redis_client: redis.Redis, cup: tuple[str, list[dict[str, Any]]]
) -> None:
    cid, (duel, _) = cup
    anna_phone, anna_csrf, anna = juror(make_client, redis_client, ANNA, cid, 1)
    ben_phone, ben_csrf, ben = juror(make_client, redis_client, BEN, cid, 2)
    organisations.assign_jury(redis_client, cid, anna, [])
    organisations.assign_jury(redis_client, cid, ben, [duel["id"]])

    approve_link(redis_client, cid, duel["id"], duel["home"]["id"], "dQw4w9WgXcQ")
    page = anna_phone.get("/host/jury").text
    assert f'data-duel="{duel["id"]}"' in page
    assert 'href="https://www.youtube.com/watch?v=dQw4w9WgXcQ"' in page
    assert "Noch kein freigegebenes Video." in page  # the away team's
    assert duel["home"]["name"] in page and "Firma" in page  # team, company
    saved = score(anna_phone, anna_csrf, duel["id"], 7, 3, follow_redirects=False)
    assert saved.status_code == 303
    assert saved.headers["location"] == f"/host/jury?ok=jury_saved#duel-{duel['id']}"
    score(ben_phone, ben_csrf, duel["id"], 5, 6)

    decided = store.get_duel(redis_client, duel["id"])
    assert (decided.jury_home, decided.jury_away) == (12.0, 9.0)
    score(anna_phone, anna_csrf, duel["id"], 8, 3)  # a change replaces the member's own
    assert store.get_duel(redis_client, duel["id"]).jury_home == 13.0

    jury_entries = [e for e in store.audit_log(redis_client, cid) if e["what"] == "jury"]
    assert [e["who"] for e in jury_entries] == [ANNA, BEN, ANNA]
    again = anna_phone.get("/host/jury").text
    assert "Deine Wertung: 8 : 3" in again and 'value="8"' in again
    assert "Deine Punkte sind gespeichert." in anna_phone.get("/host/jury?ok=jury_saved").text


def test_a_juror_scores_only_assigned_duels_and_sees_no_console(
    make_client: ClientFactory, redis_client: redis.Redis, cup: tuple[str, list[dict[str, Any]]]
) -> None:
    cid, (first, second) = cup
    phone, csrf, anna = juror(make_client, redis_client, ANNA, cid, 1)
    refused = score(phone, csrf, first["id"], 4, 4)  # nothing assigned yet
    assert refused.status_code == 403
    assert refused.json()["detail"]["code"] == "not_your_duel"
    organisations.assign_jury(redis_client, cid, anna, [first["id"]])
    assert score(phone, csrf, first["id"], 4, 4).status_code == 303
    assert score(phone, csrf, second["id"], 4, 4).status_code == 403
    page = phone.get("/host/jury").text
    assert f'data-duel="{first["id"]}"' in page and second["id"] not in page

    as_page = score(phone, csrf, second["id"], 4, 4, headers=HTML)
    assert as_page.status_code == 403
    assert "Dieses Duell ist dir nicht zugewiesen." in as_page.text
    console = phone.get(f"/host/c/{cid}", headers=HTML)
    assert console.status_code == 403
    assert console.headers["content-type"].startswith("text/html")
    assert "Kein Zugriff" in console.text and 'href="/host/jury"' in console.text
    assert phone.get(f"/host/c/{cid}").json()["detail"]["code"] == "role_forbidden"
    out_of_scale = score(phone, csrf, first["id"], 11, 0)
    assert out_of_scale.status_code == 422


def test_scoring_while_voting_then_closed_is_read_only(
    client: TestClient,
    host_headers: dict[str, str],
    make_client: ClientFactory,
    redis_client: redis.Redis,
    cup: tuple[str, list[dict[str, Any]]],
) -> None:
    cid, (duel, _) = cup
    phone, csrf, anna = juror(make_client, redis_client, ANNA, cid, 1)
    organisations.assign_jury(redis_client, cid, anna, [])
    host = Host(client, host_headers)
    host.post(f"/api/duels/{duel['id']}/open")
    assert score(phone, csrf, duel["id"], 6, 2).status_code == 303
    host.post(f"/api/duels/{duel['id']}/close")

    closed = score(phone, csrf, duel["id"], 9, 9)
    assert closed.status_code == 409
    assert closed.json()["detail"]["code"] == "jury_closed"
    assert store.get_duel(redis_client, duel["id"]).jury_home == 6.0
    card = re.search(rf'data-duel="{duel["id"]}".*?</section>', phone.get("/host/jury").text, re.S)
    assert card and 'data-open="no"' in card.group(0)
    assert "Abstimmung geschlossen" in card.group(0) and "disabled" in card.group(0)


def test_host_sees_who_is_missing_in_the_round(
    client: TestClient,
    make_client: ClientFactory,
    redis_client: redis.Redis,
    cup: tuple[str, list[dict[str, Any]]],
) -> None:
    cid, (first, second) = cup
    anna_phone, anna_csrf, anna = juror(make_client, redis_client, ANNA, cid, 1)
    _, _, ben = juror(make_client, redis_client, BEN, cid, 2)
    organisations.assign_jury(redis_client, cid, anna, [])
    organisations.assign_jury(redis_client, cid, ben, [first["id"]])
    score(anna_phone, anna_csrf, first["id"], 3, 1)

    log_in(client)
    page = client.get(f"/host/c/{cid}").text

    def missing(did: str) -> str:
        row = re.search(rf'data-jury-duel="{did}".*?data-missing>(.*?)</td>', page, re.S)
        assert row, did
        return row.group(1)

    assert BEN in missing(first["id"]) and ANNA not in missing(first["id"])
    assert ANNA in missing(second["id"]) and BEN not in missing(second["id"])
    score(anna_phone, anna_csrf, second["id"], 2, 2)
    page = client.get(f"/host/c/{cid}").text
    assert "Vollständig" in missing(second["id"])
