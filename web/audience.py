"""What the audience's pages share: the client address, form fields, and the two cookies
a phone carries (the voter id and, in codes or verified mode, the admission pass)."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request
from starlette.datastructures import FormData
from starlette.responses import Response

from voting.admission import ADMISSION_COOKIE, ADMISSION_COOKIE_MAX_AGE, AdmissionPass
from voting.ingest import VoteIngest
from voting.tokens import VOTER_COOKIE, VOTER_COOKIE_MAX_AGE


def client_ip(request: Request) -> str:
    # Behind a trusted proxy, web/proxies.py has already put the client's address here.
    return request.client.host if request.client else "unknown"


def form_text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


@dataclass(frozen=True, slots=True)
class AudienceForm:
    """A form posted by a phone: its fields, the voter of its signed cookie, and why it
    must be refused (``voter_token_missing`` / ``voter_token_invalid`` / ``csrf_invalid``;
    "" when it may go on)."""

    form: FormData
    voter_id: str
    refusal: str


async def read_audience_form(
    request: Request, ingest: VoteIngest, max_fields: int = 8
) -> AudienceForm:
    form = await request.form(max_files=0, max_fields=max_fields)
    cookie = request.cookies.get(VOTER_COOKIE)
    voter_id = ingest.secrets.valid_voter_cookie(cookie)
    if voter_id is None:
        return AudienceForm(form, "", "voter_token_invalid" if cookie else "voter_token_missing")
    if not ingest.secrets.check_csrf(voter_id, form_text(form, "csrf")):
        return AudienceForm(form, voter_id, "csrf_invalid")
    return AudienceForm(form, voter_id, "")


def set_voter_cookie(response: Response, ingest: VoteIngest, voter_id: str) -> None:
    response.set_cookie(
        VOTER_COOKIE,
        ingest.secrets.sign_voter(voter_id),
        max_age=VOTER_COOKIE_MAX_AGE,
        path="/",
        httponly=True,
        samesite="lax",
        secure=ingest.settings.secure_cookies,
    )


def set_admission_cookie(response: Response, ingest: VoteIngest, admitted: AdmissionPass) -> None:
    response.headers["Cache-Control"] = "no-store"
    response.set_cookie(
        ADMISSION_COOKIE,
        ingest.admission.sign_pass(admitted),
        max_age=ADMISSION_COOKIE_MAX_AGE,
        path="/",
        httponly=True,
        samesite="lax",
        secure=ingest.settings.secure_cookies,
    )
