"""The ``machmal`` command line (see API.md, "Command line")."""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, NoReturn, TypeVar

import orjson
import redis
import typer

from duels.settings import Settings, SettingsError, load_settings
from web.processes import Supervisor, redis_for

T = TypeVar("T")

cli = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Mach mal – duel competition engine with live audience voting.",
)

HostOption = Annotated[str, typer.Option("--host", help="Interface to listen on.")]
PortOption = Annotated[int, typer.Option("--port", help="TCP port of the web app.")]


def _settings(**overrides: object) -> Settings:
    try:
        return load_settings(**overrides)
    except SettingsError as exc:
        typer.secho(f"Configuration error: {exc}", fg=typer.colors.RED, err=True)
        raise typer.Exit(2) from exc


def _stop_on_signals() -> None:
    # SIGTERM unwinds like Ctrl-C, so every `finally` stops its children. SIGINT is set
    # too: a shell starts background jobs with SIGINT ignored, and Python keeps that.
    def handler(signum: int, frame: object) -> NoReturn:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)


@cli.command()
def demo(host: HostOption = "127.0.0.1", port: PortOption = 8000) -> None:
    """Embedded Redis, web, one worker and a seeded demo competition."""
    from duels.connection import connect
    from web.demo import seed_demo

    _web_port_or_exit(host, port)
    public_url = os.environ.get("MACHMAL_PUBLIC_URL") or f"http://{_display(host)}:{port}"
    settings = _settings(public_url=public_url)
    _stop_on_signals()
    with redis_for(settings) as settings:
        competition = seed_demo(connect(settings), settings)
        supervisor = Supervisor(settings)
        try:
            supervisor.spawn("web", ["serve", "--host", host, "--port", str(port)])
            supervisor.spawn("worker", ["worker"])
            _print_urls(settings, competition)
            ended = supervisor.wait_any()
            typer.secho(f"{ended} stopped; shutting down.", fg=typer.colors.YELLOW, err=True)
        except KeyboardInterrupt:
            typer.echo("\nStopping …", err=True)
        finally:
            supervisor.stop_all()


@cli.command()
def serve(
    host: HostOption = "127.0.0.1",
    port: PortOption = 8000,
    workers: Annotated[int, typer.Option(help="Web worker processes.")] = 1,
) -> None:
    """The web app alone (starts the embedded Redis if no MACHMAL_REDIS_URL)."""
    import uvicorn

    settings = _settings()
    _stop_on_signals()
    # proxy_headers off: the app reads X-Forwarded-For itself, from trusted proxies only
    # (web/proxies.py, MACHMAL_TRUSTED_PROXIES). limit_concurrency: past max_connections
    # open connections (live streams count) uvicorn answers 503 (per worker process).
    try:
        with redis_for(settings) as settings:
            if workers > 1:
                # Worker processes rebuild the settings from the environment.
                os.environ.update({"MACHMAL_REDIS_URL": settings.redis_url or ""})
                uvicorn.run(
                    "web.asgi:app_from_environment",
                    factory=True, host=host, port=port, workers=workers,
                    log_level="warning", proxy_headers=False, access_log=False,
                    limit_concurrency=settings.max_connections,
                )  # fmt: skip
            else:
                from web.app import create_app

                uvicorn.run(
                    create_app(settings), host=host, port=port,
                    log_level="warning", proxy_headers=False, access_log=False,
                    limit_concurrency=settings.max_connections,
                )  # fmt: skip
    except KeyboardInterrupt:
        pass


@cli.command()
def worker(
    burst: Annotated[bool, typer.Option(help="Stop when the queues are empty.")] = False,
) -> None:
    """One RQ worker on the tally, default and media queues."""
    from workers.main import run_worker

    settings = _settings()
    _stop_on_signals()
    try:
        with redis_for(settings) as settings:
            run_worker(settings, burst=burst)
    except KeyboardInterrupt:
        pass


@cli.command("redis")
def redis_command() -> None:
    """The embedded Redis server alone, in the foreground."""
    settings = _settings()
    if settings.redis_url:
        typer.echo(f"MACHMAL_REDIS_URL is set ({settings.redis_url}); nothing to start.")
        raise typer.Exit(0)
    _stop_on_signals()
    try:
        with redis_for(settings) as settings:
            typer.echo(f"Redis: {settings.redis_url} (data in {settings.data_dir / 'redis'})")
            signal.pause()
    except KeyboardInterrupt:
        pass


@cli.command("export")
def export_command(
    competition: Annotated[str, typer.Argument(help="Competition id or slug.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="File; '-' = stdout.")] = Path("-"),
) -> None:
    """Write a whole competition as JSON (restorable with `machmal import`)."""
    from duels import backup

    data = _with_store(lambda client: backup.export_competition(client, _cid(client, competition)))
    text = orjson.dumps(data, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS).decode()
    if str(output) == "-":
        typer.echo(text)
    else:
        output.write_text(text + "\n", encoding="utf-8")
        typer.echo(f"Exported to {output}", err=True)


@cli.command("standings")
def standings_command(
    competition: Annotated[str, typer.Argument(help="Competition id or slug.")],
) -> None:
    """Print the competition as the engine sees it: group tables or Swiss standings,
    who went on and why, every knockout round, the champion."""
    from bracket.text import render
    from duels import tournament

    state = _with_store(
        lambda client: tournament.require_bracket(client, _cid(client, competition))
    )
    typer.echo("\n".join(render(state)))


@cli.command("import")
def import_command(
    source: Annotated[Path, typer.Argument(help="A file written by `machmal export`.")],
    replace: Annotated[bool, typer.Option(help="Overwrite an existing competition.")] = False,
) -> None:
    """Restore a competition from an export."""
    from duels import backup

    data = orjson.loads(source.read_bytes())
    cid = _with_store(lambda client: backup.import_competition(client, data, replace=replace))
    typer.echo(f"Imported competition {cid}")


@cli.command("purge")
def purge_command(
    competition: Annotated[str, typer.Argument(help="Competition id or slug.")],
    force: Annotated[
        bool, typer.Option(help="Purge even though the competition is not finished.")
    ] = False,
) -> None:
    """Delete per-vote personal data (voter ids, IP/network/user-agent hashes) of a
    finished competition; totals, results and the audit log stay."""
    from duels import privacy

    report = _with_store(
        lambda client: privacy.purge(client, _cid(client, competition), force=force, actor="cli")
    )
    typer.echo(orjson.dumps(report.as_dict(), option=orjson.OPT_INDENT_2).decode())
    if report.votes_kept:
        typer.secho(
            f"{report.votes_kept} votes are not tallied yet and were kept; "
            "purge again once a worker has counted them.",
            fg=typer.colors.YELLOW,
            err=True,
        )


def _with_store(action: Callable[[redis.Redis], T]) -> T:
    from duels.connection import connect
    from duels.errors import DomainError

    settings = _settings()
    with redis_for(settings) as settings:
        client = connect(settings)
        try:
            return action(client)
        except DomainError as exc:
            typer.secho(f"{exc.code}: {exc.message}", fg=typer.colors.RED, err=True)
            raise typer.Exit(1) from exc
        finally:
            client.close()


def _cid(client: redis.Redis, name: str) -> str:
    from duels import store
    from duels.errors import NotFound

    try:
        return store.get_competition(client, name).id
    except NotFound:
        return store.competition_by_slug(client, name).id


def _web_port_or_exit(host: str, port: int) -> None:
    from web.redis_port import port_free

    if not port_free(port, _display(host) if host == "::" else host):
        typer.secho(
            f"Port {port} ist belegt (läuft schon ein Mach mal?): "
            f"einen anderen wählen mit --port, z. B. --port {port + 1}.\n"
            f"Port {port} is in use (is Mach mal already running?): "
            f"choose another one with --port, e.g. --port {port + 1}.",
            fg=typer.colors.RED,
            err=True,
        )
        raise typer.Exit(1)


def _display(host: str) -> str:
    return "127.0.0.1" if host in ("0.0.0.0", "::") else host  # noqa: S104


def _print_urls(settings: Settings, competition: dict[str, str]) -> None:
    base = settings.public_url
    lines = [
        "",
        "Mach mal läuft / is running:",
        f"  Start:          {base}/",
        f"  Live-Tafel:     {base}/live/{competition['id']}",
        f"  Abstimmen:      {base}/vote/{competition['first_duel']}",
        f"  Ausbildung:     {base}/c/{competition['id']}/ausbildung",
        f"  Bildschirm:     {base}/screen/{competition['screen_key']}",
        f"  Moderation:     {base}/host",
        f"  API-Doku:       {base}/docs",
        f"  Health:         {base}/healthz",
        f"  Login:          {competition['owner']}  Passwort: {competition['password']}",
        f"  Host-Token:     {settings.host_token_value()}  (API)",
        f"  Redis:          {settings.redis_url}",
        "Strg-C beendet alles / Ctrl-C stops everything.",
        "",
    ]
    typer.echo("\n".join(lines))
    sys.stdout.flush()


def main() -> None:
    from duels.redis_server import RedisServerError
    from web.cli_admin import admin

    cli.add_typer(admin, name="admin")
    try:
        cli()
    except RedisServerError as exc:
        typer.secho(f"Redis: {exc}", fg=typer.colors.RED, err=True)
        raise SystemExit(1) from exc


if __name__ == "__main__":
    main()
