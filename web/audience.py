"""What the audience's pages share: the client address, form fields, and the two cookies
a phone carries (the voter id and, in codes or verified mode, the admission pass)."""

from __future__ import annotations

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
