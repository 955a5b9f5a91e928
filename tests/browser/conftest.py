"""A real Chromium (Debian's), driven by Playwright, against pytest-django's live server.

Where Chromium is missing the journeys are skipped, unless RELAIS_REQUIRE_BROWSER=1
(set by CI), which turns a missing browser into a failure.
"""

import os
import shutil
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("RELAIS_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "var" / "test-artifacts"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-quic"]



def chromium_missing() -> bool:
    return not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM))


MISSING = f"Chromium not found at {CHROMIUM} (apt-get install chromium)"


def browser_is_required() -> bool:
    return os.environ.get("RELAIS_REQUIRE_BROWSER") == "1"


def pytest_collection_modifyitems(items):
    """Without Chromium the journeys are skipped on a developer's machine, never in CI."""
    skip = pytest.mark.skipif(chromium_missing() and not browser_is_required(), reason=MISSING)
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser():
    if chromium_missing():
        pytest.fail(MISSING)  # only reached when RELAIS_REQUIRE_BROWSER=1
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; Django's guard against ORM
    # use from async code would trip on the test's own database work. Only while here.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            yield browser
            browser.close()
    finally:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


@pytest.fixture
def page_factory(browser):
    contexts = []

    def make(*, width=1280, height=900, locale="en-GB"):
        context = browser.new_context(viewport={"width": width, "height": height},
                                      locale=locale)
        contexts.append(context)
        page = context.new_page()
        page.console_errors = []
        page.on("console", lambda m: m.type == "error" and page.console_errors.append(m.text))
        return page

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def screenshot():
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    def take(page, name: str) -> Path:
        path = ARTIFACTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
