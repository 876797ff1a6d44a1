"""Inspections in the browser: the inspector on a phone (draft saved item by item, the live
score, a camera photo, submit when complete); the store manager, who cannot see a mystery-shopper
result until it is published; the quality manager drawing a sample twice with the same seed and
reading the daily QC report and the analysis."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from sqms.inspections import services
from sqms.inspections.models import Inspection, Kind, Photo, SampleDraw, Status
from sqms.packs.loader import pack_load
from tests.inspections.factories import PNG, fill, mini_template, photo


def page_width(page: Any) -> int:
    return int(page.evaluate("document.documentElement.scrollWidth"))


def score_text(page: Any) -> str:
    return page.locator("#score [data-score]").inner_text().strip()


def test_inspector_fills_an_inspection_on_his_phone(page_for, org, people, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    template = mini_template(None)
    page = page_for(people.inspector, phone=True)
    page.goto("/inspections/new/")
    page.select_option("#id_template", str(template.pk))
    page.select_option("#id_unit", str(org.s1.pk))
    page.fill("#id_area", "收银区")
    page.click("main form button[type=submit]")
    page.wait_for_url("**/fill/")
    inspection = Inspection.objects.get()
    assert score_text(page) == "30"
    assert page_width(page) <= 391
    a1 = page.locator("article.qitem").nth(0)
    plus = a1.locator("button[value=more]")
    box = plus.bounding_box()
    assert box["height"] >= 48  # a thumb, not a mouse pointer
    plus.click()
    expect(page.locator("#score [data-score]")).to_have_text("28")
    a1.locator("button[value=more]").click()
    expect(page.locator("#score [data-score]")).to_have_text("26")
    assert "−4" in page.locator("article.qitem").nth(0).inner_text()
    # The item needing a photo: +1, then the camera input (here a file chooser).
    a2 = page.locator("article.qitem").nth(1)
    a2.locator("button[value=more]").click()
    expect(page.locator("#score [data-score]")).to_have_text("25")
    # The item's card is swapped in by the same answer: wait for it, or the photo would go to
    # the input being replaced (and never be sent).
    expect(a2).to_contain_text("−1")
    page.wait_for_load_state("networkidle")
    file = tmp_path / "finding.png"
    file.write_bytes(PNG)
    with page.expect_response(lambda r: "/photos/" in r.url and r.request.method == "POST"):
        page.locator("article.qitem").nth(1).locator("input[type=file]").set_input_files(str(file))
    page.locator("article.qitem").nth(1).locator(".thumbs img").wait_for()
    assert Photo.objects.get().answer.item.code == "A2"
    # Saved as it goes: a reload shows the same draft.
    page.reload()
    assert score_text(page) == "25"
    page_for.shot(page, "phone-draft")
    page.click("#submit form:last-child button")
    assert page.locator("#errors").count() == 1  # A3, B1, B2 not answered yet
    page.click("#submit form:first-child button")
    page.wait_for_load_state()
    page.click("#submit form:last-child button")
    page.wait_for_url(f"**/inspections/{inspection.pk}/")
    assert Inspection.objects.get().status == Status.SUBMITTED
    assert Inspection.objects.get().score == 25
    page_for.shot(page, "phone-submitted")
    assert page_width(page) <= 391
    assert page_for.problems(page) == []


def test_store_manager_sees_a_mystery_shopper_result_only_once_published(
    page_for, org, people, tmp_path, settings
):
    settings.MEDIA_ROOT = tmp_path
    template = mini_template(None, code="mystery", kind="mystery")
    inspection = services.inspection_start(
        actor=people.inspector, template=template, unit=org.s1, kind=Kind.MYSTERY
    )
    inspection = fill(inspection, people.inspector, A1=1)
    services.photo_add(
        actor=people.inspector, inspection=inspection, file=photo(), role=Photo.Role.RECEIPT
    )
    services.inspection_submit(actor=people.inspector, inspection=inspection)
    store = page_for(people.store)
    response = store.goto(f"/inspections/{inspection.pk}/")
    assert response.status == 404
    store.goto("/inspections/?tab=")
    assert store.locator("table.table tbody tr td.muted").count() == 1  # nothing listed
    quality = page_for(people.quality)
    quality.goto(f"/inspections/{inspection.pk}/")
    quality.click("form[action$='/publish/'] button")
    quality.wait_for_load_state()
    response = store.goto(f"/inspections/{inspection.pk}/")
    assert response.status == 200
    assert "28" in store.locator(".scorebar").inner_text()
    page_for.shot(store, "published-mystery")


def test_quality_manager_draws_twice_and_reads_the_daily_report(page_for, org, people):
    pack_load("retail-chain")
    plan = services.plan_save(
        actor=None,
        code="stores-5",
        name="5% stratified",
        template=mini_template(None),
        unit=org.hq,
        population="unit",
        unit_kind="store",
        period="month",
        rate=Decimal("0.05"),
        stratify="unit",
    )
    page = page_for(people.quality)
    samples = []
    for _i in range(2):
        page.goto(f"/inspections/plans/{plan.pk}/")
        page.fill("#d-seed", "2026-06")
        page.click("main form button[type=submit]")
        page.wait_for_url("**/draws/**")
        samples.append(page.locator("#sample tbody").inner_text())
    assert samples[0] == samples[1]
    draws = list(SampleDraw.objects.order_by("pk"))
    assert [d.seed for d in draws] == ["2026-06", "2026-06"]
    assert list(draws[0].entries.values_list("unit_id", flat=True)) == list(
        draws[1].entries.values_list("unit_id", flat=True)
    )
    page_for.shot(page, "sample")
    store_check = services.inspection_start(
        actor=people.quality,
        template=__import__(
            "sqms.inspections.models", fromlist=["x"]
        ).ChecklistTemplate.objects.get(code="store-service"),
        unit=org.s1,
        visited_at=(visited := timezone.now() - dt.timedelta(minutes=5)),
    )
    services.inspection_submit(
        actor=people.quality, inspection=fill(store_check, people.quality, A3=1, D1=2)
    )
    # The visit's own day: in the first 5 minutes after midnight it is yesterday.
    page.goto(f"/inspections/report/daily/?unit={org.s1.pk}&day={timezone.localdate(visited)}")
    assert page.locator("main .card").count() == 1
    page_for.shot(page, "daily-report")
    page.goto("/inspections/dashboard/")
    page.locator("[data-chart=distribution] .main-svg").first.wait_for()
    page_for.shot(page, "dashboard")
    assert page_for.problems(page) == []


pytestmark = pytest.mark.e2e
