"""The page shell: language switch, the phone layout, and the Content-Security-Policy."""

from __future__ import annotations

import contextlib
import datetime as dt

import pytest

from sqms.common.calendars import default_calendar
from sqms.org import services

pytestmark = pytest.mark.e2e


def lang(page) -> str | None:  # type: ignore[no-untyped-def]
    return page.locator("html").get_attribute("lang")


def test_language_switch_persists_across_pages(page_for, people, org):
    page = page_for(people.store)
    assert lang(page) == "zh-hans"
    assert page.locator("button[name=language][value=zh-hans]").count() == 0

    page.goto(f"/org/units/{org.s1.pk}/")
    page.click("button[name=language][value=en]")
    # Back on the same page, now in English.
    page.locator("html[lang=en]").wait_for(state="attached")
    assert page.url == page_for.url(f"/org/units/{org.s1.pk}/")
    assert page.locator("button[name=language][value=en]").count() == 0
    assert page.locator("main h1").inner_text().startswith("徐汇店")  # data is not translated
    page_for.shot(page, "en")

    for path in ("/", "/org/", f"/org/staff/{org.s1_staff[0].pk}/"):
        page.goto(path)
        assert lang(page) == "en", path
    # A new browser tab of the same session keeps it too.
    other_tab = page.context.new_page()
    other_tab.goto("/org/")
    assert lang(other_tab) == "en"

    page.click("button[name=language][value=zh-hans]")
    page.locator("html[lang=zh-hans]").wait_for(state="attached")
    assert page.url == page_for.url(f"/org/staff/{org.s1_staff[0].pk}/")
    page.goto("/")
    assert lang(page) == "zh-hans"
    page_for.shot(page, "zh")


def test_language_follows_the_browser_by_default(page_for):
    page = page_for(None, locale="en-US")
    page.goto("/accounts/login/")
    assert lang(page) == "en"
    page = page_for(None, locale="fr-FR")  # nothing we speak: the site default
    page.goto("/accounts/login/")
    assert lang(page) == "zh-hans"


def test_phone_layout(page_for, people, org):
    page = page_for(people.store, phone=True)
    assert page.viewport_size == {"width": 390, "height": 844}
    toggle = page.locator(".menu-toggle")
    nav = page.locator("#main-nav")
    assert toggle.is_visible()
    assert toggle.get_attribute("aria-expanded") == "false"
    assert nav.is_hidden()
    page_for.shot(page, "menu-closed")

    toggle.tap()
    assert nav.is_visible()
    assert toggle.get_attribute("aria-expanded") == "true"
    assert nav.locator("a[href='/org/']").is_visible()
    page_for.shot(page, "menu-open")
    toggle.tap()
    assert nav.is_hidden()

    for path in ("/", "/org/", f"/org/staff/{org.s1_staff[0].pk}/"):
        page.goto(path)
        assert page_width(page) <= 390 + 1, path

    # A long employee number makes the staff table wider than the phone: the table scrolls
    # sideways inside its own box, the page itself does not.
    services.staff_create(
        actor=None,
        employee_no="E" + "0123456789" * 3 + "012345678",
        name="欧阳娜娜",
        unit=org.s1,
        position=org.cashier_position,
        start_date=dt.date(2024, 1, 2),
    )
    page.goto(f"/org/units/{org.s1.pk}/")
    assert page.locator("#staff-table tbody tr").count() == 4
    assert page_width(page) <= 390 + 1
    wrapper = page.locator("#staff-table .scroll")
    assert wrapper.evaluate("e => getComputedStyle(e).overflowX") == "auto"
    sizes = wrapper.evaluate("e => [e.scrollWidth, e.clientWidth]")
    assert sizes[0] > sizes[1], sizes  # the table is wider than its box …
    box = wrapper.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390 + 1
    # … and the box scrolls.
    assert wrapper.evaluate("e => { e.scrollLeft = 10000; return e.scrollLeft; }") > 0
    page_for.shot(page, "unit")


def page_width(page) -> int:  # type: ignore[no-untyped-def]
    """How wide the page is laid out, in CSS pixels (wider than the screen = sideways scroll)."""
    return page.evaluate("document.scrollingElement.scrollWidth")  # type: ignore[no-any-return]


MAIN_PAGES = [
    "/",
    "/org/",
    "/org/units/{hq}/",
    "/org/units/{s1}/",
    "/org/staff/{staff}/",
    "/org/staff/{staff}/?reveal=phone",
    "/org/units/{s1}/add-staff",
    "/org/import/",
    "/accounts/tokens/",
    "/audit/",
    "/calendars/",
    "/calendars/{calendar}/",
]


def test_no_content_security_policy_violations(page_for, people, org):
    anonymous = page_for(None)
    response = anonymous.goto("/accounts/login/")
    csp = response.headers.get("content-security-policy", "")
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert page_for.problems(anonymous) == []
    # The probe works: an inline script is refused and the refusal is seen.
    with contextlib.suppress(Exception):  # Playwright may report the refusal as an error
        anonymous.add_script_tag(content="window.__sqmsInline = 1")
    assert anonymous.evaluate("typeof window.__sqmsInline") == "undefined"
    assert any("Content Security Policy" in p for p in page_for.problems(anonymous))

    page = page_for(people.admin)
    calendar = default_calendar()
    assert calendar.pk is not None  # the migration's standard calendar
    ids = {"hq": org.hq.pk, "s1": org.s1.pk, "staff": org.s1_staff[0].pk, "calendar": calendar.pk}
    for template in MAIN_PAGES:
        path = template.format(**ids)
        response = page.goto(path)
        assert response.status == 200, path
        assert "script-src 'self'" in response.headers.get("content-security-policy", ""), path
        # Our scripts ran: htmx is loaded and processed the page.
        assert page.evaluate("typeof window.htmx") == "object", path
    # Dynamic content too: htmx swaps (tree children, staff search) and the menu script.
    page.goto("/org/")
    page.locator("#org-tree summary span.muted").first.click()
    page.locator("#org-tree details ul li:not(.muted)").first.wait_for()
    page.goto(f"/org/units/{org.s1.pk}/")
    page.fill("main form[hx-get] input[name=q]", "李娜")
    page.press("main form[hx-get] input[name=q]", "Enter")
    page.wait_for_url(lambda url: "q=" in url)
    page_for.shot(page, "last")

    problems = page_for.problems(page)
    assert [p for p in problems if "Content Security Policy" in p] == []
    assert [p for p in problems if p.startswith(("pageerror", "console.error"))] == []
