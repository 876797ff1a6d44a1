"""Scoped selectors: the one place that decides who sees what."""

import pytest

from sqms.common.errors import NotFound, PermissionDenied
from sqms.org import selectors
from sqms.org.roles import Cap


def codes(qs):
    return sorted(u.code for u in qs)


@pytest.mark.parametrize(
    ("persona", "visible"),
    [
        ("admin", ["HQ", "QA", "R1", "R2", "S1", "S2", "S3"]),
        ("quality", ["HQ", "QA", "R1", "R2", "S1", "S2", "S3"]),
        ("auditor", ["HQ", "QA", "R1", "R2", "S1", "S2", "S3"]),
        ("region", ["R1", "S1", "S2"]),
        ("store", ["S1"]),
        ("outsider", ["S3"]),
        ("cashier", []),
    ],
)
def test_units_visible_per_persona(people, persona, visible):
    user = getattr(people, persona)
    assert codes(selectors.unit_list_for_user(user)) == visible


def test_staff_member_sees_only_himself(org, people):
    assert list(selectors.staff_list_for_user(people.cashier)) == [org.cashier_staff]
    with pytest.raises(NotFound):
        selectors.staff_get_for_user(people.cashier, org.s1_staff[1].pk)


def test_out_of_scope_looks_absent_and_in_scope_without_right_is_forbidden(org, people):
    with pytest.raises(NotFound):
        selectors.unit_get_for_user(people.store, org.s3.pk)
    with pytest.raises(PermissionDenied):
        selectors.unit_get_for_user(people.inspector, org.s1.pk, Cap.STAFF_MANAGE)
    assert selectors.unit_get_for_user(people.store, org.s1.pk, Cap.STAFF_MANAGE) == org.s1


def test_roots_are_the_top_of_each_users_part_of_the_tree(org, people):
    assert codes(selectors.unit_roots_for_user(people.region)) == ["R1"]
    assert codes(selectors.unit_roots_for_user(people.admin)) == ["HQ"]
    assert selectors.unit_roots_for_user(people.cashier) == []


@pytest.mark.parametrize(
    ("persona", "whole"),
    [("admin", True), ("quality", True), ("auditor", True), ("region", False), ("store", False)],
)
def test_a_grant_on_the_root_covers_the_whole_tree(people, persona, whole):
    access = selectors.access_for(getattr(people, persona))
    assert selectors.covers_whole_tree(access, Cap.ORG_VIEW) is whole
    # The quality manager handles complaints everywhere; the auditor only reads.
    assert selectors.covers_whole_tree(access, Cap.COMPLAINT_HANDLE) is (
        persona in ("admin", "quality")
    )


def test_a_second_company_is_not_covered_by_the_first_ones_grant(org, people):
    from sqms.org import services
    from sqms.org.models import UnitKind

    services.unit_create(actor=None, code="HQ2", name="二公司", kind=UnitKind.COMPANY, parent=None)
    people.quality.refresh_from_db()  # the access is kept on the user object for a request
    access = selectors.access_for(people.quality)
    assert selectors.covers_whole_tree(access, Cap.ORG_VIEW) is False
    # ...and its units stay out of the quality manager's lists (the scope filter is back).
    assert "HQ2" not in codes(selectors.unit_list_for_user(people.quality))
    assert "HQ2" in codes(selectors.unit_list_for_user(people.admin))


def test_staff_list_query_count_does_not_grow_with_rows(org, people, django_assert_num_queries):
    # the configuration revision, grants, then the staff with unit and position
    with django_assert_num_queries(3):
        rows = list(selectors.staff_list_for_user(people.region, unit=org.r1, subtree=True))
    assert [s.employee_no for s in rows] == ["E1", "E2", "E3"]


@pytest.mark.parametrize(
    ("phone", "masked"),
    [("13812345678", "138****5678"), ("021-5555", "****5555"), ("123", "***"), ("", "")],
)
def test_mask_phone(phone, masked):
    assert selectors.mask_phone(phone) == masked
