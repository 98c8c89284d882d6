"""Browser tests: Playwright drives Debian's Chromium against pytest-django's live server.

Playwright cannot download its own browsers here, so the tests use the system's Chromium
(`chromium` on the PATH, or the path in PORTAL_CHROMIUM) and are skipped when there is none.
"""

import os
import shutil

import pytest

# The sync Playwright API runs an event loop in the test's thread; without this, Django refuses
# the ORM calls the tests make to build data and to check the database. Process-wide on purpose:
# Playwright is session-scoped, so its loop stays up for the tests the same xdist worker runs next.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def system_chromium() -> str | None:
    return os.environ.get("PORTAL_CHROMIUM") or shutil.which("chromium")


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    executable = system_chromium()
    if not executable:
        pytest.skip("no Chromium: install Debian's chromium package or set PORTAL_CHROMIUM to its path")
    return {
        **browser_type_launch_args,
        "executable_path": executable,
        "headless": browser_type_launch_args.get("headless", True),  # --headed still works
        "args": CHROMIUM_ARGS,
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {
        **browser_context_args,
        # A shared hospital workstation set up in English: the portal must still start in French.
        "locale": "en-CA",
        "timezone_id": "America/Montreal",
        "viewport": {"width": 1280, "height": 900},
    }


@pytest.fixture
def browser_errors(page):
    """Every console error (a CSP violation, a missing file) and uncaught script error of the page."""
    errors: list[str] = []

    def on_console(message):
        if message.type == "error":
            errors.append(f"{message.text} ({message.location.get('url')})")

    page.on("console", on_console)
    page.on("pageerror", lambda error: errors.append(f"uncaught: {error}"))
    return errors


@pytest.fixture
def static_responses(page):
    """The status of every stylesheet and script the pages loaded, by URL."""
    statuses: dict[str, int] = {}

    def on_response(response):
        if "/static/" in response.url:
            statuses[response.url] = response.status

    page.on("response", on_response)
    return statuses
