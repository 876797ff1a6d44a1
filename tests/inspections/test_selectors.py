"""Who sees which inspection (covert ones hidden until published, drafts only to their
inspector, a staff member his own), and the facts for the evaluation engine: set-based, with
final outcomes only."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
import time_machine
from django.utils import translation

from sqms.common.errors import NotFound
from sqms.inspections import facts, selectors, services
from sqms.inspections.models import Appeal, Kind, Photo
from tests.inspections.factories import NOW, answer_of, fill, mini_template, photo, sh


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"), time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def template(people):
    return mini_template(people.quality)


def done(people, template, *, unit=None, staff=None, kind="", at=None, **found):
    inspection = services.inspection_start(
        actor=people.inspector,
        template=template,
        unit=unit,
        staff=staff,
        kind=kind,
        visited_at=at,
    )
    inspection = fill(inspection, people.inspector, **found)
    if kind == Kind.MYSTERY:
        services.photo_add(
            actor=people.inspector, inspection=inspection, file=photo(), role=Photo.Role.RECEIPT
        )
    return services.inspection_submit(actor=people.inspector, inspection=inspection)


def visible(user):
    return set(selectors.inspection_queryset_for_user(user).values_list("pk", flat=True))


def test_covert_inspection_hidden_from_the_store_until_published(people, org, template):
    covert = done(people, template, unit=org.s1, kind=Kind.MYSTERY, A1=1)
    overt = done(people, template, unit=org.s1)
    assert visible(people.store) == {overt.pk}
    assert visible(people.region) == {overt.pk}
    assert visible(people.quality) == {covert.pk, overt.pk}
    assert visible(people.inspector) == {covert.pk, overt.pk}
    with pytest.raises(NotFound):
        selectors.inspection_get_for_user(people.store, covert.pk)
    services.inspection_publish(actor=people.quality, inspection=covert)
    assert visible(people.store) == {covert.pk, overt.pk}


def test_drafts_are_the_inspectors_own(people, org, template):
    draft = services.inspection_start(actor=people.inspector, template=template, unit=org.s1)
    assert draft.pk in visible(people.inspector)
    assert draft.pk not in visible(people.store)
    assert draft.pk in visible(people.quality)


def test_outsider_sees_nothing_of_another_store(people, org, template):
    inspection = done(people, template, unit=org.s1)
    with pytest.raises(NotFound):
        selectors.inspection_get_for_user(people.outsider, inspection.pk)
    assert visible(people.outsider) == set()


def test_staff_member_sees_his_own_only(people, org):
    staff_template = mini_template(people.quality, code="cashier-check", subject="staff")
    own = done(people, staff_template, staff=org.cashier_staff, A1=1)
    other = done(people, staff_template, staff=org.s1_staff[1])
    assert visible(people.cashier) == {own.pk}
    assert other.pk in visible(people.store)


def test_findings_for_a_unit(people, org, template):
    done(people, template, unit=org.s1, A1=2, B1=1)
    done(people, template, unit=org.s3, A1=1)
    findings = selectors.findings_for_user(people.store, unit=org.s1)
    assert [(f.item.code, f.deducted) for f in findings] == [("A1", D(4)), ("B1", D(3))]


# --- facts ------------------------------------------------------------------------------------


def test_scores_per_staff_member_mean_over_visits(people, org, django_assert_num_queries):
    staff_template = mini_template(people.quality, code="cashier-check", subject="staff")
    a, b = org.s1_staff[0], org.s1_staff[1]
    done(people, staff_template, staff=a, at=sh(2026, 6, 1, 9), A1=1)  # 28
    done(people, staff_template, staff=a, at=sh(2026, 6, 2, 9), A1=2, B1=1)  # 23
    done(people, staff_template, staff=b, at=sh(2026, 6, 3, 9))  # 30
    done(people, staff_template, staff=b, at=sh(2026, 5, 31, 23, 59), A1=5)  # May: not counted
    with django_assert_num_queries(1):
        rows = facts.inspection_scores(dt.date(2026, 6, 1), dt.date(2026, 6, 30), subject="staff")
    assert rows == [
        facts.ScoreFact(a.pk, 2, D("25.50"), D("85.00"), D("30.00")),
        facts.ScoreFact(b.pk, 1, D("30.00"), D("100.00"), D("30.00")),
    ]


def test_scores_per_unit(people, org, template):
    done(people, template, unit=org.s1, A1=1)
    done(people, template, unit=org.s3, A1=5)
    rows = facts.inspection_scores(NOW.date(), NOW.date(), subject="unit", unit=org.r1)
    assert rows == [facts.ScoreFact(org.s1.pk, 1, D("28.00"), D("93.33"), D("30.00"))]


def test_deductions_are_final(people, org, template, django_assert_num_queries):
    first = done(people, template, unit=org.s1, A1=2, B1=1)
    second = done(people, template, unit=org.s1, A1=1)
    overturn = services.appeal_file(
        actor=people.store, answer=answer_of(first, "A1"), statement="Cover was there."
    )
    services.appeal_decide(
        actor=people.quality, appeal=overturn, outcome=Appeal.Outcome.OVERTURNED, reason="Yes."
    )
    services.appeal_file(actor=people.store, answer=answer_of(second, "A1"), statement="No.")
    with django_assert_num_queries(1):
        rows = facts.inspection_deductions(NOW.date(), NOW.date())
    assert [
        (r.inspection_id, r.item_code, r.section_code, r.deducted, r.appeal, r.unit_id)
        for r in rows
    ] == [
        (first.pk, "B1", "B", D(3), "", org.s1.pk),
        (second.pk, "A1", "A", D(2), "pending", org.s1.pk),
    ]
    assert rows[0].answer_id == answer_of(first, "B1").pk
    scores = facts.inspection_scores(NOW.date(), NOW.date(), subject="unit")
    assert scores == [facts.ScoreFact(org.s1.pk, 2, D("27.50"), D("91.67"), D("30.00"))]


def test_drafts_and_voided_do_not_count(people, org, template):
    services.inspection_start(actor=people.inspector, template=template, unit=org.s1)
    voided = done(people, template, unit=org.s1, A1=1)
    services.inspection_void(actor=people.quality, inspection=voided, reason="Wrong store.")
    assert facts.inspection_scores(NOW.date(), NOW.date(), subject="unit") == []
    assert facts.inspection_deductions(NOW.date(), NOW.date()) == []


def test_mystery_shopping_by_unit_counts_published_visits_only(
    people, org, template, django_assert_num_queries
):
    # Gap 3 for the surveys' reports: an unpublished visit is still covert and never shows.
    published = done(people, template, unit=org.s1, kind=Kind.MYSTERY, A1=1)  # 28 of 30
    done(people, template, unit=org.s1, kind=Kind.MYSTERY, A1=5)  # not published
    done(people, template, unit=org.s1, A1=3)  # a routine check, not a mystery visit
    services.inspection_publish(actor=people.quality, inspection=published)
    with django_assert_num_queries(1):
        rows = facts.mystery_shopping_by_unit(NOW.date(), NOW.date(), unit=org.r1)
    assert rows == [facts.ScoreFact(org.s1.pk, 1, D("28.00"), D("93.33"), D("30.00"))]
    everything = facts.mystery_shopping_by_unit(NOW.date(), NOW.date(), published_only=False)
    assert [(f.subject_id, f.n) for f in everything] == [(org.s1.pk, 2)]
