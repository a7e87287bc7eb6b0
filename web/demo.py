"""Seed data for ``machmal demo``: eight companies and their trades, a drawn
bracket, short generated videos for round 1 (when ffmpeg is there), the first duel
open for voting at the venue, a stage screen that shows its rotating code, and the
companies' profiles with open apprenticeship places (web/demo_places.py)."""

from __future__ import annotations

import logging
import os
import secrets
import shutil
import subprocess
from pathlib import Path

import orjson
import redis

from duels import accounts, admission, organisations, screens, store, tournament, videos
from duels.access import Role
from duels.errors import NotFound
from duels.settings import Settings
from web.demo_places import seed_places
from workers import media

log = logging.getLogger(__name__)

DEMO_SLUG = "demo"
DEMO_TITLE = "Mach mal – Demo-Duell 2026"
DEMO_SEED = 2026
DEMO_SCREEN = "Demo-Bühne"
# The demo screen's key, kept beside the demo's data so a restart prints the same URL.
DEMO_SCREEN_FILE = "demo-screen.json"
DEMO_OWNER_FILE = "demo-owner.json"
DEMO_OWNER = "demo@mach-mal.example"
DEMO_TEAMS = (
    ("Bäckerei Sonnenkorn", "Die Teigtaucher", "Bäcker/in", ("Lena", "Murat")),
    ("Autohaus Kraftwerk", "Schraubgenies", "Kfz-Mechatroniker/in", ("Jonas", "Aylin")),
    ("Elektro Blitzblank", "Die Stromer", "Elektroniker/in", ("Finn", "Sara")),
    ("Pflegeheim Lindenhof", "Herz & Hand", "Pflegefachmann/-frau", ("Mia", "Deniz")),
    ("Tischlerei Holzwurm", "Span-Tastisch", "Tischler/in", ("Paul", "Emma")),
    ("Salon Schnittstelle", "Haarscharf", "Friseur/in", ("Lea", "Can")),
    ("Gärtnerei Grünzeug", "Die Wurzelzwerge", "Gärtner/in", ("Noah", "Hanna")),
    ("Hotel Seeblick", "Koch-Kommando", "Koch/Köchin", ("Ben", "Zoe")),
)
_COLOURS = (
    "0xe4572e",
    "0x2e86ab",
    "0xf3a712",
    "0x29bf12",
    "0x8f2d56",
    "0x1d3557",
    "0xff70a6",
    "0x70d6ff",
)


def seed_demo(client: redis.Redis, settings: Settings) -> dict[str, str]:
    """Create the demo competition once; later runs find and reuse it."""
    try:
        competition = store.competition_by_slug(client, DEMO_SLUG)
    except NotFound:
        competition = store.create_competition(client, DEMO_TITLE, DEMO_SLUG, admission="venue")
        for company_name, team_name, trade, members in DEMO_TEAMS:
            company, _ = store.add_company(client, competition.id, company_name)
            store.add_team(client, competition.id, company.id, team_name, trade, members)
        tournament.draw(client, competition.id, seeding="random", seed=DEMO_SEED, actor="demo")
        _demo_videos(client, settings, competition.id)
    seed_places(client, competition.id)  # also into a demo seeded before #19
    duels = sorted(store.duels_of_competition(client, competition.id), key=lambda d: d.match)
    first = next((duel for duel in duels if duel.away), duels[0])
    if first.status == "pending":
        if competition.admission != "venue":  # a demo seeded before venue voting existed
            admission.set_competition_mode(
                client, competition.id, "venue", mail_ready=settings.mail_ready, actor="demo"
            )
        tournament.open_voting(client, first.id, actor="demo")
    key = demo_screen_key(client, settings.data_dir / DEMO_SCREEN_FILE, competition.id)
    password = demo_owner(client, settings.data_dir / DEMO_OWNER_FILE)
    return {
        "id": competition.id,
        "first_duel": first.id,
        "screen_key": key,
        "owner": DEMO_OWNER,
        "password": password,
    }


def demo_owner(client: redis.Redis, path: Path) -> str:
    """The demo's owner account (of the default organisation); its password, kept in the
    data directory so every start prints the same one."""
    organisations.upgrade(client)
    try:
        stored = str(orjson.loads(path.read_bytes()).get("password", ""))
    except (OSError, orjson.JSONDecodeError, AttributeError):
        stored = ""
    user = accounts.find_user(client, DEMO_OWNER)
    if user is not None and stored:
        return stored
    password = secrets.token_urlsafe(12)
    if user is None:
        user = accounts.create_user(client, DEMO_OWNER, password, "Demo")
    else:
        accounts.set_password(client, user.id, password)
    organisations.grant(client, user.id, f"o:{organisations.DEFAULT}", Role.OWNER)
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(orjson.dumps({"email": DEMO_OWNER, "password": password}))
    return password


def demo_screen_key(client: redis.Redis, path: Path, cid: str) -> str:
    """The demo screen's key: the stored one while it works, else a new one (the
    screens whose keys were lost are revoked)."""
    try:
        stored = str(orjson.loads(path.read_bytes()).get("key", ""))
    except (OSError, orjson.JSONDecodeError, AttributeError):
        stored = ""
    found = screens.screen_for_key(client, stored) if stored else None
    if found is not None and found[0] == cid:
        return stored
    for screen in screens.list_screens(client, cid):
        if screen.active:
            screens.revoke_screen(client, cid, screen.id, actor="demo", reason="key lost")
    _, key = screens.issue_screen(client, cid, DEMO_SCREEN, actor="demo")
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(orjson.dumps({"competition": cid, "key": key}))
    return key


def _demo_videos(client: redis.Redis, settings: Settings, cid: str) -> None:
    """A short coloured test clip per team of round 1, processed and approved."""
    if not shutil.which("ffmpeg"):
        log.warning("ffmpeg not found: the demo duels have no videos")
        return
    directory = videos.media_dir(settings)
    directory.mkdir(parents=True, exist_ok=True)
    teams = {team.id: team for team in store.list_teams(client, cid)}
    for n, duel in enumerate(d for d in store.duels_of_competition(client, cid) if d.away):
        for side, team_id in enumerate((duel.home, duel.away)):
            name = f"{videos.new_media_stem(duel.id, team_id)}.mp4"
            colour = _COLOURS[(2 * n + side) % len(_COLOURS)]
            _make_clip(directory / name, colour)
            company = teams[team_id].company_id
            target = videos.Target(duel=duel, team_id=team_id, company_id=company)
            videos.record_upload(client, target, name, (directory / name).stat().st_size)
            videos.start_processing(client, duel.id, team_id, name)
            found = media.probe(directory / name)
            poster = (directory / name).with_suffix(".jpg")
            media.make_poster(directory / name, poster, found.duration)
            videos.finish_processing(
                client, duel.id, team_id, name, poster=poster.name, duration=found.duration,
                width=found.width, height=found.height, codec=found.codec,
            )  # fmt: skip
            videos.approve(client, duel.id, team_id, actor="demo")


def _make_clip(path: object, colour: str) -> None:
    subprocess.run(
        ["ffmpeg", "-v", "error", "-nostdin", "-y",
         "-f", "lavfi", "-i", "testsrc2=size=360x640:rate=24:duration=4",
         "-f", "lavfi", "-i", f"color=c={colour}:size=360x640:rate=24:duration=4",
         "-filter_complex", "[0:v][1:v]blend=all_mode=overlay:all_opacity=0.6,format=yuv420p",
         "-c:v", "libx264", "-preset", "veryfast", "-movflags", "+faststart", str(path)],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
