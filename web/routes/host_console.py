"""Host console: Jinja2 pages and CSRF-protected forms over the same domain calls
as the host API. Every form answers with a redirect (POST/redirect/GET)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Request
from starlette.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from duels import (
    access,
    codes,
    errors,
    keys,
    organisations,
    screens,
    store,
    tournament,
    videos,
    views,
)
from duels import admission as admission_modes
from voting import evidence
from web import host_session, stage_console
from web.csv_export import csv_download
from web.deps import Configurer, Moderator, Person, Reader, Runner
from web.responses import JSONResponse
from web.seeding_form import manual_order
from web.templating import render
from workers import tally

router = APIRouter(prefix="/host", include_in_schema=False)
Field = Annotated[str, Form()]
OptionalField = Annotated[str, Form()]
EVENT_TIMEZONE = ZoneInfo("Europe/Berlin")


def _login_redirect() -> RedirectResponse:
    return RedirectResponse("/host/login", status_code=303)


def _page(request: Request, name: str, context: dict[str, Any]) -> HTMLResponse:
    if not host_session.is_logged_in(request):
        return _login_redirect()  # type: ignore[return-value]
    return _render_with_csrf(request, name, context)


def _render_with_csrf(
    request: Request, name: str, context: dict[str, Any], status_code: int = 200
) -> HTMLResponse:
    token = host_session.csrf_token(request)
    message = {"ok": request.query_params.get("ok"), "error": request.query_params.get("error")}
    response = render(
        request, name, {"csrf": token, "message": message, **context}, status_code=status_code
    )
    host_session.csrf_token(request, response)  # sets the cookie on first visit
    response.headers["Cache-Control"] = "no-store"  # pages may show a secret once
    return response


def _act(request: Request, csrf: str, back: str, action: Callable[[], object], ok: str) -> Response:
    """Run one host action from a form; go to ``back`` (``#anchor`` last) with its outcome."""
    if not host_session.is_logged_in(request):
        return _login_redirect()
    back, hash_, anchor = back.partition("#")
    try:
        host_session.check_csrf(request, csrf)
        action()
    except errors.DomainError as exc:
        return RedirectResponse(f"{back}?error={quote(exc.code)}{hash_}{anchor}", 303)
    except Exception as exc:  # bracket engine errors carry a code too
        code = getattr(exc, "code", None)
        if code is None:
            raise
        return RedirectResponse(f"{back}?error={quote(code)}{hash_}{anchor}", 303)
    return RedirectResponse(f"{back}?ok={quote(ok)}{hash_}{anchor}", 303)


# Login ---------------------------------------------------------------------------


@router.get("/login")
def login_page(request: Request) -> HTMLResponse:
    return _render_with_csrf(request, "host/login.html", {})


@router.post("/login")
def login(
    request: Request,
    email: Field,
    password: Field,
    csrf: Field,
    code: Annotated[str, Form(max_length=12)] = "",
) -> Response:
    response = RedirectResponse("/host", status_code=303)
    filled = {"email": email[:254], "ask_code": bool(code)}
    try:
        host_session.check_csrf(request, csrf)
        host_session.log_in(request, response, email, password, code)
    except errors.Throttled as exc:
        page = _render_with_csrf(request, "host/login.html", {"error": exc.code, **filled}, 429)
        page.headers["Retry-After"] = str(exc.retry_after)
        return page
    except errors.DomainError as exc:
        if exc.code in ("totp_required", "totp_invalid"):
            filled["ask_code"] = True
        return _render_with_csrf(request, "host/login.html", {"error": exc.code, **filled}, 403)
    return response


@router.post("/logout")
def logout(request: Request, csrf: Field) -> Response:
    host_session.check_csrf(request, csrf)
    response = RedirectResponse("/host/login", status_code=303)
    host_session.log_out(request, response)
    return response


@router.post("/logout-everywhere")
def logout_everywhere(request: Request, csrf: Field) -> Response:
    """End every host session, this one included (a lost laptop, a copied cookie)."""
    host_session.check_csrf(request, csrf)
    response = RedirectResponse("/host/login", status_code=303)
    host_session.log_out_everywhere(request, response)
    return response


# Competitions --------------------------------------------------------------------


@router.get("")
def index(request: Request, user: Person) -> HTMLResponse:
    client = request.app.state.store
    listed = organisations.console_index(client, user.id)
    roles = set(organisations.scopes_of(client, user.id).values())
    if roles == {access.Role.JURY}:
        return RedirectResponse("/host/jury", status_code=303)  # type: ignore[return-value]
    return _page(request, "host/index.html", {"user": user, **listed})


@router.post("/competitions")
def create_competition(
    request: Request,
    csrf: Field,
    title: Field,
    by: Configurer,
    audience_weight: Annotated[float, Form()] = 1.0,
    admission: Annotated[str, Form()] = "venue",
    organisation: Annotated[str, Form(max_length=40)] = organisations.DEFAULT,
) -> Response:
    created: dict[str, str] = {}

    def action() -> None:
        client = request.app.state.store
        organisations.get_organisation(client, organisation)
        access.require_in_organisation(client, by, access.Permission.CONFIGURE, organisation)
        weight = min(max(audience_weight, 0.0), 1.0)
        mode = admission_modes.parse_mode(admission)
        admission_modes.check_mode_usable(mode, mail_ready=request.app.state.settings.mail_ready)
        created["id"] = store.create_competition(
            client, title, audience_weight=weight, admission=mode, organisation=organisation,
            actor=by.actor,
        ).id  # fmt: skip

    response = _act(request, csrf, "/host", action, "competition_created")
    if "id" in created:
        return RedirectResponse(f"/host/c/{created['id']}?ok=competition_created", 303)
    return response


@router.get("/c/{cid}")
def competition_page(request: Request, cid: str, by: Reader) -> HTMLResponse:
    client = request.app.state.store
    competition = store.get_competition(client, cid)
    issued = host_session.take_once(request, cid)
    view = views.bracket_view(client, cid)
    duels = [d for r in view["rounds"] for d in r["duels"]]
    legs = [{**d, "id": leg["id"]} for d in duels for leg in d["legs"]]  # best-of-N: each own
    counts = _counts(client, [d["id"] for d in legs if d["id"]])
    submitted = {
        d["id"]: {
            team: video.public() for team, video in videos.videos_of_duel(client, d["id"]).items()
        }
        for d in legs
        if d["id"] and d["away"] and d["round"] == view["round"]
    }
    return _page(
        request,
        "host/competition.html",
        {
            "competition": competition,
            "companies": store.list_companies(client, cid),
            "teams": store.list_teams(client, cid),
            "view": view,
            "counts": counts,
            "videos": submitted,
            "invites": issued.get("invite"),
            "new_screen_key": issued.get("screen", ""),
            "screens": screens.list_screens(client, cid),
            "code_summary": codes.summary(client, cid),
            "can": access.permissions(client, by, cid),
            "stage_card": stage_console.stage_card(view),
            "duel_rounds": stage_console.duel_rounds(client, view),
        },
    )


def _competition_page_of(client: Any, did: str) -> str:
    """Where a duel's form comes back to: its row on its competition's console page."""
    return f"/host/c/{store.get_duel(client, did).competition}#duel-{did}"


def _public_videos(client: Any, did: str) -> dict[str, dict[str, Any]]:
    return {team: video.public() for team, video in videos.videos_of_duel(client, did).items()}


def _counts(client: Any, duel_ids: list[str]) -> dict[str, dict[str, dict[str, str]]]:
    pipe = client.pipeline(transaction=False)
    for did in duel_ids:
        pipe.hgetall(keys.official(did))
        pipe.hgetall(keys.provisional(did))
    raw = pipe.execute()
    return {
        did: {"official": raw[2 * n], "provisional": raw[2 * n + 1]}
        for n, did in enumerate(duel_ids)
    }


def _issue_once(
    request: Request, csrf: str, cid: str, issue: Callable[[], str], ok: str, param: str
) -> Response:
    """Run a host action that makes a secret (invite link, screen key) and show it once on
    the competition page; the store keeps only its hash. The secret waits for that one view
    server-side (never in a URL, so not in the history, logs or a Referer)."""
    issued: list[str] = []
    response = _act(request, csrf, f"/host/c/{cid}", lambda: issued.append(issue()), ok)
    if issued:
        host_session.keep_once(request, cid, param, issued[0])
        return RedirectResponse(f"/host/c/{cid}?ok={ok}", 303)
    return response


@router.post("/c/{cid}/companies")
def add_company(request: Request, cid: str, csrf: Field, name: Field, by: Configurer) -> Response:
    def issue() -> str:
        return store.add_company(request.app.state.store, cid, name, actor=by.actor)[1]

    return _issue_once(request, csrf, cid, issue, "company_added", "invite")


@router.post("/c/{cid}/teams")
def add_team(
    request: Request, cid: str, csrf: Field, company_id: Field, name: Field, trade: Field,
    by: Configurer, members: Annotated[str, Form()] = "",
) -> Response:  # fmt: skip
    first_names = tuple(m.strip() for m in members.split(",") if m.strip())
    return _act(
        request, csrf, f"/host/c/{cid}",
        lambda: store.add_team(
            request.app.state.store, cid, company_id, name, trade, first_names, actor=by.actor
        ),
        "team_added",
    )  # fmt: skip


@router.post("/c/{cid}/draw")
def draw(
    request: Request, cid: str, csrf: Field, format: Field, seeding: Field, by: Runner,
    seed: Annotated[str, Form()] = "", order: Annotated[str, Form()] = "",
    team: Annotated[list[str] | None, Form()] = None,
    place: Annotated[list[str] | None, Form()] = None,
    groups: OptionalField = "", advance: OptionalField = "", best_placed: OptionalField = "",
    swiss_rounds: OptionalField = "", swiss_advance: OptionalField = "",
    best_of: OptionalField = "", third_place: OptionalField = "",
) -> Response:  # fmt: skip
    def action() -> None:
        if seed.strip() and not seed.strip().isdigit():
            raise errors.Invalid("The seed is a whole number.", code="invalid_seed")
        named = manual_order(team or [], place or []) if seeding == "manual" else None
        options = stage_console.draw_options(
            format, groups=groups, advance=advance, best_placed=best_placed,
            swiss_rounds=swiss_rounds, swiss_advance=swiss_advance, best_of=best_of,
            third_place=third_place,
        )  # fmt: skip
        tournament.draw(
            request.app.state.store, cid, format=format, seeding=seeding,
            seed=int(seed) if seed.strip() else None,
            order=[o.strip() for o in order.split(",") if o.strip()] or named, actor=by.actor,
            **options,
        )  # fmt: skip

    return _act(request, csrf, f"/host/c/{cid}", action, "drawn")


@router.post("/duels/{did}/open")
def open_duel(
    request: Request, did: str, csrf: Field, by: Runner, closes_at: Annotated[str, Form()] = ""
) -> Response:
    client = request.app.state.store
    back = _competition_page_of(client, did)
    require_videos = request.app.state.settings.require_approved_videos

    def action() -> None:
        end = _parse_local_time(closes_at) if closes_at.strip() else None
        tournament.open_voting(
            client, did, closes_at=end, require_videos=require_videos,
            mail_ready=request.app.state.settings.mail_ready, actor=by.actor,
        )  # fmt: skip

    return _act(request, csrf, back, action, "voting_opened")


@router.post("/duels/{did}/close")
def close_duel(request: Request, did: str, csrf: Field, by: Runner) -> Response:
    client = request.app.state.store
    back = _competition_page_of(client, did)
    return _act(
        request, csrf, back, lambda: tournament.close_voting(client, did, actor=by.actor),
        "voting_closed",
    )  # fmt: skip


@router.post("/duels/{did}/walkover")
def walkover(
    request: Request, did: str, csrf: Field, winner: Field, reason: Field, by: Runner
) -> Response:
    client = request.app.state.store
    back = _competition_page_of(client, did)
    return _act(
        request, csrf, back,
        lambda: tournament.walkover(client, did, winner, reason, actor=by.actor), "walkover",
    )  # fmt: skip


@router.post("/duels/{did}/videos/{team_id}/approve")
def approve_video(request: Request, did: str, team_id: str, csrf: Field, by: Moderator) -> Response:
    client = request.app.state.store
    back = _competition_page_of(client, did)
    directory = videos.media_dir(request.app.state.settings)
    return _act(
        request, csrf, back,
        lambda: videos.approve(client, did, team_id, directory=directory, actor=by.actor),
        "video_approved",
    )  # fmt: skip


@router.get("/duels/{did}/videos/{team_id}/original")
def original_video(request: Request, did: str, team_id: str, by: Moderator) -> Response:
    """The uploaded original as the company sent it: a download for moderators only."""
    name, media_type = videos.original_of(request.app.state.store, did, team_id)
    path = videos.media_dir(request.app.state.settings) / name
    if not path.is_file():
        raise errors.NotFound("The original is no longer kept.", code="unknown_media")
    return FileResponse(path, media_type=media_type, filename=name)


@router.post("/duels/{did}/videos/{team_id}/reject")
def reject_video(
    request: Request, did: str, team_id: str, csrf: Field, reason: Field, by: Moderator
) -> Response:
    client = request.app.state.store
    back = _competition_page_of(client, did)
    return _act(
        request, csrf, back,
        lambda: videos.reject(client, did, team_id, reason, actor=by.actor), "video_rejected",
    )  # fmt: skip


@router.get("/duels/{did}/quarantine")
def quarantine_page(request: Request, did: str, by: Moderator) -> HTMLResponse:
    client = request.app.state.store
    duel = store.get_duel(client, did)
    groups = [group.public() for group in tally.quarantine_groups(client, did)]
    return _page(request, "host/quarantine.html", {"duel": duel, "groups": groups})


@router.post("/duels/{did}/quarantine/{group}/{verdict}")
def review_quarantine(
    request: Request, did: str, group: str, verdict: str, csrf: Field, reason: Field,
    by: Moderator, back_to: Annotated[str, Form(alias="back")] = "",
) -> Response:  # fmt: skip
    client = request.app.state.store
    page = "evidence" if back_to == "evidence" else "quarantine"
    back = f"/host/duels/{did}/{page}"
    if verdict not in ("include", "exclude"):
        return RedirectResponse(f"{back}?error=unknown_verdict", status_code=303)
    return _act(
        request, csrf, back,
        lambda: tally.review_quarantine(
            client, did, group, include=verdict == "include", reason=reason, actor=by.actor
        ),
        f"quarantine_{verdict}d",
    )  # fmt: skip


@router.get("/c/{cid}/advance")
def advance_page(request: Request, cid: str, by: Runner) -> Response:
    client = request.app.state.store
    try:
        decisions = tournament.preview_advance(client, cid)
    except errors.DomainError as exc:
        return RedirectResponse(f"/host/c/{cid}?error={quote(exc.code)}", 303)
    view = views.bracket_view(client, cid)
    if (view.get("stage") or {}).get("over"):  # the stage card finishes it instead
        return RedirectResponse(f"/host/c/{cid}?error=stage_finished#stage", 303)
    by_match = {d["match"]: d for r in view["rounds"] for d in r["duels"]}
    settings = request.app.state.settings
    at_risk = evidence.duels_at_risk(client, settings, [by_match[m]["id"] for m in decisions])
    rows = [
        {"duel": by_match[match_id], "result": result, "tie": result.decided_by in TIE_DECIDERS,
         "at_risk": by_match[match_id]["id"] in at_risk}
        for match_id, result in decisions.items()
    ]  # fmt: skip
    return _page(request, "host/advance.html", {"view": view, "rows": rows})


TIE_DECIDERS = ("jury", "fewer_quarantined", "draw")


@router.post("/c/{cid}/advance")
def advance(
    request: Request, cid: str, csrf: Field, round: Annotated[int, Form()], by: Runner
) -> Response:
    return _act(
        request, csrf, f"/host/c/{cid}",
        lambda: tournament.advance(
            request.app.state.store, cid, expected_round=round, actor=by.actor
        ),
        "advanced",
    )  # fmt: skip


@router.post("/c/{cid}/undo")
def undo(request: Request, cid: str, csrf: Field, reason: Field, by: Runner) -> Response:
    return _act(
        request, csrf, f"/host/c/{cid}",
        lambda: tournament.undo(request.app.state.store, cid, reason=reason, actor=by.actor),
        "undone",
    )  # fmt: skip


# Exports and posters -------------------------------------------------------------


@router.get("/c/{cid}/results.json")
def export_json(request: Request, cid: str, by: Reader) -> Response:
    return JSONResponse(_results(request, cid), headers=_download(f"ergebnisse-{cid}.json"))


@router.get("/c/{cid}/results.csv")
def export_csv(request: Request, cid: str, by: Reader) -> Response:
    rows = _results(request, cid)
    for row in rows:
        row["refused_by_code"] = evidence.refused_text(row["refused_by_code"])
    columns = (*views.RESULT_COLUMNS, *evidence.INTEGRITY_COLUMNS)
    return csv_download(columns, rows, f"ergebnisse-{cid}.csv")


@router.get("/c/{cid}/posters")
def posters(request: Request, cid: str, by: Reader) -> HTMLResponse:
    client = request.app.state.store
    view = views.bracket_view(client, cid)
    asked = request.query_params.get("round", "")
    number = int(asked) if asked.isdecimal() and len(asked) < 6 else view["round"] or 1
    duels = [d for r in view["rounds"] if r["number"] == number for d in r["duels"] if d["away"]]
    venue = screens.venue_duel_ids(client, cid)
    context = {"view": view, "duels": duels, "round": number, "venue": venue}
    return _page(request, "host/posters.html", context)


def _results(request: Request, cid: str) -> list[dict[str, Any]]:
    """The results table, each duel with its integrity summary (voting.evidence)."""
    client, settings = request.app.state.store, request.app.state.settings
    return evidence.with_integrity(client, settings, views.results_table(client, cid))


def _download(filename: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{filename}"'}


def _parse_local_time(value: str) -> float:
    """A ``datetime-local`` form value, read in the event's time zone."""
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError as exc:
        raise errors.Invalid("The end time is not a date and time.", code="invalid_time") from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=EVENT_TIMEZONE)
    return moment.timestamp()
