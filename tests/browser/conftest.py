"""Browser fixtures: the app on a real HTTP port and Debian's Chromium driven by Playwright.

`playwright install` cannot download browsers here (the network is closed), so the
system browser /usr/bin/chromium is launched. Without it the browser tests are skipped
on a developer machine but FAIL when the env var CI is set, so CI cannot pass silently.
"""

import os
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.conftest import LIVE_HOST  # noqa: F401 - re-exported for the journeys

CHROMIUM = "/usr/bin/chromium"
# The network is closed: without these flags Chromium keeps dialling Google services
# (component updates, sync, QUIC probes) and floods the machine with refused connections.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
SCREENSHOT_DIR = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


def pytest_collection_modifyitems(items):
    """Everything under tests/browser/ carries the `browser` mark (`-m "not browser"` skips it)."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)


def _unavailable(reason):
    """Skip on a developer machine; fail under CI, where the browser must be there."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (env CI is set, so browser tests may not be skipped)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture
def backend():
    """Browser journeys run on SQLite only: overrides the sqlite/postgresql parametrisation
    of tests/conftest.py, so each journey runs once instead of once per database."""
    return "sqlite"


@pytest.fixture(scope="session")
def browser():
    """One headless Debian Chromium for the whole session."""
    if not os.path.exists(CHROMIUM):
        _unavailable(f"{CHROMIUM} is missing: apt-get install chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright package is not installed (pip install -r requirements.txt)")
    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
    except Exception:
        playwright.stop()
        raise
    yield chromium
    chromium.close()
    playwright.stop()


@dataclass
class BrowserLog:
    """What the page did: every request, those leaving 127.0.0.1, HTTP errors, JS errors."""

    requests: list = field(default_factory=list)
    external: list = field(default_factory=list)
    http_errors: list = field(default_factory=list)
    js_errors: list = field(default_factory=list)
    # Chromium reports what the Content-Security-Policy blocked as console errors.
    csp_violations: list = field(default_factory=list)


def new_context(browser, live_server):
    """A fresh browser context (no cookies) on the live server as an Indonesian user sees it:
    id-ID, Jakarta time, a 1280x800 window, 15 s for any wait."""
    context = browser.new_context(
        base_url=live_server,
        locale="id-ID",
        timezone_id="Asia/Jakarta",
        viewport={"width": 1280, "height": 800},
    )
    context.set_default_timeout(15_000)
    return context


@pytest.fixture
def browser_log():
    return BrowserLog()


@pytest.fixture
def page(browser, live_server, browser_log):
    """A fresh browser context (no cookies) in Indonesian, recording into `browser_log`.

    Any request to a host other than 127.0.0.1 (a CDN, fonts, analytics) fails the test:
    e-PUPNS must work on an offline government network.
    """
    context = new_context(browser, live_server)
    tab = context.new_page()

    def on_request(request):
        browser_log.requests.append(request.url)
        url = urlsplit(request.url)
        # data:/blob: URLs never leave the machine; anything with a host must be ours.
        if url.hostname is not None and url.hostname != LIVE_HOST:
            browser_log.external.append(request.url)

    def on_response(response):
        if response.status >= 400:
            browser_log.http_errors.append(f"{response.status} {response.url}")

    tab.on("request", on_request)
    tab.on("response", on_response)

    def on_console(message):
        if message.type == "error" and "Content Security Policy" in message.text:
            browser_log.csp_violations.append(f"{tab.url}: {message.text}")

    tab.on("pageerror", lambda error: browser_log.js_errors.append(str(error)))
    tab.on("console", on_console)
    yield tab
    context.close()
    assert not browser_log.external, f"requests left 127.0.0.1: {browser_log.external}"
    # Every journey doubles as a check that the CSP (app.web_security) blocks nothing we need.
    assert not browser_log.csp_violations, f"blocked by the CSP: {browser_log.csp_violations}"


@pytest.fixture
def screenshot():
    """Save a full-page screenshot to test-artifacts/screenshots/<name>.png; returns the path."""
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)

    def take(tab, name):
        path = SCREENSHOT_DIR / f"{name}.png"
        tab.screenshot(path=str(path), full_page=True)
        return path

    return take
