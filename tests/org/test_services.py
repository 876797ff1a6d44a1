"""Org services: each write is validated, scoped to the actor, atomic and audited."""

import datetime as dt

import pytest
from django.utils import translation

from sqms.common.errors import DomainError, PermissionDenied
from sqms.common.models import AuditEntry
from sqms.org import services
from sqms.org.models import OrgUnit, RoleGrant, Staff, UnitKind
from sqms.org.roles import Role


def _counts():
    return (OrgUnit.objects.count(), Staff.objects.count(), AuditEntry.objects.count())


def test_move_rewrites_the_whole_subtree(org, people):
    team = services.unit_create(
        actor=people.admin, code="T1", name="早班", kind=UnitKind.TEAM, parent=org.s2
    )
    services.unit_move(actor=people.admin, unit=org.s2, new_parent=org.r2)
    org.s2.refresh_from_db()
    team.refresh_from_db()
    assert org.s2.path == f"{org.r2.path}{org.s2.pk}/"
    assert team.path == f"{org.r2.path}{org.s2.pk}/{team.pk}/"
    assert (org.s2.depth, team.depth) == (2, 3)
    assert org.s2.parent_id == org.r2.pk
    # The untouched sibling keeps its path.
    org.s1.refresh_from_db()
    assert org.s1.path == f"{org.r1.path}{org.s1.pk}/"


def test_a_unit_cannot_move_under_its_own_subtree(org, people):
    before = _counts()
    with pytest.raises(DomainError) as exc:
        services.unit_move(actor=people.admin, unit=org.r1, new_parent=org.s1)
    assert exc.value.errors[0].loc == ["parent"]
    assert _counts() == before


def test_unit_manager_moves_staff_only_within_his_subtree(org, people):
    staff = org.s1_staff[1]
    services.staff_move(actor=people.region, staff=staff, unit=org.s2)
    staff.refresh_from_db()
    assert staff.unit == org.s2
    before = _counts()
    with pytest.raises(PermissionDenied):
        services.staff_move(actor=people.region, staff=staff, unit=org.s3)
    staff.refresh_from_db()
    assert staff.unit == org.s2
    assert _counts() == before


def test_store_manager_cannot_create_staff_in_another_store(org, people):
    before = _counts()
    with pytest.raises(PermissionDenied):
        services.staff_create(
            actor=people.store,
            employee_no="X9",
            name="某人",
            unit=org.s3,
            position=org.cashier_position,
            start_date=dt.date(2025, 1, 1),
        )
    assert _counts() == before


def test_staff_validation_names_each_field(org, people):
    with pytest.raises(DomainError) as exc:
        services.staff_create(
            actor=people.store,
            employee_no="E1",
            name=" ",
            unit=org.s1,
            position=org.cashier_position,
            start_date=dt.date(2025, 1, 1),
            phone="138abc",
            email="not-an-email",
        )
    assert sorted(e.loc[0] for e in exc.value.errors) == ["email", "employee_no", "name", "phone"]


def test_deactivating_a_unit_with_staff_is_refused(org, people):
    with pytest.raises(DomainError) as exc:
        services.unit_deactivate(actor=people.admin, unit=org.s3, reason="closed")
    assert exc.value.code == "has_staff"
    for s in org.s3_staff:
        services.staff_deactivate(
            actor=people.admin, staff=s, end_date=dt.date(2026, 1, 31), reason="store closed"
        )
    services.unit_deactivate(actor=people.admin, unit=org.s3, reason="closed")
    org.s3.refresh_from_db()
    assert org.s3.is_active is False
    assert AuditEntry.objects.filter(action="org.unit.deactivate", note="closed").count() == 1


def test_leaving_disables_the_linked_login(org, people):
    services.staff_deactivate(
        actor=people.store,
        staff=org.cashier_staff,
        end_date=dt.date(2026, 3, 31),
        reason="resigned",
    )
    people.cashier.refresh_from_db()
    assert people.cashier.is_active is False
    with pytest.raises(DomainError) as exc:
        services.staff_deactivate(
            actor=people.store,
            staff=org.cashier_staff,
            end_date=dt.date(2026, 4, 1),
            reason="again",
        )
    assert exc.value.code == "inactive"


def test_only_a_superuser_grants_system_administrator(org, people):
    services.role_grant(
        actor=people.admin, user=people.inspector, role=Role.UNIT_MANAGER, unit=org.s2
    )
    assert RoleGrant.objects.filter(user=people.inspector, role=Role.UNIT_MANAGER).count() == 1
    with pytest.raises(PermissionDenied):
        services.role_grant(
            actor=people.region, user=people.inspector, role=Role.UNIT_MANAGER, unit=org.s2
        )


@pytest.mark.parametrize("code", ["status", "STATUS"])
def test_a_unit_code_that_names_a_public_page_is_refused(org, people, code):
    # /c/status/ is the public status lookup: a store coded "status" would lose its form to it.
    before = _counts()
    with pytest.raises(DomainError) as exc, translation.override("en"):
        services.unit_create(
            actor=people.admin, code=code, name="状态店", kind=UnitKind.STORE, parent=org.r1
        )
    assert [(e.loc, e.msg) for e in exc.value.errors] == [
        (["code"], f"{code} is a word SQMS's own pages use; choose another code.")
    ]
    with pytest.raises(DomainError):
        services.unit_update(actor=people.admin, unit=org.s1, code=code)
    assert _counts() == before
    assert OrgUnit.objects.get(pk=org.s1.pk).code == "S1"
