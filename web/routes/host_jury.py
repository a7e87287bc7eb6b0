"""The jury in the console: hosts assign jury members to duels and see who still owes
points (card ``host/_jury.html`` on the competition page); a jury member scores their
duels on their phone (``/host/jury``). Points are kept per member (``duels.jury``)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from duels import access, errors, jury, jury_duty, store
from web import host_session
from web.deps import Configurer, Juror, Person
from web.routes.host_console import _act, _page
from web.templating import environment

router = APIRouter(prefix="/host", include_in_schema=False)
Field = Annotated[str, Form()]
Points = Annotated[int, Form(ge=0, le=jury_duty.POINTS_MAX)]


@router.get("/jury")
def jury_page(request: Request, user: Person) -> HTMLResponse:
    duties = jury_duty.duties(request.app.state.store, user.id)
    context = {"user": user, "duties": duties, "points_max": jury_duty.POINTS_MAX}
    return _page(request, "host/jury.html", context)


@router.post("/jury/{did}")
def score(
    request: Request, did: str, csrf: Field, home: Points, away: Points, by: Juror
) -> Response:
    client = request.app.state.store
    host_session.check_csrf(request, csrf)
    duel = store.get_duel(client, did)
    if not access.may_judge(client, by, duel.competition, did):
        raise errors.Forbidden("This duel is not assigned to you.", code="not_your_duel")
    jury.submit(client, did, by, float(home), float(away))
    return RedirectResponse(f"/host/jury?ok=jury_saved#duel-{did}", status_code=303)


@router.post("/c/{cid}/jury/{uid}")
def assign(
    request: Request,
    cid: str,
    uid: str,
    csrf: Field,
    by: Configurer,
    mode: Annotated[Literal["all", "chosen", "none"], Form()] = "all",
    duel: Annotated[list[str], Form(max_length=512)] = [],  # noqa: B006 (FastAPI copies it)
) -> Response:
    chosen = {"all": [], "chosen": duel, "none": None}[mode]

    def action() -> None:
        if mode == "chosen" and not duel:
            raise errors.Invalid("Choose at least one duel.", code="jury_no_duels")
        jury_duty.assign(request.app.state.store, cid, uid, chosen, actor=by.actor)

    return _act(request, csrf, f"/host/c/{cid}#jury", action, "jury_assigned")


def jury_panel(request: Request, cid: str, round_: int) -> dict[str, Any]:
    """The jury card's data; the competition page's template asks for it (``_jury.html``)."""
    client = request.app.state.store
    duels = [d for d in store.duels_of_competition(client, cid) if d.away]
    return {
        "jurors": jury_duty.jurors(client, cid),
        "duels": sorted(duels, key=lambda d: (d.round, d.match)),
        "missing": jury_duty.missing_in_round(client, cid, round_),
    }


# The card is one include line on the competition page; its data comes from here.
environment.globals["jury_panel"] = jury_panel
