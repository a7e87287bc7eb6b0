"""The public pages from a vote to an apprenticeship (#19): the competition's places page
with its JobPosting markup, the open-data feed, the trade pages, company logos and the vote
page's "Ausbildung bei <Firma>" cards."""

from __future__ import annotations

import html
import io
import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import redis
from PIL import Image
from starlette.testclient import TestClient

from duels import apprenticeships, keys, store, trades, videos
from duels.settings import Settings
from tests.conftest import ClientFactory
from tests.host.helpers import Host, record_official_counts

DOCS = Path(__file__).resolve().parents[2] / "docs"
PLACES_SCHEMA = json.loads((DOCS / "places.schema.json").read_text("utf-8"))
JOBPOSTING_SCHEMA = json.loads((DOCS / "jobposting.schema.json").read_text("utf-8"))
LD = re.compile(r'<script type="application/ld\+json">(.*?)</script>', re.S)
HOSTILE = '</script><script>alert("x")</script><img src=x onerror=alert(1)>'


class World:
    """A drawn cup of four teams (Bäcker/in, Tischler/in, Koch/Köchin, Bäcker/in), one
    company per team: A (Bielefeld) and B (Herford) list places, C is hidden by a host,
    D lists none."""

    def __init__(self, client: TestClient, host_headers: dict[str, str], r: redis.Redis) -> None:
        self.client = client
        self.host = Host(client, host_headers)
        self.cid, self.teams = self.host.competition(teams=4)
        self.host.post(f"/api/competitions/{self.cid}/bracket", {"seed": 3}, 201)
        self.duels = self.host.current_duels(self.cid)
        self.company = {team["name"]: team["company_id"] for team in self.teams}
        a, b, c = self.company["Team 0"], self.company["Team 1"], self.company["Team 2"]
        apprenticeships.update_profile(
            r, self.cid, a, about="Wir backen seit 1900.", location="Bielefeld",
            website="https://www.baeckerei-a.example/", actor="test",
        )  # fmt: skip
        self.bakery = apprenticeships.add_place(
            r, self.cid, a, trade="Bäcker/in", starts="2027-08",
            apply_url="https://karriere.baeckerei-a.example/azubi", count=2, actor="test",
        )  # fmt: skip
        self.cook = apprenticeships.add_place(
            r, self.cid, a, trade="Koch/Köchin", apply_email="jobs@Baeckerei-A.example",
            actor="test",
        )  # fmt: skip
        apprenticeships.update_profile(
            r, self.cid, b, about="Möbel nach Maß.", location="Herford", website="", actor="test"
        )
        self.joiner = apprenticeships.add_place(
            r, self.cid, b, trade="Tischler/in", starts="2027-09",
            apply_url="https://tischlerei-b.example/bewerben", actor="test",
        )  # fmt: skip
        apprenticeships.update_profile(
            r, self.cid, c, about="Versteckt.", location="Minden", website="", actor="test"
        )
        self.hidden = apprenticeships.add_place(
            r, self.cid, c, trade="Bäcker/in", apply_url="https://versteckt.example/",
            actor="test",
        )  # fmt: skip
        apprenticeships.set_hidden(r, self.cid, c, True, "Werbung", "test")

    def duel_of(self, team_name: str) -> dict[str, Any]:
        for duel in self.duels:
            if team_name in (duel["home"]["name"], duel["away"]["name"]):
                return duel
        raise AssertionError(team_name)


@pytest.fixture
def world(
    make_client: ClientFactory, host_headers: dict[str, str], redis_client: redis.Redis
) -> World:
    return World(make_client(), host_headers, redis_client)


def _postings(page: str) -> list[dict[str, Any]]:
    return [json.loads(block) for block in LD.findall(page)]


# The places page ------------------------------------------------------------------


def test_the_places_page_lists_open_places_with_redirect_links(world: World) -> None:
    response = world.client.get(f"/c/{world.cid}/ausbildung")
    assert response.status_code == 200
    page = response.text
    assert "<h1>Ausbildungsplätze</h1>" in page
    for place in (world.bakery, world.cook, world.joiner):
        assert f'href="/go/{world.cid}/{place.id}"' in page
    assert world.hidden.id not in page and "Versteckt" not in page and "Minden" not in page
    assert "ab August 2027" in page and "ab September 2027" in page
    assert "Bewerben auf karriere.baeckerei-a.example" in page
    assert "Bewerben per E-Mail an baeckerei-a.example" in page
    assert "2 Plätze" in page and "Wir backen seit 1900." in page
    # never the target itself: only the redirect knows it
    assert "https://karriere.baeckerei-a.example/azubi" not in page
    # grouped by trade, each group linking its trade page
    groups = re.findall(r'<section class="places-group" data-trade="([^"]+)"', page)
    assert groups == ["baecker-in", "koch-koechin", "tischler-in"]
    assert f'href="/berufe/tischler-in?c={world.cid}"' in page
    # the select lists come from the data (not the hidden company's town)
    assert '<option value="Bielefeld">' in page and '<option value="Herford">' in page
    assert '<option value="tischler-in">Tischler/in</option>' in page


def test_the_filter_works_as_a_plain_get_form(world: World) -> None:
    base = f"/c/{world.cid}/ausbildung"
    page = world.client.get(base, params={"beruf": "baecker-in"}).text
    assert world.bakery.id in page and world.joiner.id not in page and world.cook.id not in page
    assert '<option value="baecker-in" selected>' in page
    page = world.client.get(base, params={"ort": "herford"}).text  # any case
    assert world.joiner.id in page and world.bakery.id not in page
    assert '<option value="Herford" selected>' in page
    page = world.client.get(base, params={"beruf": "tischler-in", "ort": "Bielefeld"}).text
    assert 'data-count="0"' in page and "/go/" not in page
    # an unknown filter value filters nothing
    page = world.client.get(base, params={"beruf": "<x>", "ort": "Atlantis"}).text
    assert 'data-count="3"' in page


def test_the_places_page_by_slug_and_unknown_ones(world: World, redis_client: redis.Redis) -> None:
    slug = store.get_competition(redis_client, world.cid).slug
    moved = world.client.get(f"/c/{slug}/ausbildung?beruf=koch-koechin", follow_redirects=False)
    assert moved.status_code == 308
    assert moved.headers["location"] == f"/c/{world.cid}/ausbildung?beruf=koch-koechin"
    missing = world.client.get("/c/nope/ausbildung")
    assert missing.status_code == 404 and "Diesen Wettbewerb gibt es nicht." in missing.text


def test_every_place_carries_a_valid_jobposting(world: World, settings: Settings) -> None:
    page = world.client.get(f"/c/{world.cid}/ausbildung").text
    postings = _postings(page)
    assert len(postings) == 3
    base = settings.public_url.rstrip("/")
    for posting in postings:
        jsonschema.validate(posting, JOBPOSTING_SCHEMA)
        assert posting["url"].startswith(f"{base}/c/{world.cid}/ausbildung#place-")
        assert posting["jobLocation"]["address"]["addressLocality"] in ("Bielefeld", "Herford")
    by_id = {posting["identifier"]["value"]: posting for posting in postings}
    bakery = by_id[world.bakery.id]
    assert bakery["title"] == "Ausbildung Bäcker/in"
    assert bakery["employmentType"] == "FULL_TIME" and bakery["directApply"] is False
    assert bakery["hiringOrganization"] == {
        "@type": "Organization", "name": "Firma 0", "sameAs": "https://www.baeckerei-a.example/"
    }  # fmt: skip
    assert "Wir backen seit 1900." in bakery["description"]
    assert "Ausbildung" in bakery["description"]
    assert bakery["jobStartDate"] == "2027-08-01" and bakery["totalJobOpenings"] == 2
    assert "validThrough" not in by_id[world.cook.id]  # no start given


def test_hostile_company_text_is_escaped(
    world: World, redis_client: redis.Redis, settings: Settings
) -> None:
    company = world.company["Team 3"]
    apprenticeships.update_profile(
        redis_client, world.cid, company, about=HOSTILE, location="<b>Ort</b>", website="",
        actor="test",
    )  # fmt: skip
    place = apprenticeships.add_place(
        redis_client, world.cid, company, trade="<script>Koch</script>",
        apply_url="https://evil.example/", actor="test",
    )  # fmt: skip
    trades.describe(redis_client, world.cid, "script-koch-script", HOSTILE, "", "test")
    for path in (f"/c/{world.cid}/ausbildung", "/berufe/script-koch-script"):
        page = world.client.get(path).text
        assert "<script>alert" not in page and "<img src=x" not in page
        assert "<b>Ort</b>" not in page and "<script>Koch" not in page
        assert html.escape(HOSTILE, quote=False) in page or "&lt;/script&gt;" in page
    page = world.client.get(f"/c/{world.cid}/ausbildung").text
    postings = {p["identifier"]["value"]: p for p in _postings(page)}  # still parses
    assert len(postings) == 4
    assert postings[place.id]["title"] == "Ausbildung <script>Koch</script>"
    assert HOSTILE in postings[place.id]["description"]
    jsonschema.validate(postings[place.id], JOBPOSTING_SCHEMA)


# The open-data feed ---------------------------------------------------------------


def test_the_feed_validates_and_has_every_open_place(world: World, settings: Settings) -> None:
    response = world.client.get(f"/api/competitions/{world.cid}/places")
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in response.headers
    assert response.headers["cache-control"] == "public, max-age=60"
    data = response.json()
    jsonschema.validate(data, PLACES_SCHEMA)
    base = settings.public_url.rstrip("/")
    by_id = {place["id"]: place for place in data["places"]}
    assert set(by_id) == {world.bakery.id, world.cook.id, world.joiner.id}
    bakery = by_id[world.bakery.id]
    assert bakery["apply"] == {
        "url": f"{base}/go/{world.cid}/{world.bakery.id}", "host": "karriere.baeckerei-a.example"
    }  # fmt: skip
    assert bakery["trade"] == {
        "name": "Bäcker/in", "slug": "baecker-in",
        "url": f"{base}/berufe/baecker-in?c={world.cid}",
    }  # fmt: skip
    assert bakery["company"]["location"] == "Bielefeld" and bakery["company"]["logo"] is None
    assert bakery["starts"] == "2027-08" and bakery["count"] == 2
    assert by_id[world.cook.id]["starts"] is None
    assert by_id[world.cook.id]["apply"]["host"] == "baeckerei-a.example"
    assert data["links"]["page"] == f"{base}/c/{world.cid}/ausbildung"


def test_the_feed_answers_304_for_its_etag_and_changes_with_the_places(
    world: World, redis_client: redis.Redis
) -> None:
    path = f"/api/competitions/{world.cid}/places"
    first = world.client.get(path)
    etag = first.headers["etag"]
    assert re.fullmatch(r'"[0-9a-f]{32}"', etag)
    again = world.client.get(path, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["access-control-allow-origin"] == "*"
    apprenticeships.remove_place(
        redis_client, world.cid, world.company["Team 0"], world.cook.id, "test"
    )
    changed = world.client.get(path, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["etag"] != etag
    assert world.cook.id not in changed.text
    missing = world.client.get("/api/competitions/nope/places")
    assert missing.status_code == 404
    assert missing.json()["detail"]["code"] == "unknown_competition"
    assert missing.headers["access-control-allow-origin"] == "*"


def test_the_feed_is_documented(client: TestClient) -> None:
    operation = client.get("/openapi.json").json()["paths"]["/api/competitions/{cid}/places"]
    get = operation["get"]
    assert get["summary"] and "JobPosting" in get["description"]
    example = get["responses"]["200"]["content"]["application/json"]["example"]
    jsonschema.validate(example, PLACES_SCHEMA)


# Company logos --------------------------------------------------------------------


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 64), (200, 80, 20)).save(out, "PNG")
    return out.getvalue()


def test_the_logo_is_served_while_the_profile_is_shown(
    world: World, redis_client: redis.Redis, settings: Settings
) -> None:
    company = world.company["Team 1"]
    folder = videos.media_dir(settings)
    apprenticeships.set_logo(redis_client, world.cid, company, folder, _png(), "test")
    page = world.client.get(f"/c/{world.cid}/ausbildung").text
    match = re.search(rf'src="(/c/{world.cid}/logo/{company}\.png\?v=\d+)"', page)
    assert match
    logo = world.client.get(match.group(1))
    assert logo.status_code == 200 and logo.headers["content-type"] == "image/png"
    feed = world.client.get(f"/api/competitions/{world.cid}/places").json()
    joiner = next(p for p in feed["places"] if p["id"] == world.joiner.id)
    assert joiner["company"]["logo"].endswith(match.group(1))
    apprenticeships.set_hidden(redis_client, world.cid, company, True, "Prüfung", "test")
    assert world.client.get(match.group(1)).status_code == 404
    assert world.client.get(f"/c/{world.cid}/logo/nobody.png").status_code == 404


# The trade pages ------------------------------------------------------------------


def test_the_trade_page_shows_text_duels_and_places(
    world: World, redis_client: redis.Redis
) -> None:
    trades.describe(
        redis_client, world.cid, "baecker-in", "Bäcker backen Brot.", "Bakers bake bread.", "t"
    )
    response = world.client.get("/berufe/baecker-in")
    assert response.status_code == 200
    page = response.text
    assert "<h1>Bäcker/in</h1>" in page and "Bäcker backen Brot." in page
    for name in ("Team 0", "Team 3"):  # the two bakery teams' duels
        duel = world.duel_of(name)
        assert f'href="/vote/{duel["id"]}"' in page
    assert f'href="/go/{world.cid}/{world.bakery.id}"' in page
    assert world.joiner.id not in page and world.hidden.id not in page
    assert "<video" not in page  # no video approved yet
    # Approved videos are mirrored onto the duel record (duels.videos): the page plays them.
    duel = world.duel_of("Team 0")
    side = "home" if duel["home"]["name"] == "Team 0" else "away"
    other = "away" if side == "home" else "home"
    redis_client.hset(keys.duel(duel["id"]), mapping={
        f"{side}_video": "clip-abc.mp4", f"{side}_poster": "clip-abc.jpg",
        f"{side}_video_type": "video/mp4",
        f"{other}_video_link": "https://www.youtube.com/watch?v=abc",
    })  # fmt: skip
    page = world.client.get("/berufe/baecker-in").text
    assert '<source src="/media/clip-abc.mp4" type="video/mp4">' in page
    assert 'poster="/media/clip-abc.jpg"' in page
    assert 'href="https://www.youtube.com/watch?v=abc"' in page
    english = world.client.get("/berufe/baecker-in?lang=en").text
    assert "Bakers bake bread." in english
    # no English text: the German one
    trades.describe(redis_client, world.cid, "tischler-in", "Holz wird Möbel.", "", "t")
    assert "Holz wird Möbel." in world.client.get("/berufe/tischler-in?lang=en").text


def test_the_trade_page_narrows_to_a_competition(
    world: World, make_client: ClientFactory, host_headers: dict[str, str]
) -> None:
    other_cid, _ = Host(world.client, host_headers).competition(teams=2)
    assert world.client.get(f"/berufe/baecker-in?c={other_cid}").status_code == 200
    narrowed = world.client.get(f"/berufe/baecker-in?c={other_cid}").text
    assert world.bakery.id not in narrowed
    both = world.client.get("/berufe/baecker-in").text
    assert f'data-competition="{other_cid}"' in both and world.bakery.id in both


def test_an_unknown_trade_is_a_404_page(world: World) -> None:
    for path in ("/berufe/astronaut-in", "/berufe/UPPER", "/berufe/koch-koechin?c=nope"):
        response = world.client.get(path)
        assert response.status_code == 404, path
        assert "Diesen Beruf gibt es hier nicht." in response.text


# The vote page --------------------------------------------------------------------


def _csrf(page: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', page)
    assert match
    return match.group(1)


def test_the_vote_page_shows_both_companies_after_a_vote(
    world: World, redis_client: redis.Redis
) -> None:
    duel = world.duel_of("Team 0")
    did = duel["id"]
    other = next(duel[s] for s in ("home", "away") if duel[s]["name"] != "Team 0")
    for place in apprenticeships.get_profile(
        redis_client, world.cid, world.company[other["name"]]
    ).places:  # the opponent's company lists no place
        apprenticeships.remove_place(
            redis_client, world.cid, world.company[other["name"]], place.id, "test"
        )
    world.host.post(f"/api/duels/{did}/open")
    before = world.client.get(f"/vote/{did}").text
    assert "apprentice-cards" not in before and "Ausbildung bei" not in before
    assert f'data-apprentice="/vote/{did}/ausbildung"' in before
    team = duel["home"]["id"]
    posted = world.client.post(
        f"/vote/{did}", data={"csrf": _csrf(before), "team_id": team}, follow_redirects=False
    )
    assert posted.status_code == 303
    page = world.client.get(posted.headers["location"]).text
    names = [duel[side]["company"] for side in ("home", "away")]
    for name in names:
        assert f"Ausbildung bei {name}" in page
    # Firma 0's places, the duel's trade (Bäcker/in) first, through /go with the duel
    bakery = page.index(f'href="/go/{world.cid}/{world.bakery.id}?d={did}"')
    cook = page.index(f'href="/go/{world.cid}/{world.cook.id}?d={did}"')
    assert bakery < cook
    assert "Wir backen seit 1900." in page
    assert f'href="/berufe/baecker-in?c={world.cid}"' in page
    # the other company lists no place: its card links the competition's places page
    theirs = page[page.index(f"Ausbildung bei {other['company']}") :]
    assert f'href="/c/{world.cid}/ausbildung"' in theirs.split("</section>")[0]
    assert 'class="apprentice-slot"' not in page
    # the same cards for vote.js' votes (no page load)
    fragment = world.client.get(f"/vote/{did}/ausbildung")
    assert fragment.status_code == 200
    assert f"Ausbildung bei {names[0]}" in fragment.text
    assert world.client.get("/vote/nope/ausbildung").status_code == 404


def test_the_result_view_shows_the_cards(world: World, redis_client: redis.Redis) -> None:
    duel = world.duel_of("Team 1")
    did = duel["id"]
    world.host.post(f"/api/duels/{did}/open")
    record_official_counts(redis_client, did, {duel["home"]["id"]: 5, duel["away"]["id"]: 2})
    world.host.post(f"/api/duels/{did}/close")
    page = world.client.get(f"/vote/{did}").text  # not voted: the result view
    outcome = page[page.index('id="vote-outcome"') :]
    assert f"Ausbildung bei {duel['home']['company']}" in outcome
    assert page.count("Ausbildung bei ") == 2  # once, inside the result box
    assert f"/go/{world.cid}/{world.joiner.id}?d={did}" in page
    assert f'href="/berufe/tischler-in?c={world.cid}"' in page
    fragment = world.client.get(f"/vote/{did}/result").text
    assert f"/go/{world.cid}/{world.joiner.id}?d={did}" in fragment
    assert 'id="result-apprentice-cards"' in fragment


# Short links on the live board, the share area, link previews and share cards -----


def test_live_board_and_share_area_link_the_places_page(world: World, settings: Settings) -> None:
    host = settings.public_url.split("://", 1)[-1].rstrip("/")
    label = f"{host}/c/{world.cid}/ausbildung"
    live = world.client.get(f"/live/{world.cid}").text
    assert f'<a href="/c/{world.cid}/ausbildung">{label}</a>' in live
    projector = world.client.get(f"/live/{world.cid}?mode=projector").text
    assert f"Ausbildungsplätze: {label}" in projector
    did = world.duels[0]["id"]
    page = world.client.get(f"/vote/{did}").text
    assert f'<a href="/c/{world.cid}/ausbildung">{label}</a>' in page
    description = re.search(r'<meta property="og:description" content="([^"]*)"', page)
    assert description and f"Ausbildungsplätze: {label}" in html.unescape(description.group(1))


def test_the_share_card_carries_the_short_link_while_places_are_open(
    world: World, redis_client: redis.Redis
) -> None:
    from voting import cards

    drawn: list[cards.CardInputs] = []
    real = cards.render

    def spy(inputs: cards.CardInputs, **kwargs: Any) -> bytes:
        drawn.append(inputs)
        return real(inputs, **kwargs)

    did = world.duels[0]["id"]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(cards, "render", spy)
        assert world.client.get(f"/cards/duels/{did}/post.png").status_code == 200
        assert drawn[-1].places_label.startswith("Ausbildungsplätze: ")
        assert drawn[-1].places_label.endswith(f"/c/{world.cid}/ausbildung")
        for company in world.company.values():  # no open place left: no link
            for place in apprenticeships.get_profile(redis_client, world.cid, company).places:
                apprenticeships.remove_place(redis_client, world.cid, company, place.id, "t")
        assert world.client.get(f"/cards/duels/{did}/story.png").status_code == 200
        assert drawn[-1].places_label == ""
