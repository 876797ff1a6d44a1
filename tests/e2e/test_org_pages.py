"""The organisation pages at work: the lazy tree, adding staff, searching staff."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest

from sqms.common.models import AuditEntry
from sqms.org.models import Staff

pytestmark = pytest.mark.e2e


def unit_link(page, name: str):  # type: ignore[no-untyped-def]
    return page.locator("#org-tree a").filter(has_text=re.compile(f"^{name}$"))


def summary_of(page, name: str):  # type: ignore[no-untyped-def]
    """The clickable part of a unit's <summary> that is not its link."""
    return unit_link(page, name).locator("xpath=../span[contains(@class, 'muted')]")


def test_tree_loads_children_when_a_unit_is_opened(page_for, people, org):
    page = page_for(people.admin)
    page.goto("/org/")
    tree_url = page.url
    assert page.locator("#org-tree > li").count() == 1
    assert unit_link(page, "总部").is_visible()
    # Nothing below HQ is in the page until it is opened.
    assert unit_link(page, "华东区").count() == 0

    page.evaluate("window.__sqmsNoReload = true")
    hq = summary_of(page, "总部")
    with page.expect_request(lambda r: r.url.endswith(f"/org/units/{org.hq.pk}/children")) as req:
        hq.click()
    assert req.value.headers.get("hx-request") == "true"
    for name in ("质量管理部", "华东区", "华南区"):
        unit_link(page, name).wait_for()
    assert unit_link(page, "徐汇店").count() == 0
    page_for.shot(page, "hq-open")

    r1 = summary_of(page, "华东区")
    with page.expect_request(lambda r: r.url.endswith(f"/org/units/{org.r1.pk}/children")) as req:
        r1.click()
    assert req.value.headers.get("hx-request") == "true"
    unit_link(page, "徐汇店").wait_for()
    unit_link(page, "浦东店").wait_for()
    # R2 was not opened: its store is still not loaded.
    assert unit_link(page, "天河店").count() == 0
    # Stores without sub-units are leaves, not more <details>.
    assert page.locator("#org-tree .leaf > a").filter(has_text="徐汇店").count() == 1
    # All of it without leaving the page.
    assert page.url == tree_url
    assert page.evaluate("window.__sqmsNoReload") is True
    page_for.shot(page, "r1-open")

    # Closing and reopening does not fetch again (hx-trigger "toggle once").
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url) if "/children" in r.url else None)
    r1.click()
    r1.click()
    unit_link(page, "徐汇店").wait_for()
    assert requests == []


def test_store_manager_adds_a_staff_member(page_for, people, org):
    page = page_for(people.store)
    page.goto(f"/org/units/{org.s1.pk}/")
    page.click(f"main a[href='/org/units/{org.s1.pk}/add-staff']")
    page.wait_for_url(page_for.url(f"/org/units/{org.s1.pk}/add-staff"))
    page.fill("#id_employee_no", "E42")
    page.fill("#id_name", "刘洋")
    page.select_option("#id_position", str(org.cashier_position.pk))
    page.fill("#id_start_date", "2024-03-01")
    page.fill("#id_phone", "139 0000 1111")
    page_for.shot(page, "form")
    page.click("main form button[type=submit]")

    page.wait_for_url(page_for.url(f"/org/units/{org.s1.pk}/"))
    assert page.locator("main .messages .msg-success").count() == 1
    row = page.locator("#staff-table tbody tr").filter(has_text="E42")
    assert row.count() == 1
    assert row.locator("td").nth(1).inner_text() == "刘洋"
    assert row.locator("td").nth(4).inner_text() == "2024-03-01"
    page_for.shot(page, "unit")

    staff = Staff.objects.get(employee_no="E42")
    assert (staff.unit, staff.name, staff.phone) == (org.s1, "刘洋", "139 0000 1111")
    entry = AuditEntry.objects.get(action="org.staff.create", target_id=str(staff.pk))
    assert entry.actor == people.store


def test_add_staff_rejects_a_phone_with_letters(page_for, people, org):
    page = page_for(people.store)
    before = Staff.objects.count()
    page.goto(f"/org/units/{org.s1.pk}/add-staff")
    page.fill("#id_employee_no", "E43")
    page.fill("#id_name", "周杰")
    page.select_option("#id_position", str(org.cashier_position.pk))
    page.fill("#id_start_date", "2024-03-01")
    page.fill("#id_phone", "138abcd5678")
    with page.expect_response(lambda r: r.request.method == "POST") as response:
        page.click("main form button[type=submit]")
    page.wait_for_load_state()
    # The form comes back (no redirect) with the error beside the phone field only.
    assert response.value.status == 200
    assert page.url == page_for.url(f"/org/units/{org.s1.pk}/add-staff")
    phone_field = page.locator("main .field").filter(has=page.locator("#id_phone"))
    assert "has-error" in (phone_field.get_attribute("class") or "")
    assert phone_field.locator("p.error").count() == 1
    assert phone_field.locator("p.error").is_visible()
    assert page.locator("main .field.has-error").count() == 1
    # What was typed is kept.
    assert page.input_value("#id_name") == "周杰"
    assert page.input_value("#id_phone") == "138abcd5678"
    page_for.shot(page, "error")
    assert Staff.objects.count() == before
    assert not Staff.objects.filter(employee_no="E43").exists()


def test_staff_search_filters_the_table_in_place(page_for, people, org):
    page = page_for(people.store)
    page.goto(f"/org/units/{org.s1.pk}/")
    rows = page.locator("#staff-table tbody tr")
    assert sorted(rows.locator("td:nth-child(2)").all_inner_texts()) == sorted(
        s.name for s in org.s1_staff
    )
    page.evaluate("window.__sqmsNoReload = true")
    search = page.locator("main form[hx-get]")
    search.locator("input[name=q]").fill("王芳")
    with page.expect_response(
        lambda r: urlsplit(r.url).path == f"/org/units/{org.s1.pk}/" and "q=" in r.url
    ) as response:
        search.locator("input[name=q]").press("Enter")
    assert response.value.request.headers.get("hx-target") == "staff-table"
    # Only the table was swapped, and the address bar shows the search.
    page.wait_for_url(lambda url: parse_qs(urlsplit(url).query).get("q") == ["王芳"])
    assert parse_qs(urlsplit(page.url).query)["q"] == ["王芳"]
    assert page.evaluate("window.__sqmsNoReload") is True
    assert rows.locator("td:nth-child(2)").all_inner_texts() == ["王芳"]
    assert page.locator("main h1").count() == 1  # the partial did not nest a whole page
    page_for.shot(page, "filtered")

    # Searching by employee number works the same way; the URL is shareable.
    search.locator("input[name=q]").fill("E3")
    search.locator("input[name=q]").press("Enter")
    page.wait_for_url(lambda url: parse_qs(urlsplit(url).query).get("q") == ["E3"])
    rows.filter(has_text="张伟").wait_for()
    assert rows.locator("td:nth-child(2)").all_inner_texts() == ["张伟"]
    page.reload()
    assert rows.locator("td:nth-child(2)").all_inner_texts() == ["张伟"]
    assert page.input_value("main form[hx-get] input[name=q]") == "E3"


def test_date_fields_are_prefilled_with_today_in_chinese(page_for, people, org):
    page = page_for(people.store)
    today = page.evaluate(
        "new Intl.DateTimeFormat('en-CA', {timeZone: 'Asia/Shanghai'}).format(new Date())"
    )
    page.goto(f"/org/units/{org.s1.pk}/add-staff")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    page_for.shot(page, "add-staff")
    assert page.input_value("#id_start_date") == today
    page.goto(f"/org/staff/{org.s1_staff[1].pk}/leave")
    assert page.input_value("#id_end_date") == today
    assert [p for p in page_for.problems(page) if "does not conform" in p] == []
