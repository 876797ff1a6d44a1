"""Who sees what of a complaint in the browser: the cashier sees her store's complaints with the
customer masked, the store manager reveals the contact details (logged), another region's
store manager finds nothing by any door; and the store manager's list and complaint page on a
phone."""

from __future__ import annotations

from typing import Any

import pytest

from sqms.common.models import AuditEntry
from sqms.complaints.models import Complaint, ComplaintEvent
from sqms.packs.loader import pack_load
from tests.e2e.complaint_steps import (
    NOW,
    act,
    inner_width,
    page_width,
    register,
    status_badge,
    zh,
)

pytestmark = pytest.mark.e2e

PHONE_WIDTH = 390

REVEAL = "main form.inline-form button[type=submit]"
FORGED_POST = """async ([url, fields]) => {
    const token = document.querySelector('input[name=csrfmiddlewaretoken]').value;
    const r = await fetch(url, {method: 'POST', body: new URLSearchParams(fields),
                                headers: {'X-CSRFToken': token}, redirect: 'manual'});
    return r.status;
}"""


@pytest.fixture
def pack(org: Any) -> None:
    pack_load("retail-chain")


@pytest.fixture
def now(time_machine: Any) -> Any:
    time_machine.move_to(NOW, tick=False)
    return time_machine


def customer(page: Any) -> list[str]:
    """Name and phone of the customer as the complaint's page shows them."""
    facts = page.locator("main h3 + dl.facts").first
    return [facts.locator("dd").nth(0).inner_text(), facts.locator("dd").nth(1).inner_text()]


def refs(page: Any) -> list[str]:
    return page.locator("table.complaints tbody tr td:first-child a").all_inner_texts()


def test_the_cashier_sees_her_stores_complaints_masked_and_the_manager_reveals(
    page_for, org, people, pack, now
):
    ours = register(org, description="收银员多收了一件商品的钱。")
    theirs = register(org, unit=org.s3, description="天河店的投诉。", complainant_name="赵女士")

    cashier = page_for(people.cashier)
    cashier.click("#main-nav a[href='/complaints/']")
    assert refs(cashier) == [ours.ref]
    cashier.click(f"main a:text-is('{ours.ref}')")
    assert customer(cashier) == ["王**", "139****5678"]
    assert "王先生" not in cashier.content() and "13912345678" not in cashier.content()
    assert cashier.locator(REVEAL).count() == 0  # not hers to see
    assert cashier.locator("section.actions-card").count() == 0  # nor to handle
    page_for.shot(cashier, "cashier")
    assert page_for.problems(cashier) == []
    # Asking for the details anyway is refused, and leaves no trace of a view.
    status = cashier.evaluate(FORGED_POST, [f"/complaints/{ours.pk}/", {"reveal": "1"}])
    assert status == 403
    assert cashier.goto(f"/complaints/{theirs.pk}/").status == 404
    assert not AuditEntry.objects.filter(action="personal_data.view").exists()

    store = page_for(people.store)
    store.goto(f"/complaints/{ours.pk}/")
    assert customer(store) == ["王**", "139****5678"]
    assert store.locator(REVEAL).inner_text() == zh(
        "Show full contact details (the view is logged)"
    )
    with store.expect_navigation():
        store.click(REVEAL)
    assert customer(store) == ["王先生", "13912345678"]
    assert store.locator(REVEAL).count() == 0
    page_for.shot(store, "revealed")
    entry = AuditEntry.objects.get(action="personal_data.view")
    assert (entry.actor, entry.target_type, entry.target_id) == (
        people.store,
        "complaints.complaint",
        str(ours.pk),
    )
    assert entry.after == {"fields": ["complainant_name", "complainant_phone", "complainant_email"]}
    # A reload shows them masked again: each view is asked for, and logged, on its own.
    store.goto(f"/complaints/{ours.pk}/")
    assert customer(store) == ["王**", "139****5678"]
    assert AuditEntry.objects.filter(action="personal_data.view").count() == 1
    assert page_for.problems(store) == []


def test_another_regions_store_manager_finds_nothing_by_any_door(page_for, org, people, pack, now):
    ours = register(org, description="收银员多收了一件商品的钱。")
    own = register(org, unit=org.s3, description="天河店的投诉。")
    page = page_for(people.outsider)
    page.goto("/complaints/")
    assert refs(page) == [own.ref]
    for door in (
        f"/complaints/{ours.pk}/",
        f"/complaints/{ours.pk}/files/1",
        f"/complaints/poster/{org.s1.pk}/",
        f"/complaints/?unit={org.s1.pk}",
        f"/complaints/dashboard/?unit={org.s1.pk}",
    ):
        response = page.goto(door)
        assert response.status == 404, door
        body = page.content()
        assert ours.ref not in body and "徐汇店" not in body, door
    page_for.shot(page, "not-found")
    # His own complaint opens (so the 404s above are about scope, not broken addresses) …
    assert page.goto(f"/complaints/{own.pk}/").status == 200
    before = (
        list(
            Complaint.objects.order_by("pk").values_list("status", "assignee", "escalation_level")
        ),
        ComplaintEvent.objects.count(),
        AuditEntry.objects.count(),
    )
    # … and a POST to the other store's complaint, with a valid CSRF token, answers 404.
    for name, fields in (
        ("assign", {"assignee": str(org.s1_staff[1].pk)}),
        ("note", {"note": "入侵"}),
        ("escalate", {"reason": "入侵"}),
        ("void", {"reason": "入侵"}),
    ):
        url = f"/complaints/{ours.pk}/do/{name}"
        assert page.evaluate(FORGED_POST, [url, fields]) == 404, name
    assert page.evaluate(FORGED_POST, [f"/complaints/{ours.pk}/", {"reveal": "1"}]) == 404
    after = (
        list(
            Complaint.objects.order_by("pk").values_list("status", "assignee", "escalation_level")
        ),
        ComplaintEvent.objects.count(),
        AuditEntry.objects.count(),
    )
    assert after == before
    assert not AuditEntry.objects.filter(action="personal_data.view").exists()


def test_the_store_manager_works_on_a_phone(page_for, org, people, pack, now):
    for n in range(3):
        register(org, description=f"第 {n + 1} 件：收银台排队太长，只开了一个收银台。" * 3)
    complaint = Complaint.objects.order_by("pk").first()
    page = page_for(people.store, phone=True)
    page.goto("/complaints/")
    assert page.viewport_size == {"width": 390, "height": 844}
    # A phone widens its layout viewport to whatever sticks out: compare with the screen.
    assert inner_width(page) == PHONE_WIDTH
    assert page_width(page) <= PHONE_WIDTH
    # The table scrolls inside its own box; the page itself does not.
    table_box = page.locator("div.scroll").bounding_box()
    assert table_box["x"] >= 0 and table_box["x"] + table_box["width"] <= 390
    page_for.shot(page, "list")

    page.locator(f"main a:text-is('{complaint.ref}')").tap()
    page.wait_for_url(page_for.url(f"/complaints/{complaint.pk}/"))
    assert page_width(page) <= PHONE_WIDTH
    summaries = page.locator("section.actions-card details.action summary")
    assert summaries.count() >= 10
    for box in [s.bounding_box() for s in summaries.all()]:
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390, box
        assert box["height"] >= 20, box  # big enough to tap
    page_for.shot(page, "complaint")

    # Open an action, choose, and send it with a tap.
    wang = org.s1_staff[1]
    page.locator("details.action summary").filter(has_text=zh("Assign")).first.tap()
    form = page.locator("details.action[open] form[action$='/do/assign']")
    form.locator("select[name=assignee]").select_option(str(wang.pk))
    button = form.locator("button[type=submit]")
    button.scroll_into_view_if_needed()
    box = button.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390
    assert page_width(page) <= PHONE_WIDTH
    page_for.shot(page, "assign-open")
    with page.expect_navigation():
        button.tap()
    assert status_badge(page) == zh("Assigned")
    assert page_width(page) <= PHONE_WIDTH
    complaint.refresh_from_db()
    assert (complaint.status, complaint.assignee) == ("assigned", wang)
    assert act(page, "investigate") == [zh("Investigation started.")]
    assert page_width(page) <= PHONE_WIDTH

    # A customer at the desk: the manager registers the complaint on his phone.
    page.goto("/complaints/")
    page.locator("main a.button.primary[href='/complaints/new/']").tap()
    page.wait_for_url(page_for.url("/complaints/new/"))
    assert page_width(page) <= PHONE_WIDTH
    assert page.locator("#id_unit option:checked").inner_text() == "S1 徐汇店"  # his store
    page.fill("#id_complainant_phone", "13700001234")
    page.fill("#id_description", "试衣间没有挂钩，包只能放在地上。")
    page_for.shot(page, "intake")
    save = page.locator("form.intake-form button.primary")
    save.scroll_into_view_if_needed()
    box = save.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE_WIDTH
    with page.expect_navigation():
        save.tap()
    new = Complaint.objects.get(description="试衣间没有挂钩，包只能放在地上。")
    assert page.url == page_for.url(f"/complaints/{new.pk}/")
    assert (new.unit, new.channel, new.complainant_phone) == (org.s1, "desk", "13700001234")
    assert page_for.problems(page) == []
