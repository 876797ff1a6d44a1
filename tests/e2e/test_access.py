"""Who sees what: each persona's home page, organisation tree and unit page, and every door to
another unit's data answering 404 to the store manager."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest

from sqms.org.models import Staff

pytestmark = pytest.mark.e2e

ALL_UNITS = {"总部", "质量管理部", "华东区", "华南区", "徐汇店", "浦东店", "天河店"}
HQ_LEVEL = {"总部", "质量管理部", "华东区", "华南区"}


@dataclass(frozen=True)
class Expect:
    roots: list[str]  # codes of the top units of the user's tree
    visible: set[str]  # unit names in the tree once the roots are opened
    can_audit: bool
    can_add_staff: bool  # on the root unit's page


EXPECTED = {
    "admin": Expect(["HQ"], HQ_LEVEL, can_audit=True, can_add_staff=True),
    "quality": Expect(["HQ"], HQ_LEVEL, can_audit=True, can_add_staff=False),
    "auditor": Expect(["HQ"], HQ_LEVEL, can_audit=True, can_add_staff=False),
    "inspector": Expect(["HQ"], HQ_LEVEL, can_audit=False, can_add_staff=False),
    "region": Expect(["R1"], {"华东区", "徐汇店", "浦东店"}, can_audit=False, can_add_staff=True),
    "store": Expect(["S1"], {"徐汇店"}, can_audit=False, can_add_staff=True),
    "outsider": Expect(["S3"], {"天河店"}, can_audit=False, can_add_staff=True),
}


def tree_names(page) -> set[str]:  # type: ignore[no-untyped-def]
    """Names of the units shown in the organisation tree."""
    links = page.locator("#org-tree summary > a, #org-tree .leaf > a")
    return set(links.all_inner_texts())


def open_details(page, name: str) -> None:  # type: ignore[no-untyped-def]
    """Open a unit's <details> in the tree the way a user does (clicking the summary, not its
    link), check that htmx fetched the children, and wait for them to be shown."""
    link = page.locator("#org-tree summary > a").filter(has_text=re.compile(f"^{name}$"))
    with page.expect_request(lambda r: "/children" in r.url) as request:
        link.locator("xpath=../span[contains(@class, 'muted')]").click()
    assert request.value.headers.get("hx-request") == "true"
    assert request.value.response().status == 200
    loaded = "xpath=ancestor::details[1]/ul/li[not(contains(concat(' ', @class, ' '), ' muted '))]"
    link.locator(loaded).first.wait_for()


@pytest.mark.parametrize("persona", sorted(EXPECTED))
def test_persona_sees_own_part_of_the_organisation(page_for, people, org, persona):
    user = getattr(people, persona)
    expect = EXPECTED[persona]
    units = {u.code: u for u in (org.hq, org.qa, org.r1, org.r2, org.s1, org.s2, org.s3)}
    roots = [units[c] for c in expect.roots]
    page = page_for(user)

    # Home: the roots of the user's tree, and the modules the menu offers.
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    home_units = page.locator("main a[href^='/org/units/']").evaluate_all(
        "els => els.map(e => e.getAttribute('href'))"
    )
    assert home_units == [f"/org/units/{u.pk}/" for u in roots]
    assert page.locator("#main-nav a[href='/org/']").count() == 1
    assert page.locator("#main-nav a[href='/audit/']").count() == int(expect.can_audit)
    page_for.shot(page, "home")

    # Tree: exactly the roots at the top; opening them shows their children and nothing else.
    response = page.goto("/org/")
    assert response.status == 200
    top = page.locator("#org-tree > li").evaluate_all(
        "els => els.map(e => e.querySelector('a').getAttribute('href'))"
    )
    assert top == [f"/org/units/{u.pk}/" for u in roots]
    for root in roots:
        if page.locator("#org-tree details").count():
            open_details(page, root.name)
    assert tree_names(page) == expect.visible
    text = page.locator("#org-tree").inner_text()
    assert [name for name in ALL_UNITS - expect.visible if name in text] == []
    page_for.shot(page, "tree")

    # The root unit's page, with the actions the role allows.
    root = roots[0]
    response = page.goto(f"/org/units/{root.pk}/")
    assert response.status == 200
    assert page.locator("main h1").inner_text().startswith(root.name)
    add_staff = page.locator(f"main a[href='/org/units/{root.pk}/add-staff']")
    assert add_staff.count() == int(expect.can_add_staff)
    page_for.shot(page, "unit")

    response = page.goto("/audit/")
    assert response.status == (200 if expect.can_audit else 403)
    if expect.can_audit:
        assert page.locator("main table tbody tr").count() >= 1
        # The fixtures' writes (units, staff, grants) are all in the log.
        actions = set(page.locator("main table tbody td code").all_inner_texts())
        assert {"org.unit.create", "org.staff.create"} <= actions
        page_for.shot(page, "audit")


def test_cashier_sees_her_own_record_and_nothing_else(page_for, people, org):
    page = page_for(people.cashier)
    own = org.cashier_staff
    assert page.locator("main a[href^='/org/units/']").count() == 0
    assert page.locator(f"main a[href='/org/staff/{own.pk}/']").count() == 1
    assert page.locator("#main-nav a[href='/org/']").count() == 0
    page_for.shot(page, "home")

    assert page.goto("/org/").status == 403
    assert page.locator("#org-tree").count() == 0
    page_for.shot(page, "tree-403")

    page.goto("/")
    page.click(f"main a[href='/org/staff/{own.pk}/']")
    page.wait_for_url(page_for.url(f"/org/staff/{own.pk}/"))
    assert page.locator("main h1").inner_text().startswith("李娜")
    # Her own unit is not hers to browse, nor are her colleagues.
    assert page.locator("main .actions a").count() == 0
    page_for.shot(page, "own-record")
    colleague = org.s1_staff[1]
    assert page.goto(f"/org/staff/{colleague.pk}/").status == 404
    assert page.goto(f"/org/units/{org.s1.pk}/").status == 404
    assert page.goto("/audit/").status == 403


def test_every_door_to_another_units_data_is_closed(page_for, people, org):
    page = page_for(people.store)
    s1, s3 = org.s1, org.s3
    own_staff, other_staff = org.s1_staff[1], org.s3_staff[0]
    doors = [
        "/org/units/{unit}/",
        "/org/units/{unit}/children",
        "/org/units/{unit}/add-staff",
        "/org/staff/{staff}/",
        "/org/staff/{staff}/move",
        "/org/staff/{staff}/leave",
        "/api/v1/org/units/{unit}",
        "/api/v1/org/staff/{staff}",
    ]
    for door in doors:
        # Open for his own store (so a 404 below is about scope, not a broken URL) …
        own = door.format(unit=s1.pk, staff=own_staff.pk)
        assert page.request.get(page_for.url(own)).status == 200, own
        # … and for another region's store it is as if the record did not exist.
        other = door.format(unit=s3.pk, staff=other_staff.pk)
        response = page.goto(other)
        assert response.status == 404, other
        body = page.content()
        assert "天河店" not in body and other_staff.name not in body, other

    own_export = page.request.get(page_for.url(f"/org/units/{s1.pk}/staff.xlsx"))
    assert own_export.status == 200
    assert own_export.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert page.request.get(page_for.url(f"/org/units/{s3.pk}/staff.xlsx")).status == 404

    # A forged POST from a page of the app, with a valid CSRF token.
    page.goto(f"/org/units/{s1.pk}/")
    post = """async ([url, no, position]) => {
        const token = document.querySelector('input[name=csrfmiddlewaretoken]').value;
        const body = new URLSearchParams({employee_no: no, name: '入侵者', position,
            start_date: '2024-01-02', phone: '', email: ''});
        const r = await fetch(url, {method: 'POST', body, headers: {'X-CSRFToken': token},
                                    redirect: 'manual'});
        return r.status;
    }"""
    position = str(org.cashier_position.pk)
    before = Staff.objects.count()
    # Control: the same request to his own store works (302 after a successful POST) …
    status = page.evaluate(post, [f"/org/units/{s1.pk}/add-staff", "E100", position])
    assert status in (0, 302), status  # an opaque redirect reads as 0 with redirect: 'manual'
    assert Staff.objects.filter(employee_no="E100", unit=s1).exists()
    # … and to the other store it answers 404 and creates nothing.
    status = page.evaluate(post, [f"/org/units/{s3.pk}/add-staff", "E101", position])
    assert status == 404
    assert Staff.objects.count() == before + 1
    assert not Staff.objects.filter(employee_no="E101").exists()
    assert not Staff.objects.filter(unit=s3, name="入侵者").exists()
