"""Each pack's evaluation section loaded and evaluated on a worked example computed by hand.
The comments give the arithmetic; the assertions compare SQMS's scorecards with it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from django.utils import translation

from sqms.evaluations import services
from sqms.evaluations.models import Scheme, SchemeVersion, Scorecard, UnitResult
from sqms.inspections import services as insp
from sqms.inspections.models import ChecklistTemplate, Kind, Photo
from sqms.metrics.models import Kpi, Measurement
from sqms.org import services as org_services
from sqms.org.models import OrgUnit, Position, Staff, UnitKind
from sqms.packs.loader import pack_load
from tests.evaluations.factories import complaint, sh
from tests.inspections.factories import fill, photo


@pytest.fixture(autouse=True)
def _english():  # type: ignore[no-untyped-def]
    with translation.override("en"):
        yield


def hire(unit: OrgUnit, no: str, name: str, position: str) -> Staff:
    return org_services.staff_create(
        actor=None,
        employee_no=no,
        name=name,
        unit=unit,
        position=Position.objects.get(code=position),
        start_date=dt.date(2020, 1, 1),
    )


def measure(code: str, staff: Staff | None, start: dt.date, end: dt.date, num, den=None, unit=None):  # type: ignore[no-untyped-def]
    from sqms.metrics.services import measurement_record

    return measurement_record(
        actor=None,
        kpi=Kpi.objects.get(code=code),
        period_start=start,
        period_end=end,
        numerator=D(str(num)),
        denominator=D(str(den)) if den is not None else None,
        staff=staff,
        unit=unit,
    )


def run_of(code: str, period: str, scope: OrgUnit):  # type: ignore[no-untyped-def]
    version = SchemeVersion.objects.get(scheme__code=code, state="active")
    run = services.run_start(actor=None, version=version, period=period, scope=scope, enqueue=False)
    return services.run_compute(run.pk)


def card(run, staff=None, unit=None) -> Scorecard:  # type: ignore[no-untyped-def]
    if staff is not None:
        return Scorecard.objects.get(run=run, staff=staff)
    return Scorecard.objects.get(run=run, unit=unit, staff__isnull=True)


NOV = (dt.date(2026, 11, 1), dt.date(2026, 11, 30))


def test_every_pack_loads_its_schemes(db) -> None:  # type: ignore[no-untyped-def]
    for name in (
        "retail-chain",
        "tobacco-retail",
        "property-management",
        "call-centre",
        "functional-departments",
        "logistics-quarterly",
    ):
        pack_load(name)
    assert sorted(Scheme.objects.values_list("code", flat=True)) == [
        "call-centre-monthly",
        "cashier-monthly",
        "functional-monthly",
        "logistics-quarterly",
        "property-monthly",
        "store-manager-monthly",
        "tobacco-customer-manager",
        "tobacco-delivery",
        "tobacco-monopoly-admin",
    ]
    assert SchemeVersion.objects.filter(state="active").count() == 9
    pack_load("retail-chain")  # again: nothing changed, no new version
    assert SchemeVersion.objects.count() == 9


def test_retail_chain_cashiers_with_ladder_and_tied_stars(org, people) -> None:  # type: ignore[no-untyped-def]
    """S2 has 9 cashiers → ⌊9/5⌋ = 1 star.
    C1: 5 complaints, 1 found not substantiated → 4 × 15 = 60 → complaints 0; no mystery visit →
        conduct 40; total 40.0 (不合格); ladder 4 → −100 yuan.
    C2: no complaint, 10 votes, score 100.0.
    C3: 12 votes, but a complaint still being verified → not eligible; score 100.0 (it is not
        substantiated yet) and ladder 0 → +30.
    C4: no complaint, 10 votes; a mystery visit of 50 points with one −2 on M1 → 96% → conduct
        40 × 0.96 = 38.4 → 98.4 (优秀).
    C2 and C4 tie on 10 votes at the cut-off: the pack settles it by the higher score → C2 alone,
    +100 yuan on top of the ladder's +30 = 130."""
    pack_load("retail-chain")
    c = [hire(org.s2, f"C{i}", f"收银员{i}", "cashier") for i in range(1, 10)]
    for day in (2, 3, 4, 5):
        complaint(c[0], sh(2026, 11, day))
    complaint(c[0], sh(2026, 11, 6), substantiated=False)
    complaint(c[2], sh(2026, 11, 7), substantiated=None)
    for i, n in enumerate([0, 10, 12, 10, 8, 6, 3, 1, 0]):
        measure("service-star-votes", c[i], *NOV, n)
    template = ChecklistTemplate.objects.get(code="store-mystery")
    visit = insp.inspection_start(
        actor=people.inspector,
        template=template,
        staff=c[3],
        kind=Kind.MYSTERY,
        visited_at=sh(2026, 11, 12, 15),
    )
    visit = fill(visit, people.inspector, M1=1)
    insp.photo_add(
        actor=people.inspector, inspection=visit, file=photo("r.png"), role=Photo.Role.RECEIPT
    )
    insp.inspection_submit(actor=people.inspector, inspection=visit)
    run = run_of("cashier-monthly", "2026-11", org.s2)
    c1, c2, c3, c4 = (card(run, s) for s in c[:4])
    assert (c1.total, c1.grade, c1.amount) == (D("40.0"), "fail", D(-100))
    assert c1.outcomes["ladder"] == {"count": 4, "amount": "-100", "outcome": ""}
    assert (c2.total, c2.star, c2.amount) == (D("100.0"), True, D(130))
    assert (c3.total, c3.star, c3.amount) == (D("100.0"), False, D(30))
    assert c3.outcomes["star"]["eligible"] is False
    assert (c4.total, c4.grade, c4.star) == (D("98.4"), "excellent", False)
    assert c2.outcomes["star"]["note"] == "tie at the cut-off: settled by the higher score"
    assert Scorecard.objects.filter(run=run, star=True).count() == 1
    conduct = c4.lines.get(component="conduct")
    assert (conduct.points, conduct.inputs["value"]) == (D("1.6"), "96.00")
    mean = UnitResult.objects.get(run=run, unit=org.s2, level=1).mean
    # (40 + 100 + 100 + 98.4 + 5 × 100) / 9 = 838.4 / 9 = 93.16
    assert mean == D("93.16")


def test_retail_chain_five_complaints_ladder_dismissal(org) -> None:  # type: ignore[no-untyped-def]
    pack_load("retail-chain")
    for day in range(1, 6):
        complaint(org.cashier_staff, sh(2026, 11, day))
    run = run_of("cashier-monthly", "2026-11", org.s1)
    c = card(run, org.cashier_staff)
    assert (c.total, c.outcomes["ladder"]) == (
        D("40.0"),
        {"count": 5, "amount": "-100", "outcome": "dismissal_review"},
    )


def test_tobacco_delivery_worked_example(org, people) -> None:  # type: ignore[no-untyped-def]
    """Delivery staff D1, first half of 2026, in department 配送一部 (head H1):
    standard: one sampled visit, 20-point section, −2 on item 2 and −1 on item 1.1 → 17 (85%)
        → 20 × 0.85 = 17;
    improvement (40): on time 97.2% → ⌈2.8⌉ × 2 = 6; breakage 0.15‰ → ⌈0.05 / 0.1⌉ × 3 = 3;
        route plan done; no breach, no accident → 40 − 9 = 31;
    complaints (20): 3 substantiated → −6 → 14;
    satisfaction (30): no survey answered → no deduction → 30;
    Σ 17 + 31 + 14 + 30 = 92 of 110 → 92 × 100 / 110 = 83.64 (未达标); below 85 by 1.36 → D1
    loses ⌈1.36⌉ = 2 on his assessment, and so does the head (the department's mean is his)."""
    pack_load("tobacco-retail")
    dept = org_services.unit_create(
        actor=None, code="PS1", name="配送一部", kind=UnitKind.DEPARTMENT, parent=org.hq
    )
    d1 = hire(dept, "D1", "送货员甲", "delivery_staff")
    hire(dept, "H1", "部长乙", "department_head")
    h1 = (dt.date(2026, 1, 1), dt.date(2026, 6, 30))
    measure("tobacco-on-time", d1, *h1, "97.2", 100)
    measure("tobacco-breakage", d1, *h1, 3, 20000)
    measure("tobacco-route-plan", d1, *h1, 1)
    for day in (3, 4, 5):
        complaint(d1, sh(2026, 3, day))
    template = ChecklistTemplate.objects.get(code="tobacco-delivery")
    visit = insp.inspection_start(
        actor=people.inspector,
        template=template,
        staff=d1,
        kind=Kind.VISIT,
        visited_at=sh(2026, 6, 10, 10),
    )
    insp.inspection_submit(
        actor=people.inspector, inspection=fill(visit, people.inspector, **{"2": 1, "1.1": 1})
    )
    run = run_of("tobacco-delivery", "2026-H1", org.hq)
    c = card(run, d1)
    assert [(p["code"], D(p["points"])) for p in c.components] == [
        ("standard", D(17)),
        ("improvement", D(31)),
        ("complaints", D(14)),
        ("satisfaction", D(30)),
    ]
    assert (c.raw_total, c.total, c.grade) == (D(92), D("83.64"), "below")
    assert c.outcomes["threshold"] == {"below": "85", "deduction": "2"}
    dept_result = UnitResult.objects.get(run=run, unit=dept, level=1)
    assert (dept_result.mean, dept_result.head.employee_no, dept_result.head_deduction) == (
        D("83.64"),
        "H1",
        D(2),
    )
    breakage = c.lines.get(component="improvement", rule_index=4)
    assert (breakage.points, breakage.inputs["excess"]) == (D(3), "0.0500")


def test_tobacco_customer_manager_normalised_from_120(org) -> None:  # type: ignore[no-untyped-def]
    """A customer manager with no deduction anywhere but the gross margin (8.5% < 10% → ⌈1.5⌉ ×
    2 = 4) and the stock-to-sales ratio 1.05 against a social ratio of 1.00 (5% above → 10):
    Σ = 20 + (50 − 14) + 20 + 30 = 106 of 120 → 106 × 100 / 120 = 88.33 (达标)."""
    pack_load("tobacco-retail")
    cm = hire(org.s1, "K1", "客户经理甲", "customer_manager")
    h1 = (dt.date(2026, 1, 1), dt.date(2026, 6, 30))
    measure("tobacco-gross-margin", cm, *h1, "8.5")
    measure("tobacco-stock-sales-ratio", cm, *h1, "1.05")
    measure("tobacco-social-stock-sales", cm, *h1, "1.00")
    run = run_of("tobacco-customer-manager", "2026-H1", org.hq)
    c = card(run, cm)
    assert (c.raw_total, c.total, c.grade) == (D(106), D("88.33"), "pass")


def test_property_management_ten_by_ten(org, people) -> None:  # type: ignore[no-untyped-def]
    """The mall's property department in November: cleaning 3 nonconformities (−3), repair
    timeliness 12 (−10: the item is floored at zero, "直至扣完"), labour discipline 1 (−1) →
    100 − 14 = 86 → 良好; report due 10 December."""
    pack_load("property-management")
    prop = org_services.unit_create(
        actor=None, code="WY", name="物业部", kind=UnitKind.BACK_OFFICE, parent=org.hq
    )
    template = ChecklistTemplate.objects.get(code="property-monthly")
    sheet = insp.inspection_start(
        actor=people.inspector,
        template=template,
        unit=prop,
        kind=Kind.JOINT,
        visited_at=sh(2026, 11, 25),
    )
    sheet = fill(sheet, people.inspector, P01=3, P04=12, P10=1)
    for code in ("P01", "P02"):
        ans = sheet.answers.get(item__code=code)
        insp.photo_add(
            actor=people.inspector, inspection=sheet, file=photo(f"{code}.png"), answer_id=ans.pk
        )
    insp.inspection_submit(actor=people.inspector, inspection=sheet)
    run = run_of("property-monthly", "2026-11", org.hq)
    c = card(run, unit=prop)
    points = {p["code"]: D(p["points"]) for p in c.components}
    assert (points["P01"], points["P04"], points["P10"], points["P05"]) == (D(7), D(0), D(9), D(10))
    assert (c.total, c.grade) == (D(86), "good")
    line = c.lines.get(component="P04")
    assert (line.points, line.inputs["count"]) == (D(12), 12)
    assert line.refs[0][0] == "inspection"
    assert run.version.spec["report_due_day"] == 10


def test_call_centre_rate_exactly_at_target_and_partial_points(org) -> None:  # type: ignore[no-untyped-def]
    """Team S1, November: answer rate 9000/10000 = 90.00% (exactly the target: 0); satisfaction
    (1 − 23/1000) = 97.7% → 0.3 points short × 3 = 0.90 (hundredths); one-time answer 94.2% →
    ⌈0.8⌉ × 2 = 2; reliability 99.85% → ⌈0.5⌉ × 5 = 5. Total 100 − 7.9 = 92.10 (良好)."""
    pack_load("call-centre")
    measure("cc-answer-rate", None, *NOV, 9000, 10000, unit=org.s1)
    measure("cc-satisfaction", None, *NOV, 977, 1000, unit=org.s1)
    measure("cc-one-time-answer", None, *NOV, 942, 1000, unit=org.s1)
    measure("cc-reliability", None, *NOV, "718.92", 720, unit=org.s1)
    version = SchemeVersion.objects.get(scheme__code="call-centre-monthly")
    version.spec = {**version.spec, "unit_kinds": ["store"]}  # the test org's teams are stores
    version.save()
    run = run_of("call-centre-monthly", "2026-11", org.r1)
    c = card(run, unit=org.s1)
    assert [D(ln.points) for ln in c.lines.order_by("order")] == [D(0), D("0.9"), D(2), D(5)]
    assert (c.total, c.grade) == (D("92.10"), "good")
    s2 = card(run, unit=org.s2)  # nothing measured: no data, no deduction, said on each line
    assert [ln.note for ln in s2.lines.order_by("order")] == ["no data"] * 4


def test_functional_departments_division_head_takes_the_mean(org, people) -> None:  # type: ignore[no-untyped-def]
    """Division 行政中心 with departments 人事部 and 财务部, November:
    人事部: plan 47/50 = 94% → 6 × 1 = 6; one key task missed → 5; basic management −4 (manual,
        justified) → 100 − 15 = 85 (达标, exactly at the standard);
    财务部: plan done, nothing missed, no manual entry → 100.
    The division head's score is the mean of his departments: (85 + 100) / 2 = 92.50."""
    pack_load("functional-departments")
    division = org_services.unit_create(
        actor=None, code="XZ", name="行政中心", kind=UnitKind.DEPARTMENT, parent=org.hq
    )
    hr = org_services.unit_create(
        actor=None, code="RS", name="人事部", kind=UnitKind.BACK_OFFICE, parent=division
    )
    fin = org_services.unit_create(
        actor=None, code="CW", name="财务部", kind=UnitKind.BACK_OFFICE, parent=division
    )
    measure("fd-plan-completion", None, *NOV, 47, 50, unit=hr)
    measure("fd-key-tasks-missed", None, *NOV, 1, unit=hr)
    measure("fd-plan-completion", None, *NOV, 20, 20, unit=fin)
    version = SchemeVersion.objects.get(scheme__code="functional-monthly")
    version.spec = {**version.spec, "unit_kinds": ["back_office"]}
    version.save()
    run = run_of("functional-monthly", "2026-11", division)
    hr_card = card(run, unit=hr)
    services.scorecard_manual_set(
        actor=people.quality,
        card=hr_card,
        component="basic",
        points=D(4),
        justification="Two staff files incomplete (audit of 20 Nov).",
    )
    hr_card.refresh_from_db()
    assert (hr_card.total, hr_card.grade) == (D("85.00"), "pass")
    assert card(run, unit=fin).total == D("100.00")
    head = UnitResult.objects.get(run=run, unit=division, level=2)
    assert (head.mean, head.n) == (D("92.50"), 2)


def test_logistics_quarterly_weighted_sources(org) -> None:  # type: ignore[no-untyped-def]
    """Department 仓储部, Q4: self-checks 285/300 = 95% × 20 = 19; no quarterly inspection (full
    30, said on the line); spot checks 18/20 = 90% × 10 = 9; no questionnaire (full 20); two
    substantiated complaints × 5 = −10 → 10. Total 19 + 30 + 9 + 20 + 10 = 88 (合格)."""
    pack_load("logistics-quarterly")
    wh = org_services.unit_create(
        actor=None, code="CC", name="仓储部", kind=UnitKind.DEPARTMENT, parent=org.hq
    )
    for month, num in ((10, 95), (11, 95), (12, 95)):
        start = dt.date(2026, month, 1)
        end = (start + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
        measure("logistics-self-check", None, start, end, num, 100, unit=wh)
    measure(
        "logistics-spot-check", None, dt.date(2026, 11, 1), dt.date(2026, 11, 30), 18, 20, unit=wh
    )
    complaint(None, sh(2026, 10, 20), unit=wh)
    complaint(None, sh(2026, 12, 2), unit=wh)
    run = run_of("logistics-quarterly", "2026-Q4", org.hq)
    c = card(run, unit=wh)
    assert [D(p["points"]) for p in c.components] == [D(19), D(30), D(9), D(20), D(10)]
    assert (c.total, c.grade) == (D("88.00"), "pass")
    assert Measurement.objects.filter(kpi__code="logistics-self-check").count() == 3


def test_store_manager_scored_on_his_store(org, people) -> None:  # type: ignore[no-untyped-def]
    """S1's manager (张伟), November: one QC round of S1 at 90% → 50 × 0.9 = 45; the store had two
    substantiated complaints (about any of its staff, or none) → 30 − 10 = 20; register: no
    manual entry → 20. Total 85.0 (良好). S3's manager: no round (full 50), no complaint → 100."""
    pack_load("retail-chain")
    template = ChecklistTemplate.objects.get(code="store-service")
    rnd = insp.inspection_start(
        actor=people.inspector,
        template=template,
        unit=org.s1,
        kind=Kind.QC_ROUND,
        visited_at=sh(2026, 11, 18, 10),
    )
    rnd = fill(rnd, people.inspector, A3=5)  # 10 points lost of 100
    insp.inspection_submit(actor=people.inspector, inspection=rnd)
    complaint(org.cashier_staff, sh(2026, 11, 2))
    complaint(None, sh(2026, 11, 3), unit=org.s1)
    complaint(org.s3_staff[0], sh(2026, 11, 3), substantiated=False)
    run = run_of("store-manager-monthly", "2026-11", org.hq)
    mine = card(run, org.s1_staff[2])
    assert [D(p["points"]) for p in mine.components] == [D(45), D(20), D(20)]
    assert (mine.total, mine.grade) == (D("85.0"), "good")
    assert card(run, org.s3_staff[1]).total == D("100.0")
    assert Scorecard.objects.filter(run=run).count() == 2
