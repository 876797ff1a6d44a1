"""Browser tests: Debian's Chromium driven by Playwright against pytest-django's live server.

Playwright never downloads a browser here: it launches /usr/bin/chromium (or `chromium` on PATH,
or $SQMS_CHROMIUM). When no Chromium is installed the tests are skipped with a loud reason and a
banner in the terminal summary, unless SQMS_REQUIRE_BROWSER=1 (CI), which turns that into a failure.

Fixtures:
    browser    one Chromium per test session (per xdist worker)
    page_for   page_for(user) → a Playwright page logged in as `user` through the real login
               form; page_for(user, phone=True) gives a 390×844 touch screen;
               page_for(None) an anonymous page. page_for.url(path), page_for.shot(page, label)
               and page_for.problems(page) (console errors and uncaught exceptions) help.
"""

from __future__ import annotations

import os
import re
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import PASSWORD
from tests.e2e import summary
from tests.e2e.summary import NOT_RUN

HERE = Path(__file__).resolve().parent
SCREENSHOTS = HERE.parents[1] / "var" / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
# The users are in mainland China: their browsers ask for Chinese first.
LOCALE = "zh-CN"
TIMEOUT_MS = 10_000


def chromium_path() -> str | None:
    """Debian's Chromium: $SQMS_CHROMIUM if set, else /usr/bin/chromium, else `chromium` on PATH."""
    override = os.environ.get("SQMS_CHROMIUM")
    if override is not None:
        return override if os.access(override, os.X_OK) else None
    if os.access("/usr/bin/chromium", os.X_OK):
        return "/usr/bin/chromium"
    return shutil.which("chromium")


def _playwright_installed() -> bool:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return False
    return True


def _missing() -> str | None:
    """What is missing to run browser tests, or None."""
    if chromium_path() is None:
        return "chromium not installed (apt-get install chromium, or set SQMS_CHROMIUM)"
    if not _playwright_installed():
        return "the playwright Python package is not installed (uv sync)"
    return None


def _browser_required() -> bool:
    return os.environ.get("SQMS_REQUIRE_BROWSER", "").strip() == "1"


def _is_e2e(item: pytest.Item) -> bool:
    return HERE in Path(str(item.path)).resolve().parents


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Every test under tests/e2e is an e2e test; without a browser they are skipped up front
    (before any database or server is set up), unless the browser is required."""
    missing = _missing()
    for item in items:
        if not _is_e2e(item):
            continue
        item.add_marker(pytest.mark.e2e)
        if missing and not _browser_required():
            item.add_marker(pytest.mark.skip(reason=f"{NOT_RUN}: {missing}"))


def pytest_configure(config: pytest.Config) -> None:
    if not config.pluginmanager.is_registered(summary):
        config.pluginmanager.register(summary, "sqms-e2e-summary")


def _carry_serialized_contents(before: dict[str, Any]) -> None:
    """While Playwright's sync API runs, the test code runs in another contextvars context, and
    Django's `connections` (an asgiref Local) hands out new database wrappers. When the test
    database was set up before the browser started (a whole-suite run), the new wrappers lack
    the snapshot that serialized rollback restores (data migrations' rows): carry it over."""
    from django.db import connections

    for alias, old in before.items():
        new = connections[alias]
        contents = getattr(old, "_test_serialized_contents", None)
        if new is not old and contents is not None:
            new._test_serialized_contents = contents


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    missing = _missing()
    if missing:
        if _browser_required():
            pytest.fail(f"SQMS_REQUIRE_BROWSER=1: the browser tests must run, but {missing}")
        pytest.skip(f"{NOT_RUN}: {missing}")
    from django.db import connections
    from playwright.sync_api import sync_playwright

    before = {alias: connections[alias] for alias in connections}
    pw = sync_playwright().start()
    _carry_serialized_contents(before)
    try:
        chromium = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
    except Exception as exc:
        pw.stop()
        if _browser_required():
            pytest.fail(f"SQMS_REQUIRE_BROWSER=1 but Chromium did not start: {exc}")
        pytest.skip(f"{NOT_RUN}: chromium did not start: {exc}")
    yield chromium
    chromium.close()
    pw.stop()


@pytest.fixture
def transactional_db(
    django_db_setup: None, django_db_blocker: Any, request: pytest.FixtureRequest
) -> None:
    """pytest-django's transactional_db (which live_server brings in), on a database as
    `migrate` leaves it, data migrations' rows included (the standard working calendar).

    page_for asks for serialized rollback: the database's content right after migrating is
    loaded at the start of each test. That load needs empty tables, but a transactional test
    elsewhere in the suite (not serialized) leaves behind the content types and permissions that
    its flush recreates, under other ids. So empty the tables first; only then set up the
    test's database as pytest-django does."""
    from django.core.management import call_command
    from django.db import connections

    with django_db_blocker.unblock():
        for alias in connections:
            if getattr(connections[alias], "_test_serialized_contents", None) is not None:
                call_command(
                    "flush",
                    database=alias,
                    interactive=False,
                    inhibit_post_migrate=True,
                    verbosity=0,
                )
    request.getfixturevalue("_django_db_helper")


@pytest.fixture(autouse=True)
def _own_cache(settings: Any) -> None:
    """A new, empty cache for each test, shared by the test and the live server's threads.
    The login rate-limit counters live in the cache, which a database flush does not empty: one
    test's log-ins must not count against the next one's. (Not cache.clear(): with REDIS_URL set
    that would flush a real Redis database.)"""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": f"sqms-e2e-{uuid.uuid4().hex}",
        }
    }


class PageFactory:
    """page_for(user) → a logged-in page in its own browser context (own cookies)."""

    def __init__(self, browser: Any, base_url: str, test_name: str) -> None:
        self.browser = browser
        self.base_url = base_url
        self.test_name = re.sub(r"[^\w.-]+", "-", test_name).strip("-")
        self.contexts: list[Any] = []
        self._problems: dict[int, list[str]] = {}

    def url(self, path: str) -> str:
        return self.base_url + path

    def new_page(self, *, phone: bool = False, locale: str = LOCALE) -> Any:
        options: dict[str, Any] = {"locale": locale, "timezone_id": "Asia/Shanghai"}
        if phone:
            options.update(PHONE)
        context = self.browser.new_context(base_url=self.base_url, **options)
        context.set_default_timeout(TIMEOUT_MS)
        self.contexts.append(context)
        page = context.new_page()
        problems: list[str] = []
        self._problems[id(page)] = problems
        page.on(
            "console",
            lambda msg: (
                problems.append(f"console.{msg.type}: {msg.text}")
                if msg.type in ("error", "warning")
                else None
            ),
        )
        page.on("pageerror", lambda exc: problems.append(f"pageerror: {exc}"))
        return page

    def problems(self, page: Any) -> list[str]:
        """Console errors and warnings, and uncaught exceptions, seen on this page so far."""
        return self._problems[id(page)]

    def submit_login(self, page: Any, username: str, password: str) -> Any:
        """Fill and send the real login form; returns the response to the POST."""
        page.goto("/accounts/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", password)
        with page.expect_response(
            lambda r: r.request.method == "POST" and "/accounts/login/" in r.url
        ) as response:
            page.click("main form button[type=submit]")
        page.wait_for_load_state()
        return response.value

    def __call__(self, user: Any, *, phone: bool = False, locale: str = LOCALE) -> Any:
        page = self.new_page(phone=phone, locale=locale)
        if user is None:
            return page
        self.submit_login(page, user.username, PASSWORD)
        page.wait_for_url(self.url("/"))
        shown = page.locator(".topbar .user").inner_text().strip()
        assert shown == (user.first_name or user.username), f"logged in as {shown!r}"
        return page

    def shot(self, page: Any, label: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{self.test_name}-{label}.png"
        # caret="initial": to hide the caret Playwright writes a style attribute on every
        # input, which stays behind (style=""); htmx's settle then copies it onto the swapped-in
        # inputs with setAttribute, and the CSP refuses that (a console error in the test).
        page.screenshot(path=str(path), full_page=True, caret="initial")
        return path

    def close(self) -> None:
        for context in self.contexts:
            context.close()


@pytest.fixture
def page_for(
    browser: Any,
    live_server: Any,
    django_db_serialized_rollback: None,
    request: pytest.FixtureRequest,
) -> Iterator[Any]:
    """The live server needs a transactional database, which is emptied between tests, data
    migrations' rows included (the standard working calendar); serialized rollback puts those
    back before each test, so every page sees a database as `migrate` leaves it."""
    factory = PageFactory(browser, live_server.url, request.node.name)
    yield factory
    factory.close()
