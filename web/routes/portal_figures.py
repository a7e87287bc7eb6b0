"""Reach figures pages (voting.reach_figures): a company's own in its portal (its invite
token decides which company; no other company's figures are reachable from there), every
company's in the console; tables, bars per day as inline SVG, and the same as CSV."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from duels import store
from duels.records import Company
from voting.reach_figures import CSV_COLUMNS, CompanyFigures, company_figures, competition_figures
from voting.reach_figures import csv_rows as figures_csv_rows
from web.csv_export import csv_download
from web.deps import Reader
from web.reach_chart import COLOURS, SERIES, day_chart
from web.routes.host_console import _render_with_csrf
from web.routes.portal import _invalid_invite
from web.templating import render

router = APIRouter(include_in_schema=False)


def _context(figures: list[CompanyFigures]) -> dict[str, Any]:
    return {
        "companies": [(company, day_chart(company.days)) for company in figures],
        "series": SERIES,
        "colours": COLOURS,
    }


async def _own_figures(request: Request, token: str) -> tuple[Company, CompanyFigures] | None:
    """The invite token's company and its figures; None for a token that is not valid."""
    client = request.app.state.store
    company = await run_in_threadpool(store.company_for_token, client, token)
    if company is None:
        return None
    figures = await run_in_threadpool(company_figures, client, company.competition, company.id)
    return company, figures


@router.get("/company/{token}/reichweite")
async def portal_figures(token: str, request: Request) -> Response:
    found = await _own_figures(request, token)
    if found is None:
        return _invalid_invite(request)
    company, figures = found
    response = render(
        request,
        "reach/portal.html",
        {**_context([figures]), "token": token, "company": company},
    )
    # The invite token is in the URL: keep the page out of caches and search engines.
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


@router.get("/company/{token}/reichweite.csv")
async def portal_figures_csv(token: str, request: Request) -> Response:
    found = await _own_figures(request, token)
    if found is None:
        return _invalid_invite(request)
    _, figures = found
    return csv_download(
        CSV_COLUMNS, figures_csv_rows([figures]), "reichweite.csv",
        headers={"X-Robots-Tag": "noindex, nofollow"},
    )  # fmt: skip


@router.get("/host/c/{cid}/reichweite")
async def host_figures(cid: str, request: Request, by: Reader) -> Response:
    client = request.app.state.store
    competition = await run_in_threadpool(store.get_competition, client, cid)
    figures = await run_in_threadpool(competition_figures, client, cid)
    context = {**_context(figures), "competition": competition}
    return _render_with_csrf(request, "reach/host.html", context)


@router.get("/host/c/{cid}/reichweite.csv")
async def host_figures_csv(cid: str, request: Request, by: Reader) -> Response:
    client = request.app.state.store
    figures = await run_in_threadpool(competition_figures, client, cid)
    return csv_download(CSV_COLUMNS, figures_csv_rows(figures), f"reichweite-{cid}.csv")
