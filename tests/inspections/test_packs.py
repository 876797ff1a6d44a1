"""The inspections section of each industry pack: loaded, and a scorecard computed by hand
from the seed compared with what SQMS computes; a broken section is refused whole."""

from __future__ import annotations

from decimal import Decimal as D
from pathlib import Path

import pytest
import yaml
from django.utils import translation

from sqms.common.errors import DomainError
from sqms.inspections import services
from sqms.inspections.models import (
    ChecklistTemplate,
    InspectionRules,
    SamplingPlan,
    TemplateVersion,
)
from sqms.packs.loader import PACK_DIR, pack_load


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def score(people, org, code, unit=None, staff=None, na=(), **found):
    """Start an inspection on the pack's checklist, answer it, return the live score."""
    template = ChecklistTemplate.objects.get(code=code)
    inspection = services.inspection_start(
        actor=people.quality, template=template, unit=unit or org.s1, staff=staff
    )
    answers = {a.item.code: a for a in inspection.answers.select_related("item")}
    for item_code, n in found.items():
        inspection, _a = services.inspection_answer(
            actor=people.quality,
            inspection=inspection,
            answer_id=answers[item_code.replace("_", ".")].pk,
            nonconformities=n,
        )
    for item_code in na:
        inspection, _a = services.inspection_answer(
            actor=people.quality,
            inspection=inspection,
            answer_id=answers[item_code].pk,
            not_applicable=True,
        )
    return inspection.score, inspection.max_points


def test_property_management_ten_items_of_ten(people, org):
    pack_load("property-management")
    template = ChecklistTemplate.objects.get(code="property-monthly")
    assert template.current.max_points == D(100)
    assert template.current.items.count() == 10
    # 3 nonconformities in cleaning (−3), 12 in repair quality (−10: the item stops at zero).
    assert score(people, org, "property-monthly", P01=3, P05=12) == (D(87), D(100))
    assert InspectionRules.objects.get().appeal_days == 7
    assert SamplingPlan.objects.get().period == "month"


def test_tobacco_standard_service_checklists(people, org):
    pack_load("tobacco-retail")
    maxima = dict(
        ChecklistTemplate.objects.values_list("code", "current__max_points").order_by("code")
    )
    assert maxima == {
        "tobacco-customer-manager": D(20),
        "tobacco-delivery": D(20),
        "tobacco-monopoly-admin": D(30),
    }
    staff = org.cashier_staff
    # 1.3 stock not recorded (−2), 3.1 three new brands not announced (−1 each): 20 − 5 = 15.
    assert score(people, org, "tobacco-customer-manager", staff=staff, **{"1_3": 1, "3_1": 3}) == (
        D(15),
        D(20),
    )
    # 2.2 fifteen times at −2 = 30 from a 20-point section: floored at 0.
    assert score(people, org, "tobacco-customer-manager", staff=staff, **{"2_2": 15}) == (
        D(0),
        D(20),
    )
    # Monopoly administrator: 3.1 policy not known (−2), 1.1 licence (−1): 30 − 3 = 27.
    assert score(people, org, "tobacco-monopoly-admin", staff=staff, **{"3_1": 1, "1_1": 1}) == (
        D(27),
        D(30),
    )
    # Delivery: order not signed twice (−4), cash refused (−2): 20 − 6 = 14.
    assert score(people, org, "tobacco-delivery", staff=staff, **{"2": 2, "4": 1}) == (
        D(14),
        D(20),
    )
    plans = SamplingPlan.objects.order_by("code")
    assert [(p.population, p.period, p.rate, p.stratify) for p in plans] == [
        ("customer", "half", D("0.0500"), "scale_class")
    ] * 3


def test_hotel_qc_round_and_mod_check(people, org):
    pack_load("hotel")
    # Expired food (F2) zeroes the food section (−10); one grooming lapse (−1): 89 of 100.
    assert score(people, org, "hotel-qc-round", F2=1, G1=1) == (D(89), D(100))
    # The guest-room item does not apply: 95 points apply, 2 lost on staffing → 93/95 × 100.
    assert score(people, org, "hotel-qc-round", na=["C2"], D1=1) == (D("97.9"), D(100))
    # A blocked fire exit zeroes the duty manager's check.
    assert score(people, org, "hotel-mod-daily", M3=1) == (D(0), D(30))


def test_retail_chain_store_service_check(people, org):
    pack_load("retail-chain")
    # Cashiers not calling out amounts twice (−4), an expired product (−5), returns not
    # applicable: (95 − 9) / 95 × 100 = 90.526… → 90.5.
    assert score(people, org, "store-service", na=["B3"], A3=2, C3=1) == (D("90.5"), D(100))
    # A forged register vetoes the whole check.
    assert score(people, org, "store-service", D2=1) == (D(0), D(100))
    assert set(SamplingPlan.objects.values_list("code", flat=True)) == {
        "store-monthly-qc",
        "cashier-mystery",
    }


def test_reloading_a_pack_keeps_versions(people, org):
    pack_load("hotel")
    pack_load("hotel")
    assert TemplateVersion.objects.count() == 2


def test_bad_inspections_section_is_refused_whole(tmp_path: Path, org):
    data = yaml.safe_load((PACK_DIR / "hotel.yaml").read_text(encoding="utf-8"))
    data["name"] = "broken"
    data["inspections"]["templates"][0]["sections"][1]["items"][0]["points"] = "ten"
    data["inspections"]["templates"][1]["max_points"] = 40
    data["inspections"]["rules"]["appeal_days"] = 0
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(DomainError) as err:
        pack_load(str(path))
    assert [(e.loc, e.msg) for e in err.value.errors] == [
        (
            ["inspections", "templates", 0, "sections", 1, "items", 0, "points"],
            "Points are a number from 0 to 1000.",
        ),
        (
            ["inspections", "templates", 1, "max_points"],
            "The sections add up to 30 points, not 40.",
        ),
        (["inspections", "rules", "appeal_days"], "Between 1 and 60 days."),
    ]
    assert ChecklistTemplate.objects.count() == 0
    assert InspectionRules.objects.count() == 0
