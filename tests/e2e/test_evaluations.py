"""Evaluations in the browser: the run page with its charts under the strict CSP, a scorecard's
drill-down, the bulletin with its service star, a cashier's appeal from her phone, and the
scheme editor's messages."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from sqms.core.periods import PeriodKind, period_previous
from sqms.evaluations import services
from sqms.evaluations.models import Appeal, SchemeVersion, Scorecard
from sqms.metrics.models import Kpi
from sqms.metrics.services import measurement_record
from sqms.org import services as org_services
from sqms.packs.loader import pack_load
from tests.evaluations.factories import complaint

pytestmark = pytest.mark.e2e
SH = dt.timezone(dt.timedelta(hours=8))


def _month():  # type: ignore[no-untyped-def]
    return period_previous(PeriodKind.MONTH, timezone.now().astimezone(SH).date())


@pytest.fixture
def evaluated(org, people):  # type: ignore[no-untyped-def]
    """Last month under the retail-chain pack: S1 has five cashiers (one service star); the
    cashier (E1) had two substantiated complaints, her colleague E2 none and 6 votes; S3's
    cashier one complaint."""
    pack_load("retail-chain")
    month = _month()
    at = dt.datetime.combine(month.start + dt.timedelta(days=4), dt.time(11), tzinfo=SH)
    complaint(org.cashier_staff, at)
    complaint(org.cashier_staff, at + dt.timedelta(days=3))
    complaint(org.s3_staff[0], at + dt.timedelta(days=5))
    for no, name in (("E4", "周敏"), ("E5", "吴静"), ("E6", "郑丽")):
        org_services.staff_create(
            actor=None,
            employee_no=no,
            name=name,
            unit=org.s1,
            position=org.cashier_position,
            start_date=dt.date(2020, 1, 1),
        )
    kpi = Kpi.objects.get(code="service-star-votes")
    for staff, n in ((org.s1_staff[1], 6), (org.cashier_staff, 1)):
        measurement_record(
            actor=None,
            kpi=kpi,
            period_start=month.start,
            period_end=month.end,
            numerator=Decimal(n),
            staff=staff,
        )
    version = SchemeVersion.objects.get(scheme__code="cashier-monthly", state="active")
    run = services.run_start(
        actor=None, version=version, period=month.label, scope=org.hq, enqueue=False
    )
    return services.run_compute(run.pk)


def test_run_page_charts_and_drill_down(page_for, people, org, evaluated):  # type: ignore[no-untyped-def]
    page = page_for(people.quality)
    page.goto(f"/evaluations/runs/{evaluated.pk}/")
    page.locator("[data-chart='ranking'] .main-svg").first.wait_for()
    page.locator("[data-chart='distribution'] .main-svg").first.wait_for()
    assert page.locator("#ranking tbody tr").count() == 6
    assert page_for.problems(page) == []
    page_for.shot(page, "run")
    page.click("#ranking a:has-text('李娜')")
    page.locator("#lines").wait_for()
    assert page.locator("#total").inner_text() == "70"
    assert page.locator("#lines a[href^='/complaints/']").count() == 2
    page_for.shot(page, "scorecard")
    page.goto(f"/evaluations/runs/{evaluated.pk}/bulletin/")
    assert page.locator(".draft-banner").count() == 1


def test_cashier_appeals_from_her_phone(page_for, people, org, evaluated):  # type: ignore[no-untyped-def]
    services.run_open_appeals(actor=people.quality, run=evaluated)
    mine = Scorecard.objects.get(run=evaluated, staff=org.cashier_staff)
    other = Scorecard.objects.get(run=evaluated, staff=org.s1_staff[1])
    page = page_for(people.cashier, phone=True)
    page.goto("/evaluations/")
    page.click(f"a[href='/evaluations/scorecards/{mine.pk}/']")
    page.locator("#lines").wait_for()
    page.click("#lines details summary")
    page.fill("#lines textarea[name=reason]", "第二起投诉当天我休息，请核对排班。")
    page_for.shot(page, "appeal-form")
    page.click("#lines button:has-text('提交申诉')")
    page.locator(".msg-success").wait_for()
    appeal = Appeal.objects.get()
    assert (appeal.scorecard_id, appeal.state) == (mine.pk, "pending")
    page_for.shot(page, "appeal-filed")
    assert page.goto(f"/evaluations/scorecards/{other.pk}/").status == 404
    assert page.goto(f"/evaluations/runs/{evaluated.pk}/").status == 404


def test_bulletin_with_service_star(page_for, people, org, evaluated):  # type: ignore[no-untyped-def]
    run = services.run_open_appeals(actor=people.quality, run=evaluated)
    type(run).objects.filter(pk=run.pk).update(
        appeal_deadline=timezone.now() - dt.timedelta(minutes=1)
    )
    run.refresh_from_db()
    run = services.run_review(actor=people.quality, run=run)
    run = services.run_approve(actor=people.quality, run=run)
    page = page_for(people.quality)
    page.goto(f"/evaluations/runs/{run.pk}/")
    page.select_option("select[name=audience]", "all")
    page.click("button:has-text('发布通报')")
    page.locator(".msg-success").wait_for()
    page = page_for(people.cashier)
    page.goto(f"/evaluations/runs/{run.pk}/bulletin/")
    assert "王芳" in page.locator("#stars").inner_text()
    assert page_for.problems(page) == []
    page_for.shot(page, "bulletin")


def test_scheme_editor_shows_every_problem(page_for, people, org):  # type: ignore[no-untyped-def]
    pack_load("retail-chain")
    page = page_for(people.quality)
    page.goto("/evaluations/schemes/cashier-monthly/")
    spec = page.locator("textarea[name=spec]").input_value()
    page.fill(
        "textarea[name=spec]", spec.replace("max: 40", "max: 30").replace("points: 15", "points: 0")
    )
    page.click("button[name=check]")
    page.locator("#problems").wait_for()
    text = page.locator("#problems").inner_text()
    assert "components.0.rules.0.points: 无效规则：该规则永远不会扣分" in text
    assert "components: 各项目满分合计为 90，与满分制 100 不符" in text
    page_for.shot(page, "scheme-problems")


def test_run_page_shows_progress_while_computing(page_for, people, org):  # type: ignore[no-untyped-def]
    from sqms.evaluations.models import Run

    pack_load("retail-chain")
    version = SchemeVersion.objects.get(scheme__code="cashier-monthly", state="active")
    run = services.run_start(
        actor=None, version=version, period=_month().label, scope=org.hq, enqueue=False
    )
    Run.objects.filter(pk=run.pk).update(status="running", done=1200, total=4800)
    page = page_for(people.quality)
    page.goto(f"/evaluations/runs/{run.pk}/")
    assert page.locator("#progress progress").get_attribute("value") == "25"
    with page.expect_response(lambda r: r.url.endswith(f"/evaluations/runs/{run.pk}/progress")):
        pass
    page_for.shot(page, "progress")
    assert page_for.problems(page) == []
