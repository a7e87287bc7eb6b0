"""``machmal admin``: organiser accounts and the host token, from the server's shell."""

from __future__ import annotations

import secrets
import sys
from collections.abc import Callable
from typing import Annotated, TypeVar

import redis
import typer

from duels import access, accounts, api_keys, host_sessions, organisations

T = TypeVar("T")
admin = typer.Typer(no_args_is_help=True, help="Organiser accounts and the host token.")


def _run(action: Callable[[redis.Redis], T]) -> T:
    from web.cli import _with_store

    return _with_store(action)


@admin.command("create")
def create(
    email: Annotated[str, typer.Argument(help="E-mail address of the new owner.")],
    name: Annotated[str, typer.Option(help="Display name.")] = "",
    organisation: Annotated[
        str, typer.Option(help="Organisation id; the default one when not given.")
    ] = organisations.DEFAULT,
    role: Annotated[str, typer.Option(help="owner, host, moderator, jury or viewer.")] = "owner",
) -> None:
    """Create an account (first: the owner of a fresh install) with a password you type,
    or a generated one printed once when there is no terminal."""
    chosen = access.parse_role(role)
    if sys.stdin.isatty():
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
        shown = ""
    else:
        password = shown = secrets.token_urlsafe(15)

    def action(client: redis.Redis) -> accounts.User:
        organisations.upgrade(client)
        organisations.get_organisation(client, organisation)
        user = accounts.create_user(client, email, password, name)
        organisations.grant(client, user.id, f"o:{organisation}", chosen)
        return user

    user = _run(action)
    typer.echo(f"Created {user.email} ({role} of organisation {organisation}).")
    if shown:
        typer.echo(f"Password (shown once): {shown}")


@admin.command("create-organisation")
def create_organisation(
    name: Annotated[str, typer.Argument(help="Name, e.g. 'Ausbildungsinitiative OWL'.")],
    slug: Annotated[str, typer.Option(help="URL name for /o/<slug>; from the name if unset.")] = "",
    region: Annotated[str, typer.Option(help="Region shown on its pages.")] = "",
) -> None:
    """A further organisation (another region) on this installation; give it an owner with
    `machmal admin create EMAIL --organisation <id>`."""

    def action(client: redis.Redis) -> organisations.Organisation:
        organisations.upgrade(client)
        return organisations.create_organisation(client, name, slug or None, region)

    made = _run(action)
    typer.echo(f"Created organisation {made.id} ({made.name}, /o/{made.slug}).")


@admin.command("reset-link")
def reset_link(email: Annotated[str, typer.Argument(help="The account's e-mail.")]) -> None:
    """Print a one-time password reset link (for when no mail server is set up)."""
    from web.cli import _settings

    settings = _settings()
    found = _run(lambda client: accounts.request_reset(client, email))
    if found is None:
        typer.secho("No such account.", fg=typer.colors.RED, err=True)
        raise typer.Exit(1)
    typer.echo(f"{settings.public_url}/host/password-reset/{found[1]}")


@admin.command("rotate-host-token")
def rotate_host_token() -> None:
    """A new host token for automation; the old one (and MACHMAL_HOST_TOKEN) stop working."""
    token = _run(api_keys.rotate_host_token)
    typer.echo(f"New host token (shown once): {token}")


@admin.command("logout-all")
def logout_all() -> None:
    """End every console session of every account."""
    ended = _run(host_sessions.end_all)
    typer.echo(f"Ended {ended} session(s).")
