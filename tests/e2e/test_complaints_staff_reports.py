"""The quality manager's dashboard (filters, Plotly charts under the strict CSP, the Excel
export) and the stores' monthly registers (submitted by the store managers, one of them a
zero-complaint record, seen and exported by the region), in the browser."""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from sqms.common.models import AuditEntry
from sqms.complaints import services
from sqms.complaints.models import MonthlyRegister
from sqms.org.roles import Role
from sqms.packs.loader import pack_load
from tests.conftest import make_user
from tests.e2e.complaint_steps import NOW, messages, register, sh, zh

pytestmark = pytest.mark.e2e

CHARTS = ["volume", "pareto", "units", "sla", "staff", "follow_up"]


@pytest.fixture
def pack(org: Any) -> None:
    pack_load("retail-chain")


@pytest.fixture
def history(org: Any, people: Any, pack: None, time_machine: Any) -> dict[str, Any]:
    """Complaints of May and June 2026, each registered (and one handled) at its own time;
    then time stands still at 10:00 on Tuesday 9 June."""

    def at(when: dt.datetime) -> None:
        time_machine.move_to(when, tick=False)

    store, lina = people.store, org.cashier_staff
    made: dict[str, Any] = {}
    at(sh(2026, 5, 12, 10))
    made["may_s1"] = register(org, channel="slip", category="other", description="意见箱：停车难。")
    at(sh(2026, 5, 20, 10))
    made["may_s3"] = register(org, unit=org.s3, description="天河店收银员态度差。")
    at(sh(2026, 6, 2, 10))
    made["handled"] = register(org, staff=lina, description="收银员李娜结账时态度恶劣。")
    at(sh(2026, 6, 2, 11))
    c = made["handled"]
    services.complaint_verify(complaint=c, actor=store, substantiated=True, finding="属实。")
    services.complaint_reply(complaint=c, actor=store, reply="已道歉。", improvement="培训。")
    at(sh(2026, 6, 3, 10))
    services.complaint_follow_up(complaint=c, actor=store, satisfaction="satisfied", accepted=True)
    made["ignored"] = register(org, category="attitude-ignore", description="服务台无人理睬。")
    at(sh(2026, 6, 4, 10))
    made["slow"] = register(
        org, unit=org.s2, channel="hotline", category="service-speed", description="排队太久。"
    )
    at(sh(2026, 6, 5, 10))
    made["dirty"] = register(
        org, unit=org.s3, channel="web", category="environment-clean", description="地面很脏。"
    )
    at(NOW)
    return made


def kpis(page: Any) -> list[str]:
    return page.locator(".kpis .kpi-value").all_inner_texts()


def period(page: Any) -> str:
    return page.locator("#dashboard p.period").inner_text().split(" · ")[0]


def figure(page: Any, chart: str) -> dict[str, Any]:
    return json.loads(page.locator(f"[data-chart={chart}]").get_attribute("data-figure"))


def drawn(page: Any) -> list[str]:
    """The charts Plotly has drawn (an svg inside the chart element)."""
    return page.locator("[data-chart]:has(svg.main-svg)").evaluate_all(
        "els => els.map(e => e.dataset.chart)"
    )


def show(page: Any, **choices: str) -> None:
    """Choose filters and press Show: the dashboard is swapped in place (htmx), then drawn."""
    for name, value in choices.items():
        page.select_option(f"#id_{name}", value)
    page.evaluate("document.querySelector('#dashboard p.period').dataset.old = '1'")
    with page.expect_response(lambda r: "/complaints/dashboard/?" in r.url):
        page.click("form.dash-filters button[type=submit]")
    wait_drawn(page)


def wait_drawn(page: Any, *, fresh: bool = True) -> None:
    """Until the new content is in (when `fresh`) and every chart is drawn or says it is
    empty."""
    page.wait_for_function(
        """fresh => (!fresh || document.querySelector('#dashboard p.period:not([data-old])')) &&
            [...document.querySelectorAll('#dashboard [data-chart]')].every(
                e => e.classList.contains('empty') || e.querySelector('svg.main-svg'))""",
        arg=fresh,
    )


def fits(page: Any) -> bool:
    """Nothing sticks out of the page sideways."""
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


def workbook(download: Any) -> Any:
    """The downloaded file opened as Excel would (openpyxl reads it from its bytes)."""
    return openpyxl.load_workbook(io.BytesIO(Path(download.path()).read_bytes()))


def test_the_quality_manager_filters_the_dashboard_and_exports_it(page_for, org, people, history):
    page = page_for(people.quality)
    page.goto("/complaints/")
    page.click(f"main nav.subnav a:text-is('{zh('Analysis')}')")
    page.wait_for_url(page_for.url("/complaints/dashboard/"))
    wait_drawn(page)
    assert period(page) == zh(
        "Complaints received from %(start)s to %(end)s", start="2026-06-01", end="2026-06-09"
    )
    # Received 4, open 3; late now 5 (whenever received: May's two as well); the handled one
    # replied in time, its visit satisfied.
    assert kpis(page) == ["4", "3", "5", "100.0%", "100.0%"]
    assert drawn(page) == CHARTS
    assert page.locator("[data-chart].empty").count() == 0
    # Bars from the bottom up: the most complaints on top (ties in unit order).
    assert figure(page, "units")["data"][0]["y"] == ["天河店", "浦东店", "徐汇店"]
    assert figure(page, "staff")["data"][0]["y"] == ["李娜 (E1)"]
    page_for.shot(page, "dashboard")

    show(page, period="last_month")
    assert page.url == page_for.url(
        "/complaints/dashboard/?period=last_month&date_from=&date_to=&unit=&channel=&category="
    )
    assert period(page) == zh(
        "Complaints received from %(start)s to %(end)s", start="2026-05-01", end="2026-05-31"
    )
    assert kpis(page)[:3] == ["2", "2", "5"]

    # The region's subtree: its two stores, not the other region's.
    show(page, period="this_month", unit=str(org.r1.pk))
    assert kpis(page)[:3] == ["3", "2", "3"]
    assert figure(page, "units")["data"][0]["y"] == ["浦东店", "徐汇店"]
    assert "天河店" not in page.locator("#dashboard .dash-matrix").inner_text()
    show(page, channel="hotline")
    assert kpis(page)[:3] == ["1", "1", "1"]
    show(page, channel="", category="attitude")
    assert kpis(page)[:3] == ["2", "1", "1"]
    assert figure(page, "pareto")["data"][0]["x"] == ["服务态度"]
    assert drawn(page) == CHARTS
    page_for.shot(page, "dashboard-filtered")

    link = page.locator("a[href^='/complaints/dashboard/export.xlsx']")
    assert link.get_attribute("href") == (
        "/complaints/dashboard/export.xlsx?period=this_month&date_from=2026-06-01"
        f"&date_to=2026-06-09&unit={org.r1.pk}&channel=&category=attitude"
    )
    with page.expect_download() as download:
        link.click()
    assert download.value.suggested_filename == "complaints-20260601-20260609.xlsx"
    wb = workbook(download.value)
    summary = [list(r) for r in wb[zh("Summary")].iter_rows(values_only=True)]
    assert summary == [
        [zh("Figure"), zh("Value")],
        [zh("From"), dt.datetime(2026, 6, 1)],
        [zh("To"), dt.datetime(2026, 6, 9)],
        [zh("Unit"), "R1 华东区"],
        [zh("Channel"), zh("All channels")],
        [zh("Category"), "服务态度"],
        [zh("Complaints received"), 2],
        [zh("Still open"), 1],
        [zh("Late now"), 1],
        [zh("Replied in time"), 1],
        [zh("Satisfied or basically satisfied"), 1],
    ]
    units = [list(r) for r in wb[zh("Units")].iter_rows(values_only=True)]
    assert units == [[zh("Code"), zh("Unit"), zh("Number of complaints")], ["S1", "徐汇店", 2]]
    staff = [list(r) for r in wb[zh("Staff")].iter_rows(values_only=True)]
    assert staff[1:] == [["E1", "李娜", "徐汇店", 1]]
    assert fits(page)

    # Back: the previous filters' figures, drawn again as they were.
    page.go_back()
    page.wait_for_url(lambda url: "channel=hotline" in url)
    wait_drawn(page, fresh=False)
    assert kpis(page)[:3] == ["1", "1", "1"]
    assert drawn(page) == ["volume", "pareto", "units"]  # nothing stopped, verified or visited
    assert fits(page)
    page_for.shot(page, "dashboard-back")
    # The strict CSP let everything run: no refused script or style, no error.
    assert page_for.problems(page) == []


def test_the_stores_submit_last_months_registers_and_the_region_exports_one(
    page_for, org, people, history
):
    store2 = make_user("store2", Role.UNIT_MANAGER, org.s2)
    page = page_for(people.store)
    page.goto("/complaints/")
    page.click(f"main nav.subnav a:text-is('{zh('Monthly registers')}')")
    assert page.locator("main h1").inner_text() == zh(
        "Monthly complaint registers, %(m)s", m="2026-05"
    )
    rows = page.locator("table.registers tbody tr")
    assert rows.count() == 1  # his own store only
    assert rows.locator("td").nth(0).inner_text() == "徐汇店 S1"
    assert rows.locator("td").nth(2).inner_text() == "1"
    assert rows.locator("td").nth(4).inner_text() == "2026-06-13"
    with page.expect_navigation():
        rows.locator("button[type=submit]").click()  # open: the register is compiled
    register_s1 = MonthlyRegister.objects.get(unit=org.s1)
    assert page.url == page_for.url(f"/complaints/registers/{register_s1.pk}/")
    lines = page.locator("table.register tbody tr")
    assert lines.count() == 1
    assert history["may_s1"].ref in lines.inner_text()
    assert "王**" in lines.inner_text() and "139****5678" in lines.inner_text()
    page_for.shot(page, "register-s1")
    page.fill("#id_note", "五月份共一件投诉，已处理。")
    with page.expect_navigation():
        page.click(f"main button:text-is('{zh('Submit the register')}')")
    assert messages(page) == [zh("The register was submitted on time.")]
    assert page.locator("main h1 .badge").first.inner_text() == zh("Submitted")
    register_s1.refresh_from_db()
    assert (register_s1.state, register_s1.late, register_s1.submitted_by) == (
        "submitted",
        False,
        people.store,
    )
    assert register_s1.submitted_at == NOW
    assert register_s1.note == "五月份共一件投诉，已处理。"

    # Pudong had no complaint in May: its manager submits the zero-complaint record.
    page2 = page_for(store2)
    page2.goto("/complaints/registers/")
    row = page2.locator("table.registers tbody tr")
    assert row.locator("td").nth(0).inner_text() == "浦东店 S2"
    assert row.locator("td").nth(2).inner_text() == f"0 {zh('zero-complaint record')}"
    with page2.expect_navigation():
        row.locator("button[type=submit]").click()
    assert (
        page2.locator("main h1")
        .inner_text()
        .startswith(zh("Monthly record of quality service 《门店优质服务月记录》"))
    )
    assert page2.locator("p.zero-record").count() == 1
    page_for.shot(page2, "register-zero")
    with page2.expect_navigation():
        page2.click(f"main button:text-is('{zh('Submit the register')}')")
    assert messages(page2) == [zh("The register was submitted on time.")]
    register_s2 = MonthlyRegister.objects.get(unit=org.s2)
    assert (register_s2.state, register_s2.submitted_by) == ("submitted", store2)

    # The region sees both stores' registers submitted, and exports one.
    region = page_for(people.region)
    region.goto("/complaints/registers/?month=2026-05")
    cells = [
        [c.strip() for c in r.locator("td").all_inner_texts()[:4]]
        for r in region.locator("table.registers tbody tr").all()
    ]
    submitted = f"{zh('Submitted')} 2026-06-09 10:00"
    assert cells == [
        ["徐汇店 S1", "华东区", "1", submitted],
        ["浦东店 S2", "华东区", f"0 {zh('zero-complaint record')}", submitted],
    ]
    page_for.shot(region, "registers-region")
    region.locator("table.registers tbody tr").first.locator("a").click()
    region.wait_for_url(page_for.url(f"/complaints/registers/{register_s1.pk}/"))
    assert not AuditEntry.objects.filter(action="personal_data.view").exists()
    with region.expect_download() as download:
        region.click(f"main a:text-is('{zh('Export to Excel')}')")
    assert download.value.suggested_filename == "register-S1-2026-05.xlsx"
    ws = workbook(download.value).active
    rows_out = [list(r) for r in ws.iter_rows(values_only=True)]
    assert rows_out[0][0] == "顾客投诉意见登记表"
    line = rows_out[4]
    may = history["may_s1"]
    assert line == [
        1,
        dt.datetime(2026, 5, 12),
        "10:00",
        "王先生",  # the region may see personal data; the export is logged
        "13912345678",
        "意见箱：停车难。",
        None,
        "其他",
        None,
        None,
        may.ref,
    ]
    entry = AuditEntry.objects.get(action="personal_data.view")
    assert (entry.actor, entry.target_id) == (people.region, str(may.pk))
    assert page_for.problems(region) == []
