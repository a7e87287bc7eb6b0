"""Attendee codes for hosts: generate, list with usage, revoke / reactivate / release,
CSV and printable A4 card sheets. Bearer API under ``/api`` and console pages under
``/host`` (session + CSRF). Codes are derived again for display, never read from the store.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, Request
from pydantic import BaseModel, Field
from starlette.responses import HTMLResponse, RedirectResponse, Response

from duels import codes, errors, store
from voting import codes as derived
from voting import qr
from web.csv_export import csv_download
from web.deps import Configurer
from web.routes.codes import code_book
from web.routes.host_console import _act, _page

router = APIRouter()
Action = Literal["revoke", "reactivate", "release"]
CSV_COLUMNS = ("number", "code", "url", "state", "claimed", "voted_duels")
SHEET_MAX_CARDS = 500
CARDS_PER_PAGE = 10
LIST_MAX_ROWS = 200
ACTIONS = {"revoke": codes.revoke, "reactivate": codes.reactivate, "release": codes.release}
DONE = {"revoke": "code_revoked", "reactivate": "code_reactivated", "release": "code_released"}


class CodesIn(BaseModel):
    count: int = Field(ge=1, le=codes.MAX_PER_CALL, description="How many more codes")


def _rows(
    request: Request, cid: str, listed: list[codes.CodeUsage] | None = None
) -> list[dict[str, Any]]:
    client = request.app.state.store
    store.get_competition(client, cid)
    book = code_book(request)
    public_url = request.app.state.settings.public_url
    rows = []
    for item in codes.usage(client, cid) if listed is None else listed:
        code = book.code(cid, item.record.number)
        rows.append(
            {
                "number": item.record.number,
                "code": derived.display(code),
                "url": derived.claim_url(public_url, code),
                "state": item.record.state,
                "claimed": bool(item.record.voter),
                "voted_duels": item.voted_duels,
            }
        )
    return rows


def _subject(request: Request, cid: str, ref: str) -> str:
    """A code's hash from its number or the code itself (as the console's search finds it)."""
    book = code_book(request)
    if ref.isdecimal() and len(ref) <= 6:
        return book.subject_of(cid, int(ref))
    code = derived.normalise(ref)
    if code is None:
        raise errors.NotFound("There is no such code in this competition.", code="unknown_code")
    return book.subject(code)


def _generate(request: Request, cid: str, count: int, actor: str) -> codes.Generated:
    book = code_book(request)
    return codes.generate(
        request.app.state.store,
        cid,
        count,
        lambda number: book.subject_of(cid, number),
        actor=actor,
    )


def _csv(rows: list[dict[str, Any]], cid: str) -> Response:
    listed = [{**row, "claimed": "yes" if row["claimed"] else "no"} for row in rows]
    return csv_download(CSV_COLUMNS, listed, f"codes-{cid}.csv")


# Host API ------------------------------------------------------------------------


@router.post(
    "/api/competitions/{cid}/codes",
    status_code=201,
    tags=["host"],
    summary="Generate more attendee codes (at most 5000 per call, 20000 per competition)",
    description="409 `too_many_codes`. `first`..`last` are the numbers used; a number whose "
    "code another code already has is skipped (`generated` may be smaller than `count`).",
)
def generate_codes(cid: str, body: CodesIn, request: Request, by: Configurer) -> dict[str, int]:
    made = _generate(request, cid, body.count, by.actor)
    return {
        "generated": made.generated,
        "total": made.total,
        "first": made.first,
        "last": made.last,
    }


@router.get(
    "/api/competitions/{cid}/codes",
    tags=["host"],
    summary="Attendee codes with their use: claimed by a phone, duels voted in",
)
def list_codes(cid: str, request: Request, by: Configurer) -> list[dict[str, Any]]:
    return [{k: v for k, v in row.items() if k != "url"} for row in _rows(request, cid)]


@router.get(
    "/api/competitions/{cid}/codes.csv",
    tags=["host"],
    summary="Attendee codes as CSV (number, code, url, state, claimed, voted_duels)",
    response_class=Response,
)
def codes_csv(cid: str, request: Request, by: Configurer) -> Response:
    return _csv(_rows(request, cid), cid)


@router.post(
    "/api/competitions/{cid}/codes/{ref}/{action}",
    tags=["host"],
    summary="revoke, reactivate or release one code (by number or the code itself)",
    description="revoke: the code votes nowhere any more; reactivate: undoes that; release: "
    "the phone holding it loses it and the code can be claimed again. 404 `unknown_code`.",
)
def code_action(
    cid: str, ref: str, action: Action, request: Request, by: Configurer
) -> dict[str, Any]:
    subject = _subject(request, cid, ref)
    record = ACTIONS[action](request.app.state.store, cid, subject, actor=by.actor)
    return {"number": record.number, "state": record.state, "claimed": bool(record.voter)}


# Console -------------------------------------------------------------------------


@router.post("/host/c/{cid}/codes", include_in_schema=False)
def generate_form(
    request: Request,
    cid: str,
    csrf: Annotated[str, Form()],
    count: Annotated[str, Form()],
    by: Configurer,
) -> Response:
    def action() -> None:
        if not count.strip().isdecimal() or len(count.strip()) > 6:
            raise errors.Invalid("Enter a number of codes.", code="invalid_count")
        _generate(request, cid, int(count), by.actor)

    return _act(request, csrf, f"/host/c/{cid}", action, "codes_generated")


@router.get("/host/c/{cid}/codes", include_in_schema=False)
def codes_page(request: Request, cid: str, by: Configurer, q: str = "") -> HTMLResponse:
    client = request.app.state.store
    competition = store.get_competition(client, cid)
    listed = codes.usage(client, cid)
    summary = codes.summary(client, cid, listed)
    rows = _rows(request, cid, listed)
    wanted = "".join(char for char in q.upper() if char.isalnum())[:8]
    if wanted:
        rows = [
            row
            for row in rows
            if (wanted.isdecimal() and row["number"] == int(wanted))
            or wanted in row["code"].replace("-", "")
        ]
    context = {
        "competition": competition,
        "rows": rows[:LIST_MAX_ROWS],
        "matches": len(rows),
        "q": q[:16],
        "summary": summary,
        "sheets": sheet_ranges(summary["numbers"]),
    }
    return _page(request, "host/codes.html", context)


@router.post("/host/c/{cid}/codes/{ref}/{action}", include_in_schema=False)
def code_action_form(
    request: Request, cid: str, ref: str, action: str, csrf: Annotated[str, Form()], by: Configurer
) -> Response:
    back = f"/host/c/{cid}/codes"
    if action not in ACTIONS:
        return RedirectResponse(f"{back}?error=unknown_action", status_code=303)
    return _act(
        request, csrf, back,
        lambda: ACTIONS[action](
            request.app.state.store, cid, _subject(request, cid, ref), actor=by.actor
        ),
        DONE[action],
    )  # fmt: skip


@router.get("/host/c/{cid}/codes.csv", include_in_schema=False)
def codes_csv_download(request: Request, cid: str, by: Configurer) -> Response:
    return _csv(_rows(request, cid), cid)


@router.get("/host/c/{cid}/codes/sheet", include_in_schema=False)
def sheet(request: Request, cid: str, by: Configurer) -> HTMLResponse:
    """Printable A4 sheets: 2 x 5 cards a page, each with the code and its QR."""
    client = request.app.state.store
    competition = store.get_competition(client, cid)
    first = _int_param(request, "from", 1)
    last = min(_int_param(request, "to", first + SHEET_MAX_CARDS - 1), first + SHEET_MAX_CARDS - 1)
    book = code_book(request)
    public_url = request.app.state.settings.public_url
    cards = []
    for record in codes.records(client, cid):
        if first <= record.number <= last:
            code = book.code(cid, record.number)
            url = derived.claim_url(public_url, code)
            cards.append(
                {
                    "number": record.number,
                    "code": derived.display(code),
                    "url": url,
                    "qr": qr.svg(url).decode(),
                    "revoked": record.state == "revoked",
                }
            )
    pages = [cards[n : n + CARDS_PER_PAGE] for n in range(0, len(cards), CARDS_PER_PAGE)]
    context = {"competition": competition, "pages": pages, "first": first, "last": last}
    return _page(request, "host/codes_sheet.html", context)


def _int_param(request: Request, name: str, default: int) -> int:
    value = request.query_params.get(name, "")
    return max(1, int(value)) if value.isdecimal() and len(value) <= 6 else default


def sheet_ranges(numbers: int) -> list[tuple[int, int]]:
    """Printable sheets of at most ``SHEET_MAX_CARDS`` cards covering numbers 1..numbers."""
    return [
        (start, min(start + SHEET_MAX_CARDS - 1, numbers))
        for start in range(1, numbers + 1, SHEET_MAX_CARDS)
    ]
