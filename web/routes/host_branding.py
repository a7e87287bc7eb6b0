"""Host console: branding of a competition (``/host/c/{cid}/branding``) and the
organisation's defaults (``/host/o/{oid}/branding``): region, colours, legal links, logo,
sponsor logos. The page is ``host/branding.html``; uploads are read whole within
``web.limits.IMAGE_BODY_BYTES`` and cleaned by ``duels.brand_images``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from pydantic import BaseModel
from pydantic import Field as FormField
from starlette.responses import HTMLResponse, RedirectResponse, Response

from duels import access, brand_images, branding, errors, organisations, store, videos
from web import embedding, host_session
from web.branding import forget_brands, forget_default_legal
from web.deps import Configurer
from web.routes.host_console import _act, _page, _render_with_csrf

router = APIRouter(prefix="/host", include_in_schema=False)
Field = Annotated[str, Form()]
Optional = Annotated[str, Form(max_length=600)]
Upload = Annotated[UploadFile, File()]


class BrandingForm(BaseModel):
    """The branding form of a competition or an organisation (the same fields)."""

    csrf: str
    region: str = FormField(default="", max_length=600)
    primary: str = FormField(default="", max_length=600)
    accent: str = FormField(default="", max_length=600)
    primary_pick: str = FormField(default="", max_length=600)
    accent_pick: str = FormField(default="", max_length=600)
    imprint: str = FormField(default="", max_length=600)
    privacy: str = FormField(default="", max_length=600)


BrandingFields = Annotated[BrandingForm, Form()]
# What the colour pickers start from when no brand colour is set (web/static/style.css).
PICKER_DEFAULTS = {"primary": "#c2410c", "accent": "#1f6f8f"}


def _scope_of(request: Request, by: access.Principal, kind: str, ident: str) -> str:
    client = request.app.state.store
    if kind == "o":  # the role in it was checked by the route's rule (web.deps.allow)
        organisations.get_organisation(client, ident)
    else:
        store.get_competition(client, ident)
    return f"{kind}:{ident}"


def _back(scope: str) -> str:
    return f"/host/{scope[0]}/{scope[2:]}/branding"


def _show(request: Request, scope: str, status_code: int = 200, **extra: Any) -> HTMLResponse:
    client = request.app.state.store
    kind, ident = scope[0], scope[2:]
    owner = (
        store.get_competition(client, ident).title
        if kind == "c"
        else organisations.get_organisation(client, ident).name
    )
    brand = branding.get(client, scope)
    context = {
        "scope_kind": kind,
        "scope_id": ident,
        "owner": owner,
        "brand": None,  # the console page itself is not branded
        "own": brand,
        "picker": {name: getattr(brand, name) or PICKER_DEFAULTS[name] for name in PICKER_DEFAULTS},
        "max_sponsors": branding.MAX_SPONSORS,
        # The competition's embedding card (web/routes/host_embed.py).
        "embed": embedding.panel(client, ident, request.app.state.settings.public_url)
        if kind == "c"
        else None,
        "action": _back(scope),
        **extra,
    }
    if status_code != 200:
        return _render_with_csrf(request, "host/branding.html", context, status_code)
    return _page(request, "host/branding.html", context)


def _chosen(name: str, text: str, pick: str, stored: str) -> str:
    """The text field when it was edited, else the picker when it was moved."""
    if text.strip().lower() != stored:
        return text
    if pick and pick.strip().lower() != (stored or PICKER_DEFAULTS[name]):
        return pick
    return stored


def _save(request: Request, scope: str, form: BrandingForm, by: access.Principal) -> Response:
    client = request.app.state.store
    stored = branding.get(client, scope)
    values = {
        "region": form.region,
        "primary": _chosen("primary", form.primary, form.primary_pick, stored.primary),
        "accent": _chosen("accent", form.accent, form.accent_pick, stored.accent),
        "imprint": form.imprint,
        "privacy": form.privacy,
    }
    try:
        host_session.check_csrf(request, form.csrf)
        branding.update(client, scope, **values, actor=by.actor)
    except branding.ContrastTooLow as exc:
        failed = {"code": exc.code, "field": exc.field, "colour": exc.colour, "ratio": exc.ratio}
        return _show(request, scope, 422, failed=failed, filled=values)
    except errors.DomainError as exc:
        return _show(request, scope, 422, failed={"code": exc.code}, filled=values)
    if scope == f"o:{organisations.DEFAULT}":
        forget_default_legal(request)
    forget_brands(request)
    return RedirectResponse(f"{_back(scope)}?ok=branding_saved", status_code=303)


def _upload(
    request: Request, scope: str, csrf: str, file: UploadFile, change: Callable[[bytes], object]
) -> Response:
    data = file.file.read(brand_images.MAX_BYTES + 1)
    return _brand_act(request, csrf, _back(scope), lambda: change(data), "branding_saved")


def _brand_act(
    request: Request, csrf: str, back: str, action: Callable[[], object], ok: str
) -> Response:
    """A console action on a brand; this process shows the change on its next page."""

    def changed() -> None:
        action()
        forget_brands(request)

    return _act(request, csrf, back, changed, ok)


def _media(request: Request) -> Any:
    return videos.media_dir(request.app.state.settings)


# Competition routes ----------------------------------------------------------------


@router.get("/c/{cid}/branding")
def branding_page(request: Request, cid: str, by: Configurer) -> Response:
    return _show(request, _scope_of(request, by, "c", cid))


@router.post("/c/{cid}/branding")
def save_branding(request: Request, cid: str, form: BrandingFields, by: Configurer) -> Response:
    return _save(request, _scope_of(request, by, "c", cid), form, by)


@router.post("/c/{cid}/branding/logo")
def upload_logo(request: Request, cid: str, csrf: Field, file: Upload, by: Configurer) -> Response:
    return _set_logo(request, _scope_of(request, by, "c", cid), csrf, file, by)


@router.post("/c/{cid}/branding/logo/remove")
def remove_logo(request: Request, cid: str, csrf: Field, by: Configurer) -> Response:
    return _remove_logo(request, _scope_of(request, by, "c", cid), csrf, by)


@router.post("/c/{cid}/branding/sponsors")
def add_sponsor(
    request: Request, cid: str, csrf: Field, name: Field, file: Upload, by: Configurer,
    link: Optional = "",
) -> Response:  # fmt: skip
    scope = _scope_of(request, by, "c", cid)
    client, folder = request.app.state.store, _media(request)
    return _upload(
        request, scope, csrf, file,
        lambda data: branding.add_sponsor(client, scope, folder, data, name, link, by.actor),
    )  # fmt: skip


@router.post("/c/{cid}/branding/sponsors/{index}/remove")
def remove_sponsor(request: Request, cid: str, index: int, csrf: Field, by: Configurer) -> Response:
    scope = _scope_of(request, by, "c", cid)
    client, folder = request.app.state.store, _media(request)
    return _brand_act(
        request, csrf, _back(scope),
        lambda: branding.remove_sponsor(client, scope, folder, index, actor=by.actor),
        "branding_saved",
    )  # fmt: skip


# Organisation defaults (legal links, logo, colours the competitions fall back to) -----


@router.get("/o/{oid}/branding")
def organisation_branding_page(request: Request, oid: str, by: Configurer) -> Response:
    return _show(request, _scope_of(request, by, "o", oid))


@router.post("/o/{oid}/branding")
def save_organisation_branding(
    request: Request, oid: str, form: BrandingFields, by: Configurer
) -> Response:
    return _save(request, _scope_of(request, by, "o", oid), form, by)


@router.post("/o/{oid}/branding/logo")
def upload_organisation_logo(
    request: Request, oid: str, csrf: Field, file: Upload, by: Configurer
) -> Response:
    return _set_logo(request, _scope_of(request, by, "o", oid), csrf, file, by)


@router.post("/o/{oid}/branding/logo/remove")
def remove_organisation_logo(request: Request, oid: str, csrf: Field, by: Configurer) -> Response:
    return _remove_logo(request, _scope_of(request, by, "o", oid), csrf, by)


def _set_logo(
    request: Request, scope: str, csrf: str, file: UploadFile, by: access.Principal
) -> Response:
    client, folder = request.app.state.store, _media(request)
    return _upload(
        request, scope, csrf, file,
        lambda data: branding.set_logo(client, scope, folder, data, actor=by.actor),
    )  # fmt: skip


def _remove_logo(request: Request, scope: str, csrf: str, by: access.Principal) -> Response:
    client, folder = request.app.state.store, _media(request)
    return _brand_act(
        request, csrf, _back(scope),
        lambda: branding.remove_logo(client, scope, folder, actor=by.actor), "branding_saved",
    )  # fmt: skip
