"""Staff complaint flows in the browser: the hotline operator registering calls from the
keyboard, the store manager handling a complaint from the list to its closing (with a
dissatisfied follow-up visit that reopens it), and an escalation answered by the region while
the time-limit sweep records a breach and tells the level above once."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from sqms.common.models import AuditEntry, Notification
from sqms.complaints.models import Complaint, ComplaintEvent
from sqms.org.roles import Role
from sqms.packs.loader import pack_load
from tests.conftest import make_user
from tests.e2e.complaint_steps import (
    NOW,
    active_id,
    messages,
    sh,
    zh,
)

pytestmark = pytest.mark.e2e

# The intake form's fields in the order Tab reaches them (a field with several parts, such as
# the date and time, is visited part by part but counted once).
TAB_ORDER = [
    "id_unit",
    "id_received_at",
    "id_complainant_phone",
    "id_complainant_name",
    "id_contact_preference",
    "id_complainant_email",
    "id_anonymous",
    "id_description",
    "id_category",
    "id_staff",
    "id_urgency",
    "id_importance",
    "id_title",
    "id_attachments",
]


@pytest.fixture
def pack(org: Any) -> None:
    """The retail-chain pack: categories and the time limits of seed 000."""
    pack_load("retail-chain")


@pytest.fixture
def now(time_machine: Any) -> Any:
    """Time stands still at 10:00 on a Tuesday, for the server as for the test."""
    time_machine.move_to(NOW, tick=False)
    return time_machine


@pytest.fixture
def hotline(org: Any) -> Any:
    """The head office's hotline operator: registers calls for every store."""
    return make_user("hotline", Role.STAFF, org.hq)


def tab_until(page: Any, target: str, limit: int = 30) -> list[str]:
    """Press Tab until the field `target` has the focus; the fields passed on the way, each
    once, in order."""
    seen = [active_id(page)]
    for _ in range(limit):
        if seen[-1] == target:
            return seen
        page.keyboard.press("Tab")
        here = active_id(page)
        if here != seen[-1]:
            seen.append(here)
    raise AssertionError(f"{target} never got the focus; went through {seen}")


def test_the_hotline_operator_registers_calls_from_the_keyboard(
    page_for, org, people, pack, now, hotline
):
    page = page_for(hotline)
    page.click("#main-nav a[href='/complaints/']")
    page.click("main a[href='/complaints/new/?channel=hotline']")
    assert page.locator("main h1").inner_text() == zh("Hotline call")
    assert page.locator("#id_channel").input_value() == "hotline"
    # The cursor is in the first field the operator needs: the store the caller talks about.
    expect(page.locator("#id_unit")).to_be_focused()
    page_for.shot(page, "hotline-form")

    # The first call, typed in field after field.
    with page.expect_response(lambda r: "/complaints/staff-options" in r.url):
        page.keyboard.type("S1")  # a closed <select> picks the option its typed letters begin
    assert page.locator("#id_unit option:checked").inner_text() == "S1 徐汇店"
    assert tab_until(page, "id_attachments") == TAB_ORDER
    page.focus("#id_unit")
    tab_until(page, "id_complainant_phone")
    page.keyboard.type("138 0013 8000")
    page.keyboard.press("Tab")
    page.keyboard.type("李先生")
    tab_until(page, "id_description")
    page.keyboard.type("3号收银台的收银员结账时一直在打电话，不理睬顾客。")
    page.keyboard.press("Tab")  # the category: down the list to 服务态度 › 态度恶劣
    for _ in range(6):
        page.keyboard.press("ArrowDown")
    assert page.locator("#id_category option:checked").inner_text() == "— 态度恶劣"
    assert Complaint.objects.count() == 0
    with page.expect_navigation():
        page.keyboard.press("Control+Enter")

    first = Complaint.objects.get()
    assert page.url == page_for.url(f"/complaints/{first.pk}/")
    # What the operator reads out: the tracking code and the time of the reply.
    told = zh(
        "Registered %(ref)s. Tell the customer: a reply by %(when)s.",
        ref=first.ref,
        when="2026-06-09 15:00",
    )
    assert messages(page) == [told]
    assert page.locator("main h1").inner_text().startswith(first.ref)
    page_for.shot(page, "hotline-saved")
    assert (first.channel, first.unit, first.status) == ("hotline", org.s1, "received")
    assert (first.complainant_phone, first.complainant_name) == ("138 0013 8000", "李先生")
    assert first.description == "3号收银台的收银员结账时一直在打电话，不理睬顾客。"
    assert (first.category.code, first.staff, first.created_by) == ("attitude-rude", None, hotline)
    deadlines = dict(first.clocks.values_list("kind", "deadline"))
    assert deadlines == {
        "first_response": sh(2026, 6, 9, 15),  # 4 working hours
        # Working days end with the n-th working day after today (三个工作日内).
        "update": sh(2026, 6, 10, 18),  # 1 working day
        "resolution": sh(2026, 6, 12, 18),  # 3 working days
    }
    assert first.next_deadline == sh(2026, 6, 9, 15)
    assert list(first.events.values_list("kind", flat=True)) == ["received"]
    assert (
        AuditEntry.objects.filter(
            action="complaint.create", target_id=str(first.pk), actor=hotline
        ).count()
        == 1
    )
    # The store manager is told of the new complaint.
    assert list(Notification.objects.filter(user=people.store).values_list("title", flat=True)) == [
        zh("New complaint %(ref)s at %(unit)s", ref=first.ref, unit="徐汇店")
    ]

    # The next call, saved with "Save and register another": back on an empty form for the
    # same store, with the code to read out at the top.
    page.goto("/complaints/new/?channel=hotline")
    expect(page.locator("#id_unit")).to_be_focused()
    with page.expect_response(lambda r: "/complaints/staff-options" in r.url):
        page.keyboard.type("S1")
    tab_until(page, "id_complainant_phone")
    page.keyboard.type("13900001111")
    tab_until(page, "id_description")
    page.keyboard.type("生鲜区地面湿滑，没有提示牌。")
    tab_until(page, "another")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    second = Complaint.objects.exclude(pk=first.pk).get()
    assert page.url == page_for.url(f"/complaints/new/?channel=hotline&unit={org.s1.pk}")
    assert messages(page) == [
        zh(
            "Registered %(ref)s. Tell the customer: a reply by %(when)s.",
            ref=second.ref,
            when="2026-06-09 15:00",
        )
    ]
    assert page.locator("#id_unit option:checked").inner_text() == "S1 徐汇店"
    assert page.locator("#id_channel").input_value() == "hotline"
    assert page.locator("#id_complainant_phone").input_value() == ""
    assert page.locator("#id_description").input_value() == ""
    assert (second.channel, second.unit, second.complainant_phone) == (
        "hotline",
        org.s1,
        "13900001111",
    )
    assert second.description == "生鲜区地面湿滑，没有提示牌。"
    page_for.shot(page, "hotline-another")

    # A phone number with letters: the error is beside the phone field, nothing is saved, and
    # what was typed is still there.
    before = (
        Complaint.objects.count(),
        ComplaintEvent.objects.count(),
        AuditEntry.objects.count(),
        Notification.objects.count(),
    )
    page.focus("#id_complainant_phone")
    page.keyboard.type("138abc5678")
    tab_until(page, "id_description")
    page.keyboard.type("电话里说不清楚。")
    with page.expect_navigation():
        page.keyboard.press("Control+Enter")
    field = page.locator(".field.has-error")
    assert field.count() == 1
    assert field.locator("input").get_attribute("id") == "id_complainant_phone"
    assert field.locator(".errorlist").inner_text() == zh(
        "A phone number may contain only digits, spaces, '-' and '+'."
    )
    assert page.locator("#id_complainant_phone").input_value() == "138abc5678"
    assert page.locator("#id_description").input_value() == "电话里说不清楚。"
    assert messages(page) == []
    page_for.shot(page, "hotline-error")
    assert (
        Complaint.objects.count(),
        ComplaintEvent.objects.count(),
        AuditEntry.objects.count(),
        Notification.objects.count(),
    ) == before
    assert page_for.problems(page) == []
