"""Staff complaint flows in the browser: the hotline operator registering calls from the
keyboard, the store manager handling a complaint from the list to its closing (with a
dissatisfied follow-up visit that reopens it), and an escalation answered by the region while
the time-limit sweep records a breach and tells the level above once."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from sqms.common.models import AuditEntry, Notification
from sqms.complaints import tasks
from sqms.complaints.models import (
    ClockKind,
    Complaint,
    ComplaintEvent,
    Escalation,
    SlaClock,
    Status,
    TimeUnit,
)
from sqms.org.roles import Role
from sqms.packs.loader import pack_load
from tests.conftest import make_user
from tests.e2e.complaint_steps import (
    NOW,
    H,
    act,
    action,
    active_id,
    clocks,
    left,
    messages,
    register,
    sh,
    status_badge,
    timeline,
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
    "id_staff_description",
    "id_occurred_at",
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
    # What the operator reads out: the tracking code and the time of the reply (3 working
    # days on the hotline), not the 4-hour first response inside the company.
    told = zh(
        "Registered %(ref)s. Tell the customer: a reply by %(when)s.",
        ref=first.ref,
        when="2026-06-12 18:00",
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
    # The caller names the cashier: the operator, who may not browse the staff register, still
    # picks her from the store's staff (by name: 张伟, 李娜, 王芳).
    tab_until(page, "id_staff")
    for _ in range(3):
        page.keyboard.press("ArrowDown")
    assert page.locator("#id_staff option:checked").inner_text() == "王芳 (E2, 收银员)"
    tab_until(page, "another")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    second = Complaint.objects.exclude(pk=first.pk).get()
    assert page.url == page_for.url(f"/complaints/new/?channel=hotline&unit={org.s1.pk}")
    assert messages(page) == [
        zh(
            "Registered %(ref)s. Tell the customer: a reply by %(when)s.",
            ref=second.ref,
            when="2026-06-12 18:00",
        )
    ]
    assert page.locator("#id_unit option:checked").inner_text() == "S1 徐汇店"
    assert page.locator("#id_channel").input_value() == "hotline"
    assert page.locator("#id_complainant_phone").input_value() == ""
    assert page.locator("#id_description").input_value() == ""
    assert (second.channel, second.unit, second.complainant_phone, second.staff) == (
        "hotline",
        org.s1,
        "13900001111",
        org.s1_staff[1],
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


Kind = ComplaintEvent.Kind


def row_of(page: Any, ref: str) -> Any:
    return page.locator("table.complaints tbody tr").filter(has_text=ref)


def limit(amount: int, unit: str) -> str:
    return f"{amount} {zh(TimeUnit(unit).label)}"


def met(at: str) -> str:
    return f"{zh('met')} {at}"


def test_the_store_manager_handles_a_complaint_to_its_closing(page_for, org, people, pack, now):
    late = register(org, received_at=NOW - 13 * H, description="周一晚上排队结账等了二十分钟。")
    soon = register(org, received_at=NOW - 10 * H, description="凌晨收银台只开了一个。")
    mine = register(org, description="收银员态度恶劣，结账时不理睬顾客。")
    elsewhere = register(org, unit=org.s3, description="天河店的投诉。")
    store = people.store
    page = page_for(store)

    # The list: open complaints, the most urgent first, with what is left of each.
    page.click("#main-nav a[href='/complaints/']")
    refs = page.locator("table.complaints tbody tr td:first-child a").all_inner_texts()
    assert refs == [late.ref, soon.ref, mine.ref]  # not the other region's store
    assert elsewhere.ref not in page.content()
    assert [row_of(page, r).get_attribute("class") for r in refs] == ["late", "soon", ""]
    deadline_cells = [row_of(page, r).locator("td").nth(6).inner_text() for r in refs]
    assert deadline_cells == [
        f"{left(1, 0, late=True)}\n06-09 09:00",  # 12 calendar hours from 21:00 yesterday
        f"{left(2, 0)}\n06-09 12:00",
        f"{left(5, 0)}\n06-09 15:00",  # the update: 4 working hours
    ]
    assert row_of(page, late.ref).locator(".deadline.late").count() == 1
    assert row_of(page, soon.ref).locator(".deadline.soon").count() == 1
    page_for.shot(page, "list")
    page.click("main nav.tabs a[href='?status=late']")
    assert page.locator("table.complaints tbody tr td:first-child a").all_inner_texts() == [
        late.ref
    ]

    page.goto("/complaints/")
    page.click(f"main a:text-is('{mine.ref}')")
    page.wait_for_url(page_for.url(f"/complaints/{mine.pk}/"))
    assert status_badge(page) == zh(Status.RECEIVED.label)
    assert clocks(page) == {
        zh(ClockKind.UPDATE.label): [limit(4, "working_hours"), "2026-06-09 15:00", left(5, 0)],
        zh(ClockKind.RESOLUTION.label): [
            limit(12, "calendar_hours"),
            "2026-06-09 22:00",
            left(12, 0),
        ],
    }
    page_for.shot(page, "received")

    wang = org.s1_staff[1]
    assert act(page, "assign", assignee=str(wang.pk)) == [zh("Assigned to %(name)s.", name="王芳")]
    assert status_badge(page) == zh(Status.ASSIGNED.label)
    assert act(page, "investigate") == [zh("Investigation started.")]
    assert status_badge(page) == zh(Status.INVESTIGATING.label)
    call = "已致电顾客，约好明天上午到店面谈。"
    assert act(page, "note", note=call, contacted=True) == [zh("Note added.")]

    # Waiting for the customer stops the clocks; an hour later they run again from where they
    # stood, the deadlines an hour later.
    assert act(page, "wait", on="customer", note="等顾客到店。") == [
        zh("The time limits are paused.")
    ]
    assert page.locator("main h1 .badge").all_inner_texts() == [
        zh(Status.INVESTIGATING.label),
        zh("paused"),
    ]
    paused = clocks(page)
    assert paused == {
        zh(ClockKind.UPDATE.label): [limit(4, "working_hours"), "—", zh("paused")],
        zh(ClockKind.RESOLUTION.label): [limit(12, "calendar_hours"), "—", zh("paused")],
    }
    page_for.shot(page, "paused")
    now.move_to(NOW + H, tick=False)
    assert act(page, "resume") == [zh("The time limits run again.")]
    assert clocks(page) == {
        zh(ClockKind.UPDATE.label): [limit(4, "working_hours"), "2026-06-09 16:00", left(5, 0)],
        zh(ClockKind.RESOLUTION.label): [
            limit(12, "calendar_hours"),
            "2026-06-09 23:00",
            left(12, 0),
        ],
    }

    finding = "监控显示收银员结账时在打私人电话，确有不理睬顾客的情况。"
    assert act(page, "verify", substantiated=("radio", "1"), finding=finding) == [
        zh("Verification recorded.")
    ]
    verified = page.locator("main dl.facts dd").nth(8).inner_text()
    assert verified == f"{zh('Substantiated (有理)')}\n{finding}"
    reply, measure = "已向顾客道歉，并对当班收银员进行了批评教育。", "收银员上岗期间不得使用手机。"
    assert act(page, "reply", reply=reply, improvement=measure) == [zh("Reply recorded.")]
    assert status_badge(page) == zh(Status.REPLIED.label)
    assert clocks(page) == {
        zh(ClockKind.UPDATE.label): [
            limit(4, "working_hours"),
            "2026-06-09 16:00",
            met("06-09 11:00"),
        ],
        zh(ClockKind.RESOLUTION.label): [
            limit(12, "calendar_hours"),
            "2026-06-09 23:00",
            met("06-09 11:00"),
        ],
    }
    page_for.shot(page, "replied")

    # The follow-up visit: the customer is not satisfied, and the complaint is open again
    # with new clocks.
    now.move_to(NOW + 6 * H, tick=False)
    visit = act(
        page,
        "follow_up",
        satisfaction=("radio", "dissatisfied"),
        accepted=("radio", "0"),
        method="phone",
        note="顾客认为只批评教育太轻。",
    )
    assert visit == [zh("Follow-up visit recorded.")]
    assert status_badge(page) == zh(Status.INVESTIGATING.label)
    assert clocks(page) == {
        zh(ClockKind.UPDATE.label): [limit(4, "working_hours"), "2026-06-10 11:00", left(19, 0)],
        zh(ClockKind.RESOLUTION.label): [
            limit(12, "calendar_hours"),
            "2026-06-10 04:00",
            left(12, 0),
        ],
    }
    page_for.shot(page, "reopened")

    # Handled again the next morning: a second reply, a satisfied visit (without closing at
    # once), and closed.
    now.move_to(sh(2026, 6, 10, 9, 30), tick=False)
    page = page_for(store)  # yesterday's session has expired: he logs in again
    page.goto(f"/complaints/{mine.pk}/")
    assert act(page, "note", note="店长上门道歉，赠送 100 元购物卡。") == [zh("Note added.")]
    reply2 = "店长已上门道歉并赠送购物卡，当班收银员调离收银岗位。"
    assert act(page, "reply", reply=reply2, improvement=measure) == [zh("Reply recorded.")]
    visit = act(
        page,
        "follow_up",
        satisfaction=("radio", "satisfied"),
        accepted=("radio", "1"),
        method="visit",
        close=False,
    )
    assert visit == [zh("Follow-up visit recorded.")]
    assert status_badge(page) == zh(Status.FOLLOW_UP.label)
    assert act(page, "close", note="顾客满意。") == [zh("Complaint closed.")]
    assert status_badge(page) == zh(Status.CLOSED.label)
    # What is left to do on a closed complaint: correct the verification, attach a file.
    assert page.locator("section.actions-card details.action summary").all_inner_texts() == [
        zh("Record the verification"),
        zh("Attach files"),
    ]
    page_for.shot(page, "closed")

    steps = [
        Kind.RECEIVED, Kind.ASSIGNED, Kind.INVESTIGATING, Kind.CONTACTED, Kind.WAITING,
        Kind.RESUMED, Kind.VERIFIED, Kind.REPLIED, Kind.FOLLOW_UP, Kind.REOPENED, Kind.NOTE,
        Kind.REPLIED, Kind.FOLLOW_UP, Kind.CLOSED,
    ]  # fmt: skip
    assert timeline(page) == [zh(k.label) for k in steps]
    notes = page.locator("ol.timeline li .small").all_inner_texts()
    assert call in notes and finding in notes and reply2 in notes
    assert zh("The customer was not satisfied at the follow-up visit.") in notes

    mine.refresh_from_db()
    assert (mine.status, mine.assignee, mine.reopen_count, mine.waiting_on) == (
        "closed",
        wang,
        1,
        "",
    )
    assert (mine.substantiated, mine.finding) == (True, finding)
    assert (mine.reply, mine.improvement) == (reply2, measure)
    assert (mine.closed_at, mine.next_deadline) == (sh(2026, 6, 10, 9, 30), None)
    assert list(mine.events.values_list("kind", flat=True)) == [k.value for k in steps]
    assert list(mine.follow_ups.values_list("satisfaction", "accepted", "method")) == [
        ("dissatisfied", False, "phone"),
        ("satisfied", True, "visit"),
    ]
    assert not mine.clocks.filter(stopped_at__isnull=True).exists()
    assert list(
        AuditEntry.objects.filter(target_id=str(mine.pk), target_type="complaints.complaint")
        .order_by("seq")
        .values_list("action", flat=True)
    ) == [
        "complaint.create", "complaint.assign", "complaint.investigate", "complaint.contact",
        "complaint.wait", "complaint.resume", "complaint.verify", "complaint.reply",
        "complaint.follow_up", "complaint.reopen", "complaint.note", "complaint.reply",
        "complaint.follow_up", "complaint.close",
    ]  # fmt: skip
    # The other complaints were not touched.
    assert [c.status for c in Complaint.objects.exclude(pk=mine.pk).order_by("pk")] == [
        "received"
    ] * 3
    assert page_for.problems(page) == []


def bell(page: Any) -> str:
    """The unread count on the notices link ('' when there is none)."""
    count = page.locator(".topbar .bell .count")
    return count.inner_text() if count.count() else ""


def test_the_region_answers_an_escalation_and_the_deadline_follows(
    page_for, org, people, pack, now
):
    complaint = register(org, description="顾客要求按价签三倍赔偿，门店无权决定。")
    store_page = page_for(people.store)
    store_page.goto(f"/complaints/{complaint.pk}/")
    reason = "顾客要求三倍赔偿，超出门店权限。"
    assert act(store_page, "escalate", reason=reason) == [zh("Escalated to the level above.")]
    assert store_page.locator("main h1 .badge.warn").inner_text() == zh(
        "escalated, level %(n)s", n=1
    )
    assert clocks(store_page) == {
        zh(ClockKind.UPDATE.label): [limit(4, "working_hours"), "2026-06-09 15:00", left(5, 0)],
        zh(ClockKind.RESOLUTION.label): [
            limit(12, "calendar_hours"),
            "2026-06-09 22:00",
            left(12, 0),
        ],
        zh(ClockKind.ESCALATION.label): [
            limit(12, "calendar_hours"),
            "2026-06-09 22:00",
            left(12, 0),
        ],
    }
    waiting = store_page.locator("main section.card ul.plain li").filter(has_text=reason)
    assert zh("waiting for an answer") in waiting.inner_text()
    page_for.shot(store_page, "escalated")
    escalation = Escalation.objects.get()
    assert (escalation.to_unit, escalation.level, escalation.automatic) == (org.r1, 1, False)

    # Three hours later the regional manager sees it waiting for his answer, on his list.
    now.move_to(NOW + 3 * H, tick=False)
    region = page_for(people.region)
    assert bell(region) == "1"
    region.click("#main-nav a[href='/complaints/']")
    card = region.locator("main section.highlight")
    assert card.locator("h2").inner_text() == zh("Escalations waiting for your answer")
    assert card.locator("li a").all_inner_texts() == [complaint.ref]
    page_for.shot(region, "region-list")
    card.locator("li a").click()
    region.wait_for_url(page_for.url(f"/complaints/{complaint.pk}/"))
    answer = action(region, "answer")
    assert answer.is_visible()  # open at once, first of the actions
    assert clocks(region)[zh(ClockKind.ESCALATION.label)][1:] == ["2026-06-09 22:00", left(9, 0)]
    # He cannot decide today: he promises the shortest time in which it can be handled.
    sent = act(
        region,
        "answer",
        answer="需与采购部核实价签，周四下班前答复顾客。",
        promised_by="2026-06-11T18:00",
    )
    assert sent == [zh("Answer recorded.")]
    shown = clocks(region)
    assert shown[zh(ClockKind.ESCALATION.label)][1:] == ["2026-06-09 22:00", met("06-09 13:00")]
    # The reply to the customer is now due when he promised.
    assert shown[zh(ClockKind.RESOLUTION.label)][1:] == [
        "2026-06-11 18:00",
        left(5, days=2),
    ]
    assert region.locator("details.action form[action$='/do/answer']").count() == 0
    page_for.shot(region, "answered")
    region.goto("/complaints/")
    assert region.locator("main section.highlight").count() == 0

    escalation.refresh_from_db()
    assert (escalation.answered_at, escalation.promised_by) == (NOW + 3 * H, sh(2026, 6, 11, 18))
    complaint.refresh_from_db()
    assert complaint.next_deadline == sh(2026, 6, 9, 15)  # the update, still the nearest
    resolution = SlaClock.objects.get(complaint=complaint, kind="resolution")
    assert resolution.deadline == sh(2026, 6, 11, 18)
    assert list(complaint.events.values_list("kind", flat=True)) == [
        "received",
        "escalated",
        "escalation_answered",
    ]
    # The store hears of the answer.
    store_page.reload()
    assert bell(store_page) == "2"  # the new complaint, and now the answer
    store_page.click(".topbar .bell")
    notices = store_page.locator("ul.notices li a").all_inner_texts()
    assert notices[0] == zh("The escalation of %(ref)s was answered", ref=complaint.ref)
    assert page_for.problems(region) == []


def test_the_sweep_records_a_breach_and_tells_the_region_once(page_for, org, people, pack, now):
    complaint = register(org, description="退货时服务台让顾客等了一个小时。")
    other = register(org, unit=org.s3, description="天河店的投诉。")
    region = page_for(people.region)
    assert bell(region) == ""

    # 15:30: the update (4 working hours, due 15:00) is late; the reply (22:00) is not near.
    now.move_to(sh(2026, 6, 9, 15, 30), tick=False)
    assert tasks.sweep_time_limits.call_local() == {"warned": 0, "breached": 2, "escalated": 2}
    # Run again a few minutes later: nothing more to record, nobody told twice.
    now.move_to(sh(2026, 6, 9, 15, 35), tick=False)
    assert tasks.sweep_time_limits.call_local() == {"warned": 0, "breached": 0, "escalated": 0}
    assert list(
        Notification.objects.filter(user=people.region).values_list("title", flat=True)
    ) == [zh("Late complaint %(ref)s escalated to %(unit)s", ref=complaint.ref, unit="华东区")]

    region.reload()
    assert bell(region) == "1"
    region.click(".topbar .bell")
    region.wait_for_url(page_for.url("/complaints/notifications/"))
    notice = region.locator("ul.notices li.unread a")
    assert notice.all_inner_texts() == [
        zh("Late complaint %(ref)s escalated to %(unit)s", ref=complaint.ref, unit="华东区")
    ]
    page_for.shot(region, "notices")
    notice.click()
    region.wait_for_url(page_for.url(f"/complaints/{complaint.pk}/"))
    assert region.locator("main h1 .badge.danger").inner_text() == zh("a time limit was missed")
    assert clocks(region)[zh(ClockKind.UPDATE.label)][1:] == [
        "2026-06-09 15:00",
        left(minutes=35, late=True),
    ]
    assert timeline(region) == [
        zh(Kind.RECEIVED.label),
        zh(Kind.DEADLINE_MISSED.label),
        zh(Kind.ESCALATED.label),
    ]
    page_for.shot(region, "breached")
    region.goto("/complaints/notifications/")
    region.click("main .headline form button[type=submit]")  # mark all as read
    assert bell(region) == ""

    complaint.refresh_from_db()
    assert (complaint.breached, complaint.escalation_level, complaint.escalated_to) == (
        True,
        1,
        org.r1,
    )
    update = SlaClock.objects.get(complaint=complaint, kind="update")
    assert (update.breached_at, update.stopped_at) == (sh(2026, 6, 9, 15, 30), None)
    assert list(complaint.escalations.values_list("to_unit__code", "automatic")) == [("R1", True)]
    other.refresh_from_db()
    assert (other.breached, other.escalated_to.code) == (True, "R2")  # its own region
    # The store's list flags it as late.
    store = page_for(people.store)
    store.goto("/complaints/?status=breached")
    assert store.locator("table.complaints tbody tr td:first-child a").all_inner_texts() == [
        complaint.ref
    ]
    assert store.locator("table.complaints tbody tr").get_attribute("class") == "late"
    assert page_for.problems(region) == []


TABS = ["Open", "Late", "Due within 24 h", "Missed a time limit", "Closed and ended", "All"]


def test_the_list_speaks_each_users_language(page_for, org, people, pack):
    """The status tabs follow the reader's language, whichever language the server happened
    to speak when it first loaded the page's code."""
    chinese = page_for(people.store)
    chinese.goto("/complaints/")
    english = page_for(people.region, locale="en-US")
    english.goto("/complaints/")
    chinese.reload()
    assert english.locator("main nav.tabs:not(.subnav) a").all_inner_texts() == TABS
    assert chinese.locator("main nav.tabs:not(.subnav) a").all_inner_texts() == [
        zh(t) for t in TABS
    ]
    page_for.shot(english, "list-en")


def test_each_actions_labels_lead_to_its_own_fields(page_for, org, people, pack, now):
    """Several actions have a note or a reason: each label must focus its own form's field
    (a screen reader announces it; a click on it puts the cursor there)."""
    complaint = register(org)
    page = page_for(people.store)
    page.goto(f"/complaints/{complaint.pk}/")
    duplicates = page.evaluate(
        """() => { const seen = {};
            document.querySelectorAll('[id]').forEach(e => seen[e.id] = (seen[e.id] || 0) + 1);
            return Object.keys(seen).filter(id => seen[id] > 1); }"""
    )
    assert duplicates == []
    for name, field in (("wait", "note"), ("escalate", "reason"), ("withdraw", "reason")):
        form = action(page, name)
        form.locator("label").filter(has_text=zh("Note" if field == "note" else "Reason")).click()
        focused = page.evaluate("document.activeElement.closest('form').getAttribute('action')")
        assert focused == f"/complaints/{complaint.pk}/do/{name}", name
        assert page.evaluate("document.activeElement.name") == field
