"""Fixtures of the browser tests: headless Debian Chromium driven by Playwright,
a real web server and a real RQ worker, a real clip made by ffmpeg."""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    Page,
    Playwright,
    expect,
    sync_playwright,
)

from duels.redis_server import free_port
from duels.settings import Settings
from tests.accounts import OWNER_EMAIL, PASSWORD, account
from tests.conftest import HOST_TOKEN
from tests.support import Process, start_web, start_worker, store_client

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
# axe-core from npm, installed outside the checkout by `scripts/setup --test`.
AXE = (
    Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    / "machmal/axe/node_modules/axe-core/axe.min.js"
)
SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
PHONE_AGENT = (
    "Mozilla/5.0 (Linux; Android 14; SM-A546B) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36"
)
PHONE = {"width": 360, "height": 740}
PROJECTOR = {"width": 1920, "height": 1080}
DESKTOP = {"width": 1280, "height": 900}
# Waiting on the worker (tally, video processing) can take a few seconds on a busy 2-core box.
expect.set_options(timeout=15_000)


@dataclass
class RequestLog:
    """Every URL any page of the recorded contexts asked for."""

    urls: list[str] = field(default_factory=list)

    def record(self, context: BrowserContext) -> BrowserContext:
        context.on("request", lambda request: self.urls.append(request.url))
        return context

    def foreign(self, origin: str) -> list[str]:
        """URLs that leave ``origin``; data: and blob: URLs never touch the network."""
        return [
            url
            for url in self.urls
            if urlsplit(url).scheme not in ("data", "blob") and _origin(url) != origin
        ]

    def paths(self) -> set[str]:
        return {urlsplit(url).path for url in self.urls}


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


# A phone as the tests emulate it (viewport PHONE unless a test needs another).
PHONE_OPTIONS: dict[str, Any] = {
    "user_agent": PHONE_AGENT, "is_mobile": True, "has_touch": True, "device_scale_factor": 2,
}  # fmt: skip


def new_context(
    browser: Browser, url: str | None, viewport: dict[str, int], **options: Any
) -> BrowserContext:
    """A German browser context on ``url`` with the tests' default timeout."""
    if url is not None:
        options["base_url"] = url
    made = browser.new_context(viewport=viewport, locale="de-DE", **options)  # type: ignore[arg-type]
    made.set_default_timeout(15_000)
    return made


def phone_context(browser: Browser, url: str | None = None) -> BrowserContext:
    return new_context(browser, url, PHONE, **PHONE_OPTIONS)


def log_in(page: Page) -> None:
    """The console's login form, as the owner (tests.accounts)."""
    page.goto("/host/login")
    page.fill("#email", OWNER_EMAIL)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    expect(page).to_have_url(re.compile(r"/host$"))


@dataclass
class Event:
    """The product running like at a venue: web server, worker, host API access."""

    url: str
    settings: Settings
    api: httpx.Client  # carries the host token
    browser: Browser
    requests: RequestLog

    def context(self, viewport: dict[str, int], **options: Any) -> BrowserContext:
        return self.requests.record(new_context(self.browser, self.url, viewport, **options))

    def phone(self) -> BrowserContext:
        return self.context(PHONE, **PHONE_OPTIONS)


# Module scope, not session: Playwright's sync API keeps an event loop running in this
# thread while it is open, and later tests call asyncio.run().
@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    if not CHROMIUM.exists():
        missing = f"{CHROMIUM} is not installed (scripts/setup --test installs it)"
        if os.environ.get("CI"):  # CI must run the browser tests, not skip them
            pytest.fail(missing)
        pytest.skip(missing)
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    # Debian's Chromium, never a downloaded one (no `playwright install`).
    chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    yield chromium
    chromium.close()


@pytest.fixture(scope="session")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real 2 s, 320x240 H.264 MP4."""
    path = tmp_path_factory.mktemp("browser-clips") / "clip.mp4"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc=size=320x240:rate=10",
         "-t", "2", "-pix_fmt", "yuv420p", str(path)],
        check=True,
    )  # fmt: skip
    return path


@pytest.fixture(scope="session")
def axe() -> Callable[[Page], list[dict[str, Any]]]:
    """``axe(page)``: the axe-core violations of the page as it is now."""
    if not AXE.exists():
        missing = f"{AXE} is missing (scripts/setup --test installs axe-core with npm)"
        if os.environ.get("CI"):  # CI must run the audit, not skip it
            pytest.fail(missing)
        pytest.skip(missing)
    source = AXE.read_text("utf-8")

    def audit(page: Page) -> list[dict[str, Any]]:
        # evaluate() is not subject to the page's CSP (no inline <script> needed).
        if not page.evaluate("typeof window.axe === 'object'"):
            page.evaluate(f"() => {{ {source}\n}}")
        found = page.evaluate(
            "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
        )
        return list(found)

    return audit


@pytest.fixture(scope="session")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


@pytest.fixture
def event(settings: Settings, tmp_path: Path, browser: Browser) -> Iterator[Event]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    # The QR codes must hold a URL the phone can reach; videos need the host's approval.
    event_settings = settings.model_copy(
        update={
            "public_url": url,
            "require_approved_videos": True,
            "data_dir": tmp_path / "data",
        }
    )
    organiser = store_client(event_settings)
    account(organiser)  # the owner who logs in to the console (tests.accounts)
    organiser.close()
    worker: Process = start_worker(event_settings)
    try:
        web = start_web(event_settings, port=port)
        try:
            with httpx.Client(
                base_url=url, headers={"Authorization": f"Bearer {HOST_TOKEN}"}, timeout=10
            ) as api:
                yield Event(url, event_settings, api, browser, RequestLog())
        finally:
            web.stop()
    finally:
        worker.stop()
