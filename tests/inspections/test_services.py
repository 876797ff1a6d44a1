"""Inspection services: templates and their versions, the draft → submit life of an
inspection with its live score, covert inspections, corrections, appeals, sampling draws.
Each refused write is shown to have changed nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
import time_machine
from django.utils import translation

from sqms.common.errors import DomainError, PermissionDenied
from sqms.common.models import AuditEntry
from sqms.inspections import services
from sqms.inspections.models import (
    Appeal,
    ChecklistTemplate,
    Correction,
    Customer,
    Inspection,
    Kind,
    Photo,
    SamplingPlan,
    Status,
    TemplateVersion,
)
from tests.inspections.factories import (
    NOW,
    SPEC,
    answer_of,
    fill,
    mini_template,
    photo,
    sh,
    world,
)


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"), time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def template(people):
    return mini_template(people.quality)


def test_template_save_creates_version_one(people, template):
    version = template.current
    assert (version.number, version.max_points) == (1, D(30))
    assert list(version.items.values_list("code", flat=True)) == ["A1", "A2", "A3", "B1", "B2"]
    assert AuditEntry.objects.filter(action="checklist.create").count() == 1


def test_saving_the_same_checklist_keeps_its_version(people, template):
    again = services.template_save(actor=people.quality, spec=SPEC)
    assert again.pk == template.current_id
    assert TemplateVersion.objects.count() == 1


def test_editing_an_unused_checklist_rewrites_its_version(people, template):
    changed = {**SPEC, "sections": [SPEC["sections"][0]]}
    version = services.template_save(actor=people.quality, spec=changed)
    assert (version.pk, version.number, version.max_points) == (template.current_id, 1, D(25))


def test_editing_a_used_checklist_makes_a_new_version_and_old_scores_stay(people, org, template):
    inspection = services.inspection_start(actor=people.inspector, template=template, unit=org.s1)
    inspection = fill(inspection, people.inspector, A1=2)
    services.inspection_submit(actor=people.inspector, inspection=inspection)
    items = [dict(i, deduction=5) if i["code"] == "A1" else i for i in SPEC["sections"][0]["items"]]
    changed = {**SPEC, "sections": [{**SPEC["sections"][0], "items": items}, SPEC["sections"][1]]}
    version = services.template_save(actor=people.quality, spec=changed, note="A1 costs 5")
    assert version.number == 2
    old = Inspection.objects.get(pk=inspection.pk)
    assert (old.version.number, old.score) == (1, D(26))
    assert ChecklistTemplate.objects.get(pk=template.pk).current_id == version.pk
    new = services.inspection_start(actor=people.inspector, template=template, unit=org.s1)
    new = fill(new, people.inspector, A1=2)
    assert new.score == D(20)  # 10 points, two nonconformities at 5 each


def test_invalid_checklist_names_each_mistake(people):
    bad = {
        **SPEC,
        "sections": [
            {
                "code": "A",
                "title": "",
                "items": [
                    {"code": "A1", "text": "x", "points": -1},
                    {"code": "A1", "text": "", "points": 2, "deduction": 0},
                ],
            }
        ],
    }
    before = world()
    with pytest.raises(DomainError) as err:
        services.template_save(actor=people.quality, spec=bad)
    assert [(e.loc, e.msg) for e in err.value.errors] == [
        (["sections", 0, "title"], "A title is required."),
        (["sections", 0, "items", 0, "points"], "Points are a number from 0 to 1000."),
        (["sections", 0, "items", 1, "code"], "Item A1 appears twice."),
        (["sections", 0, "items", 1, "text"], "The item's text is required."),
        (["sections", 0, "items", 1, "deduction"], "A deduction is a number above 0."),
    ]
    assert world() == before


def test_stated_maximum_must_match(people):
    with pytest.raises(DomainError) as err:
        services.template_save(actor=people.quality, spec={**SPEC, "max_points": 100})
    assert err.value.errors[0].loc == ["max_points"]
    assert err.value.errors[0].msg == "The sections add up to 30 points, not 100."


def test_store_manager_cannot_change_checklists(people, template):
    before = world()
    with pytest.raises(PermissionDenied):
        services.template_save(actor=people.store, spec={**SPEC, "name_en": "Mine"})
    assert world() == before


def test_start_answer_live_score_and_submit(people, org, template):
    inspection = services.inspection_start(
        actor=people.inspector, template=template, unit=org.s1, area="checkout"
    )
    assert (inspection.status, inspection.score, inspection.max_points) == (
        Status.DRAFT,
        D(30),
        D(30),
    )
    inspection, answer = services.inspection_answer(
        actor=people.inspector,
        inspection=inspection,
        answer_id=answer_of(inspection, "A1").pk,
        nonconformities=3,
    )
    assert (inspection.score, answer.deducted) == (D(24), D(6))
    inspection, _a = services.inspection_answer(
        actor=people.inspector,
        inspection=inspection,
        answer_id=answer_of(inspection, "A3").pk,
        not_applicable=True,
    )
    assert (inspection.score, inspection.max_points) == (D(19), D(25))
    services.inspection_answer_rest(actor=people.inspector, inspection=inspection)
    submitted = services.inspection_submit(actor=people.inspector, inspection=inspection)
    assert submitted.status == Status.SUBMITTED
    assert (submitted.score, submitted.submitted_score, submitted.percent) == (
        D(19),
        D(19),
        D("76.00"),
    )
    assert submitted.published_at == NOW
    assert AuditEntry.objects.filter(action="inspection.submit").count() == 1


def test_submit_refuses_an_incomplete_inspection(people, org, template):
    inspection = services.inspection_start(actor=people.inspector, template=template, unit=org.s1)
    services.inspection_answer(
        actor=people.inspector,
        inspection=inspection,
        answer_id=answer_of(inspection, "A2").pk,
        nonconformities=1,
    )
    before = world()
    with pytest.raises(DomainError) as err:
        services.inspection_submit(actor=people.inspector, inspection=inspection)
    assert [(e.loc, e.msg) for e in err.value.errors] == [
        (["answers", "A1"], "Item A1 is not answered yet."),
        (["answers", "A2"], "Item A2 needs a photo of the finding."),
        (["answers", "A3"], "Item A3 is not answered yet."),
        (["answers", "B1"], "Item B1 is not answered yet."),
        (["answers", "B2"], "Item B2 is not answered yet."),
    ]
    assert world() == before


def test_photo_backs_a_finding(people, org, template):
    inspection = services.inspection_start(actor=people.inspector, template=template, unit=org.s1)
    inspection = fill(inspection, people.inspector, A2=1)
    services.photo_add(
        actor=people.inspector,
        inspection=inspection,
        file=photo(),
        answer_id=answer_of(inspection, "A2").pk,
    )
    submitted = services.inspection_submit(actor=people.inspector, inspection=inspection)
    assert submitted.score == D(29)
    assert Photo.objects.get().answer.item.code == "A2"


def test_photo_must_be_an_image(people, org, template):
    inspection = services.inspection_start(actor=people.inspector, template=template, unit=org.s1)
    before = world()
    with pytest.raises(DomainError) as err:
        services.photo_add(
            actor=people.inspector,
            inspection=inspection,
            file=photo("x.pdf", "application/pdf"),
        )
    assert err.value.errors[0].loc == ["file"]
    assert world() == before


def test_not_applicable_refused_where_not_allowed(people, org, template):
    inspection = services.inspection_start(actor=people.inspector, template=template, unit=org.s1)
    before = world()
    with pytest.raises(DomainError) as err:
        services.inspection_answer(
            actor=people.inspector,
            inspection=inspection,
            answer_id=answer_of(inspection, "A1").pk,
            not_applicable=True,
        )
    assert err.value.errors[0].loc == ["not_applicable"]
    assert world() == before


def test_veto_zeroes_the_inspection(people, org, template):
    inspection = services.inspection_start(actor=people.inspector, template=template, unit=org.s1)
    inspection = fill(inspection, people.inspector, B2=1)
    assert (inspection.score, inspection.vetoed) == (D(0), True)


def test_section_floor(people, org, template):
    inspection = services.inspection_start(actor=people.inspector, template=template, unit=org.s1)
    inspection = fill(inspection, people.inspector, B1=4)  # 12 deducted from a 5-point section
    assert inspection.score == D(25)
    assert answer_of(inspection, "B1").deducted == D(5)


def test_outsider_cannot_inspect_another_store(people, org, template):
    before = world()
    with pytest.raises(PermissionDenied):
        services.inspection_start(actor=people.outsider, template=template, unit=org.s1)
    assert world() == before


def test_another_inspector_cannot_edit_the_draft(people, org, template):
    inspection = services.inspection_start(actor=people.inspector, template=template, unit=org.s1)
    before = world()
    with pytest.raises(PermissionDenied):
        services.inspection_answer(
            actor=people.store,
            inspection=inspection,
            answer_id=answer_of(inspection, "A1").pk,
            nonconformities=1,
        )
    assert world() == before


def submitted(people, org, template, **found):
    inspection = services.inspection_start(actor=people.inspector, template=template, unit=org.s1)
    inspection = fill(inspection, people.inspector, **found)
    return services.inspection_submit(actor=people.inspector, inspection=inspection)


def test_submitted_inspection_is_immutable(people, org, template):
    inspection = submitted(people, org, template, A1=1)
    before = world()
    with pytest.raises(DomainError) as err:
        services.inspection_answer(
            actor=people.inspector,
            inspection=inspection,
            answer_id=answer_of(inspection, "A1").pk,
            nonconformities=0,
        )
    assert err.value.code == "not_draft"
    assert world() == before


def test_correction_is_recorded(people, org, template):
    inspection = submitted(people, org, template, A1=1)
    correction = services.inspection_correct(
        actor=people.quality,
        inspection=inspection,
        changes={"A1": {"nonconformities": 3}},
        reason="The inspector miscounted.",
    )
    assert correction.before == {"score": "28.00", "answers": {"A1": [1, False]}}
    assert correction.after == {"score": "24.00", "answers": {"A1": [3, False]}}
    fresh = Inspection.objects.get(pk=inspection.pk)
    assert (fresh.score, fresh.submitted_score) == (D(24), D(28))


def test_correction_needs_manage_and_a_reason(people, org, template):
    inspection = submitted(people, org, template, A1=1)
    before = world()
    with pytest.raises(PermissionDenied):
        services.inspection_correct(
            actor=people.inspector, inspection=inspection, changes={"A1": {}}, reason="x"
        )
    with pytest.raises(DomainError) as err:
        services.inspection_correct(
            actor=people.quality, inspection=inspection, changes={"A1": {}}, reason=" "
        )
    assert err.value.errors[0].loc == ["reason"]
    assert world() == before
    assert Correction.objects.count() == 0


def test_mystery_shopper_needs_receipt_and_stays_covert(people, org):
    template = mini_template(people.quality, code="mystery", kind="mystery")
    inspection = services.inspection_start(
        actor=people.inspector, template=template, unit=org.s1, kind=Kind.MYSTERY
    )
    assert inspection.covert is True
    inspection = fill(inspection, people.inspector, A1=1)
    with pytest.raises(DomainError) as err:
        services.inspection_submit(actor=people.inspector, inspection=inspection)
    assert err.value.errors[0].loc == ["receipt"]
    services.photo_add(
        actor=people.inspector, inspection=inspection, file=photo("r.png"), role=Photo.Role.RECEIPT
    )
    done = services.inspection_submit(actor=people.inspector, inspection=inspection)
    assert done.published_at is None
    with pytest.raises(PermissionDenied):
        services.inspection_publish(actor=people.inspector, inspection=done)
    published = services.inspection_publish(actor=people.quality, inspection=done)
    assert published.published_at == NOW


def test_appeal_overturned_rescores(people, org, template):
    inspection = submitted(people, org, template, A1=2, B1=1)
    assert inspection.score == D(23)
    appeal = services.appeal_file(
        actor=people.store,
        answer=answer_of(inspection, "A1"),
        statement="The greeter was on a break and replaced at once.",
    )
    assert Appeal.objects.get().outcome == Appeal.Outcome.PENDING
    services.appeal_decide(
        actor=people.quality,
        appeal=appeal,
        outcome=Appeal.Outcome.OVERTURNED,
        reason="Cover was in place.",
    )
    fresh = Inspection.objects.get(pk=inspection.pk)
    assert (fresh.score, fresh.submitted_score) == (D(27), D(23))
    assert answer_of(fresh, "A1").deducted == D(0)


def test_appeal_upheld_keeps_the_score(people, org, template):
    inspection = submitted(people, org, template, A1=2)
    appeal = services.appeal_file(
        actor=people.store, answer=answer_of(inspection, "A1"), statement="Unfair."
    )
    services.appeal_decide(
        actor=people.quality, appeal=appeal, outcome=Appeal.Outcome.UPHELD, reason="Seen twice."
    )
    assert Inspection.objects.get(pk=inspection.pk).score == D(26)
    with pytest.raises(DomainError) as err:
        services.appeal_file(
            actor=people.store, answer=answer_of(inspection, "A1"), statement="Again."
        )
    assert err.value.code == "appeal_exists"


def test_appeal_after_the_time_limit_is_refused(people, org, template):
    inspection = submitted(people, org, template, A1=2)
    before = world()
    with (
        time_machine.travel(NOW + dt.timedelta(days=5, minutes=1), tick=False),
        pytest.raises(DomainError) as err,
    ):
        services.appeal_file(
            actor=people.store, answer=answer_of(inspection, "A1"), statement="Late."
        )
    assert err.value.code == "appeal_late"
    assert world() == before


def test_outsider_and_cashier_cannot_appeal_a_store_deduction(people, org, template):
    inspection = submitted(people, org, template, A1=2)
    before = world()
    for user in (people.outsider, people.cashier):
        with pytest.raises(PermissionDenied):
            services.appeal_file(
                actor=user, answer=answer_of(inspection, "A1"), statement="Not me."
            )
    assert world() == before


def test_appeal_decision_needs_manage(people, org, template):
    inspection = submitted(people, org, template, A1=2)
    appeal = services.appeal_file(
        actor=people.store, answer=answer_of(inspection, "A1"), statement="Unfair."
    )
    before = world()
    with pytest.raises(PermissionDenied):
        services.appeal_decide(
            actor=people.region, appeal=appeal, outcome=Appeal.Outcome.OVERTURNED, reason="ok"
        )
    assert world() == before


def test_conforming_item_cannot_be_appealed(people, org, template):
    inspection = submitted(people, org, template)
    with pytest.raises(DomainError) as err:
        services.appeal_file(actor=people.store, answer=answer_of(inspection, "A1"), statement="?")
    assert err.value.errors[0].loc == ["answer"]


# --- sampling ---------------------------------------------------------------------------------


@pytest.fixture
def customers(org, people):
    rows = []
    for i in range(40):
        rows.append(
            {
                "code": f"C{i:03d}",
                "name": f"零售户{i}",
                "unit": "S1" if i < 20 else "S2",
                "staff": "E1" if i < 20 else "",
                "business_format": "便利店" if i % 2 else "食杂店",
                "purchase_quantity": 100 + i,
                "purchase_amount": 1000 + 10 * i,
            }
        )
    services.customers_upsert(actor=people.quality, rows=rows)
    return rows


def test_customers_get_scale_classes(customers):
    counts = {k: Customer.objects.filter(scale_class=k).count() for k in (1, 2, 3)}
    assert counts == {1: 8, 2: 24, 3: 8}  # 20 per format: 4 / 12 / 4 each


def test_bad_customer_rows_import_nothing(people, org):
    with pytest.raises(DomainError) as err:
        services.customers_upsert(
            actor=people.quality,
            rows=[{"code": "X", "unit": "NOPE", "business_format": "", "purchase_amount": "a"}],
        )
    assert [e.loc for e in err.value.errors] == [
        [0, "unit"],
        [0, "purchase_amount"],
        [0, "business_format"],
    ]
    assert Customer.objects.count() == 0


def test_same_seed_same_stratified_sample(people, org, customers, template):
    plan = services.plan_save(
        actor=people.quality,
        code="cm-half",
        name="5% of customers",
        template=template,
        unit=org.r1,
        population=SamplingPlan.Population.CUSTOMER,
        period=SamplingPlan.Period.HALF,
        rate=D("0.05"),
        stratify=SamplingPlan.Strata.SCALE,
    )
    first = services.sample_draw(actor=people.quality, plan=plan, day=dt.date(2026, 6, 9))
    second = services.sample_draw(actor=people.quality, plan=plan, day=dt.date(2026, 6, 30))
    assert (first.period_start, first.period_end) == (dt.date(2026, 1, 1), dt.date(2026, 6, 30))
    assert first.seed == second.seed == "cm-half:2026-01-01"
    picks = lambda d: list(d.entries.values_list("stratum", "customer_id"))  # noqa: E731
    assert picks(first) == picks(second)
    # Classes are ranked within each business format across both districts: S1's customers buy
    # least (classes 2 and 3: 12 and 8), S2's most (8 and 12); ⌈N × 5%⌉ = 1 per stratum.
    assert [s for s, _c in picks(first)] == ["S1·2", "S1·3", "S2·1", "S2·2"]
    assert first.population_size == 40
    other = services.sample_draw(
        actor=people.quality, plan=plan, day=dt.date(2026, 6, 9), seed="another"
    )
    assert picks(other) != picks(first)


def test_plan_validation_and_permission(people, org, template):
    with pytest.raises(DomainError) as err:
        services.plan_save(
            actor=people.quality,
            code="Bad Code",
            name="",
            template=template,
            unit=org.hq,
            population="trees",
            period="month",
            rate=D(0),
        )
    assert [e.loc for e in err.value.errors] == [["code"], ["name"], ["population"], ["rate"]]
    with pytest.raises(PermissionDenied):
        services.plan_save(
            actor=people.store,
            code="p",
            name="p",
            template=template,
            unit=org.s1,
            population="unit",
            period="month",
            minimum=1,
        )
    assert SamplingPlan.objects.count() == 0


def test_inspection_for_a_sample_entry(people, org, customers, template):
    staff_template = mini_template(people.quality, code="cm", subject="staff", kind="visit")
    plan = services.plan_save(
        actor=people.quality,
        code="cm",
        name="cm",
        template=staff_template,
        unit=org.s1,
        population="customer",
        period="half",
        minimum=2,
    )
    draw = services.sample_draw(actor=people.quality, plan=plan, day=dt.date(2026, 6, 9))
    entry = draw.entries.first()
    inspection = services.inspection_start(
        actor=people.inspector, template=staff_template, sample_entry=entry
    )
    assert (inspection.unit, inspection.staff, inspection.customer) == (
        org.s1,
        org.cashier_staff,
        entry.customer,
    )
    assert inspection.visited_at == sh(2026, 6, 9, 10)
