"""The organisation pages: each page, partial, export and form for an allowed persona, with a
validation error, and denied to personas outside its scope (404) or without the capability (403),
with nothing changed by a denied or invalid request."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from sqms.common.models import AuditEntry
from sqms.org import services
from sqms.org.models import OrgUnit, Staff, UnitKind

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HTMX = {"HTTP_HX_REQUEST": "true"}
STAFF_TABLE = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "staff-table"}


def org_state() -> tuple[list[tuple[object, ...]], list[tuple[object, ...]], int]:
    """Everything a request on the org pages could change."""
    units = OrgUnit.objects.order_by("pk").values_list(
        "pk", "code", "name", "kind", "parent_id", "path", "depth", "is_active"
    )
    staff = Staff.objects.order_by("pk").values_list(
        "pk", "employee_no", "name", "unit_id", "position_id", "phone", "end_date"
    )
    return list(units), list(staff), AuditEntry.objects.count()


def last_audit() -> AuditEntry:
    return AuditEntry.objects.order_by("-seq").first()


def codes(units: list[OrgUnit]) -> list[str]:
    return [u.code for u in units]


def staff_form(org, **overrides: str) -> dict[str, object]:
    data: dict[str, object] = {
        "employee_no": "E100",
        "name": "周杰",
        "position": org.cashier_position.pk,
        "start_date": "2025-03-01",
        "phone": "13900001111",
        "email": "zhou@example.com",
    }
    data.update(overrides)
    return data


# --- The tree and its partial ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "roots"),
    [("admin", ["HQ"]), ("quality", ["HQ"]), ("region", ["R1"]), ("store", ["S1"])],
)
def test_tree_lists_the_top_of_each_personas_scope(client, people, persona, roots):
    client.force_login(getattr(people, persona))
    resp = client.get("/org/")
    assert resp.status_code == 200
    assert codes(resp.context["roots"]) == roots


def test_tree_search_finds_only_units_in_scope(client, people):
    client.force_login(people.store)
    resp = client.get("/org/", {"q": "S"})
    assert resp.status_code == 200
    assert codes(resp.context["results"]) == ["S1"]
    resp = client.get("/org/", {"q": "天河"})  # S3's name
    assert codes(resp.context["results"]) == []


def test_tree_is_forbidden_to_the_cashier(client, people):
    client.force_login(people.cashier)
    assert client.get("/org/").status_code == 403


def test_tree_sends_anonymous_users_to_the_login_page(client, org):
    resp = client.get("/org/")
    assert resp.status_code == 302
    assert resp["Location"].startswith("/accounts/login/")


def test_children_partial_lists_active_children_with_counts(client, people, org):
    services.unit_create(actor=None, code="S4", name="静安店", kind=UnitKind.STORE, parent=org.r1)
    client.force_login(people.region)
    resp = client.get(f"/org/units/{org.r1.pk}/children", **HTMX)
    assert resp.status_code == 200
    assert [t.name for t in resp.templates] == ["org/_unit_children.html"]
    units = resp.context["units"]
    assert [(u.code, u.staff_count, u.child_count) for u in units] == [
        ("S1", 3, 0),
        ("S2", 0, 0),
        ("S4", 0, 0),
    ]


def test_children_partial_of_an_unknown_unit_is_404(client, people):
    client.force_login(people.admin)
    assert client.get("/org/units/999999/children", **HTMX).status_code == 404


def test_children_partial_out_of_scope_is_404(client, people, org):
    client.force_login(people.store)
    assert client.get(f"/org/units/{org.s3.pk}/children", **HTMX).status_code == 404
    assert client.get(f"/org/units/{org.r1.pk}/children", **HTMX).status_code == 404


# --- The unit page and its staff table ------------------------------------------------------


def test_unit_page_for_the_store_manager(client, people, org):
    services.staff_deactivate(
        actor=None, staff=org.s1_staff[1], end_date=dt.date(2025, 6, 30), reason="辞职"
    )
    client.force_login(people.store)
    resp = client.get(f"/org/units/{org.s1.pk}/")
    assert resp.status_code == 200
    assert resp.context["unit"] == org.s1
    assert codes(resp.context["ancestors"]) == ["HQ", "R1"]
    assert [s.employee_no for s in resp.context["page"]] == ["E1", "E3"]
    assert (resp.context["can_manage_staff"], resp.context["can_manage_org"]) == (True, False)
    assert resp.context["calendar"].code == "standard"
    assert sorted(g.user.username for g in resp.context["grants"]) == ["cashier", "store"]
    resp = client.get(f"/org/units/{org.s1.pk}/", {"show": "left"})
    assert [s.employee_no for s in resp.context["page"]] == ["E2"]
    resp = client.get(f"/org/units/{org.s1.pk}/", {"show": "all"})
    assert [s.employee_no for s in resp.context["page"]] == ["E1", "E2", "E3"]


def test_unit_page_with_bad_parameters_falls_back(client, people, org):
    client.force_login(people.store)
    resp = client.get(f"/org/units/{org.s1.pk}/", {"show": "bogus", "page": "x"})
    assert resp.status_code == 200
    assert [s.employee_no for s in resp.context["page"]] == ["E1", "E2", "E3"]
    assert resp.context["page"].number == 1


def test_unit_page_out_of_scope_is_404(client, people, org):
    client.force_login(people.store)
    assert client.get(f"/org/units/{org.s3.pk}/").status_code == 404
    assert client.get(f"/org/units/{org.r1.pk}/").status_code == 404
    client.force_login(people.cashier)
    assert client.get(f"/org/units/{org.s1.pk}/").status_code == 404


def test_region_sees_the_subtree_staff_with_subtree_option(client, people, org):
    services.staff_create(
        actor=None,
        employee_no="E20",
        name="孙丽",
        unit=org.s2,
        position=org.cashier_position,
        start_date=dt.date(2024, 1, 1),
    )
    client.force_login(people.region)
    resp = client.get(f"/org/units/{org.r1.pk}/")
    assert [s.employee_no for s in resp.context["page"]] == []
    resp = client.get(f"/org/units/{org.r1.pk}/", {"subtree": "1"})
    assert [s.employee_no for s in resp.context["page"]] == ["E1", "E2", "E20", "E3"]


def test_staff_table_partial(client, people, org):
    client.force_login(people.store)
    resp = client.get(f"/org/units/{org.s1.pk}/", {"q": "王"}, **STAFF_TABLE)
    assert resp.status_code == 200
    assert resp.templates[0].name == "org/_staff_table.html"
    assert "org/unit_detail.html" not in [t.name for t in resp.templates]
    assert [s.employee_no for s in resp.context["page"]] == ["E2"]
    # Another htmx target gets the whole page.
    resp = client.get(f"/org/units/{org.s1.pk}/", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="main")
    assert resp.templates[0].name == "org/unit_detail.html"


def test_staff_table_partial_search_without_match(client, people, org):
    client.force_login(people.store)
    resp = client.get(f"/org/units/{org.s1.pk}/", {"q": "陈静"}, **STAFF_TABLE)  # S3's staff
    assert resp.status_code == 200
    assert list(resp.context["page"]) == []
    assert resp.context["page"].paginator.count == 0


def test_staff_table_partial_out_of_scope_is_404(client, people, org):
    client.force_login(people.store)
    assert client.get(f"/org/units/{org.s3.pk}/", **STAFF_TABLE).status_code == 404


def test_unit_page_query_count_does_not_grow_with_staff(
    client, people, org, django_assert_max_num_queries
):
    def add_staff(first: int, last: int) -> None:
        Staff.objects.bulk_create(
            Staff(
                employee_no=f"B{n:03d}",
                name=f"员工{n}",
                unit=org.s1,
                position=org.cashier_position,
                start_date=dt.date(2024, 1, 1),
                phone="13812345678",
            )
            for n in range(first, last)
        )

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            resp = client.get(f"/org/units/{org.s1.pk}/")
        assert resp.status_code == 200
        return len(ctx)

    client.force_login(people.store)
    add_staff(0, 7)  # 10 current staff with the fixture's three
    client.get(f"/org/units/{org.s1.pk}/")  # warm up once-per-process lookups
    with_10 = queries()
    add_staff(7, 57)  # 60
    with_60 = queries()
    assert with_60 == with_10
    # Session, user, grants; the unit, the staff count and page, its children, its ancestors,
    # the calendar lookup (two), the roles granted on it: eleven, whatever the head count.
    with django_assert_max_num_queries(12):  # +1: the unread-notices count in the top bar
        resp = client.get(f"/org/units/{org.s1.pk}/")
    assert len(resp.context["page"].object_list) == 50
    assert resp.context["page"].paginator.count == 60


# --- The staff page -------------------------------------------------------------------------


def test_staff_page_masks_the_phone_for_the_inspector(client, people, org):
    client.force_login(people.inspector)
    before = AuditEntry.objects.count()
    resp = client.get(f"/org/staff/{org.cashier_staff.pk}/")
    assert resp.status_code == 200
    assert (resp.context["phone"], resp.context["can_reveal"]) == ("138****5678", False)
    assert "13812345678" not in resp.content.decode()
    resp = client.get(f"/org/staff/{org.cashier_staff.pk}/", {"reveal": "phone"})
    assert resp.status_code == 200
    assert resp.context["phone"] == "138****5678"
    assert "13812345678" not in resp.content.decode()
    assert AuditEntry.objects.count() == before


def test_quality_manager_reveals_the_phone_and_the_view_is_logged(client, people, org):
    client.force_login(people.quality)
    resp = client.get(f"/org/staff/{org.cashier_staff.pk}/")
    assert (resp.context["phone"], resp.context["can_reveal"]) == ("138****5678", True)
    assert AuditEntry.objects.filter(action="personal_data.view").count() == 0
    resp = client.get(f"/org/staff/{org.cashier_staff.pk}/", {"reveal": "phone"})
    assert resp.status_code == 200
    assert (resp.context["phone"], resp.context["can_reveal"]) == ("13812345678", False)
    assert "13812345678" in resp.content.decode()
    entry = AuditEntry.objects.get(action="personal_data.view")
    assert (entry.actor, entry.target_type, entry.target_id, entry.after) == (
        people.quality,
        "org.staff",
        str(org.cashier_staff.pk),
        {"fields": ["phone"]},
    )


def test_staff_page_of_the_cashier(client, people, org):
    client.force_login(people.cashier)
    resp = client.get(f"/org/staff/{org.cashier_staff.pk}/")
    assert resp.status_code == 200
    assert resp.context["staff"] == org.cashier_staff
    assert (resp.context["is_self"], resp.context["can_manage"]) == (True, False)
    assert client.get(f"/org/staff/{org.s1_staff[1].pk}/").status_code == 404


def test_staff_page_out_of_scope_is_404(client, people, org):
    client.force_login(people.store)
    assert client.get(f"/org/staff/{org.s3_staff[0].pk}/").status_code == 404
    assert client.get("/org/staff/999999/").status_code == 404


# --- The export -----------------------------------------------------------------------------


def read_xlsx(content: bytes) -> list[tuple[object, ...]]:
    wb = load_workbook(io.BytesIO(content))
    return list(wb.active.iter_rows(min_row=2, values_only=True))


def test_export_is_the_subtrees_current_staff_with_masked_phones(client, people, org):
    services.staff_create(
        actor=None,
        employee_no="E20",
        name="孙丽",
        unit=org.s2,
        position=org.cashier_position,
        start_date=dt.date(2024, 5, 6),
        phone="021-6543 2100",
    )
    services.staff_deactivate(
        actor=None, staff=org.s1_staff[1], end_date=dt.date(2025, 6, 30), reason="辞职"
    )
    client.force_login(people.region)
    resp = client.get(f"/org/units/{org.r1.pk}/staff.xlsx", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert resp.status_code == 200
    assert resp["Content-Type"] == XLSX
    assert resp["Content-Disposition"] == 'attachment; filename="staff-R1.xlsx"'
    jan1 = dt.datetime(2020, 1, 1)
    assert read_xlsx(resp.content) == [
        ("E1", "李娜", "S1", "徐汇店", "收银员", jan1, "138****5678"),
        ("E20", "孙丽", "S2", "浦东店", "收银员", dt.datetime(2024, 5, 6), "021******2100"),
        ("E3", "张伟", "S1", "徐汇店", "店长", jan1, "138****5678"),
    ]


def test_export_of_a_unit_without_staff_has_only_the_header(client, people, org):
    client.force_login(people.region)
    resp = client.get(f"/org/units/{org.s2.pk}/staff.xlsx")
    assert resp.status_code == 200
    assert read_xlsx(resp.content) == []


def test_export_out_of_scope_is_404(client, people, org):
    client.force_login(people.store)
    assert client.get(f"/org/units/{org.s3.pk}/staff.xlsx").status_code == 404
    client.force_login(people.cashier)
    assert client.get(f"/org/units/{org.s1.pk}/staff.xlsx").status_code == 404


# --- Add staff ------------------------------------------------------------------------------


def test_store_manager_adds_staff(client, people, org):
    client.force_login(people.store)
    assert client.get(f"/org/units/{org.s1.pk}/add-staff").status_code == 200
    before_audit = AuditEntry.objects.count()
    resp = client.post(f"/org/units/{org.s1.pk}/add-staff", staff_form(org))
    assert resp.status_code == 302
    assert resp["Location"] == f"/org/units/{org.s1.pk}/"
    staff = Staff.objects.get(employee_no="E100")
    assert (staff.name, staff.unit, staff.position, staff.start_date, staff.phone) == (
        "周杰",
        org.s1,
        org.cashier_position,
        dt.date(2025, 3, 1),
        "13900001111",
    )
    assert AuditEntry.objects.count() == before_audit + 1
    entry = last_audit()
    assert (entry.action, entry.actor, entry.target_id) == (
        "org.staff.create",
        people.store,
        str(staff.pk),
    )


def test_add_staff_validation_errors_rerender_the_form(client, people, org):
    client.force_login(people.store)
    before = org_state()
    resp = client.post(
        f"/org/units/{org.s1.pk}/add-staff",
        staff_form(org, employee_no="E1", phone="138abc5678"),
    )
    assert resp.status_code == 200
    assert sorted(resp.context["form"].errors) == ["employee_no", "phone"]
    resp = client.post(
        f"/org/units/{org.s1.pk}/add-staff", staff_form(org, start_date="2025-02-30")
    )
    assert resp.status_code == 200
    assert list(resp.context["form"].errors) == ["start_date"]
    assert org_state() == before


def test_add_staff_out_of_scope_is_404(client, people, org):
    client.force_login(people.store)
    before = org_state()
    assert client.get(f"/org/units/{org.s3.pk}/add-staff").status_code == 404
    resp = client.post(f"/org/units/{org.s3.pk}/add-staff", staff_form(org))
    assert resp.status_code == 404
    assert org_state() == before


def test_inspector_may_not_add_staff(client, people, org):
    client.force_login(people.inspector)
    before = org_state()
    resp = client.post(f"/org/units/{org.s1.pk}/add-staff", staff_form(org))
    assert resp.status_code == 403
    assert org_state() == before


# --- Add a unit -----------------------------------------------------------------------------


def test_admin_adds_a_unit(client, people, org):
    client.force_login(people.admin)
    assert client.get(f"/org/units/{org.r1.pk}/add-unit").status_code == 200
    resp = client.post(
        f"/org/units/{org.r1.pk}/add-unit", {"code": "S4", "name": "静安店", "kind": "store"}
    )
    unit = OrgUnit.objects.get(code="S4")
    assert resp.status_code == 302
    assert resp["Location"] == f"/org/units/{unit.pk}/"
    assert (unit.name, unit.kind, unit.parent, unit.path, unit.depth) == (
        "静安店",
        UnitKind.STORE,
        org.r1,
        f"{org.r1.path}{unit.pk}/",
        2,
    )
    entry = last_audit()
    assert (entry.action, entry.actor, entry.target_id) == (
        "org.unit.create",
        people.admin,
        str(unit.pk),
    )


def test_add_unit_with_a_taken_code_rerenders_the_form(client, people, org):
    client.force_login(people.admin)
    before = org_state()
    resp = client.post(
        f"/org/units/{org.r1.pk}/add-unit", {"code": "S1", "name": "又一个", "kind": "store"}
    )
    assert resp.status_code == 200
    assert list(resp.context["form"].errors) == ["code"]
    resp = client.post(
        f"/org/units/{org.r1.pk}/add-unit", {"code": "S4", "name": "静安店", "kind": "shop"}
    )
    assert resp.status_code == 200
    assert list(resp.context["form"].errors) == ["kind"]
    assert org_state() == before


def test_add_unit_is_denied_outside_the_org_managers(client, people, org):
    data = {"code": "S4", "name": "静安店", "kind": "store"}
    before = org_state()
    client.force_login(people.store)
    assert client.post(f"/org/units/{org.s3.pk}/add-unit", data).status_code == 404
    assert client.post(f"/org/units/{org.s1.pk}/add-unit", data).status_code == 403
    client.force_login(people.inspector)
    assert client.post(f"/org/units/{org.s1.pk}/add-unit", data).status_code == 403
    assert org_state() == before


# --- Move a unit ----------------------------------------------------------------------------


def test_admin_moves_a_unit(client, people, org):
    client.force_login(people.admin)
    resp = client.get(f"/org/units/{org.s2.pk}/move")
    assert resp.status_code == 200
    choices = resp.context["form"].fields["parent"].queryset
    assert codes(choices) == ["HQ", "QA", "R1", "S1", "R2", "S3"]
    resp = client.post(f"/org/units/{org.s2.pk}/move", {"parent": org.r2.pk})
    assert resp.status_code == 302
    assert resp["Location"] == f"/org/units/{org.s2.pk}/"
    org.s2.refresh_from_db()
    assert (org.s2.parent, org.s2.path, org.s2.depth) == (
        org.r2,
        f"{org.r2.path}{org.s2.pk}/",
        2,
    )
    entry = last_audit()
    assert (entry.action, entry.actor, entry.before["parent"], entry.after["parent"]) == (
        "org.unit.move",
        people.admin,
        org.r1.pk,
        org.r2.pk,
    )


def test_a_unit_cannot_be_moved_under_its_own_child(client, people, org):
    client.force_login(people.admin)
    before = org_state()
    resp = client.post(f"/org/units/{org.r1.pk}/move", {"parent": org.s1.pk})
    assert resp.status_code == 200
    assert list(resp.context["form"].errors) == ["parent"]
    resp = client.post(f"/org/units/{org.r1.pk}/move", {"parent": org.r1.pk})
    assert resp.status_code == 200
    assert list(resp.context["form"].errors) == ["parent"]
    assert org_state() == before


def test_move_is_denied_outside_the_org_managers(client, people, org):
    before = org_state()
    client.force_login(people.store)
    assert client.post(f"/org/units/{org.s3.pk}/move", {"parent": org.r1.pk}).status_code == 404
    assert client.post(f"/org/units/{org.s1.pk}/move", {"parent": org.r2.pk}).status_code == 403
    assert org_state() == before


# --- Deactivate a unit ----------------------------------------------------------------------


def test_unit_with_current_staff_cannot_be_deactivated_until_they_left(client, people, org):
    client.force_login(people.admin)
    before = org_state()
    resp = client.post(f"/org/units/{org.s1.pk}/deactivate", {"reason": "关店"})
    assert resp.status_code == 200
    assert list(resp.context["form"].errors) == ["__all__"]
    org.s1.refresh_from_db()
    assert org.s1.is_active is True
    assert org_state() == before

    for staff in org.s1_staff:
        services.staff_deactivate(
            actor=people.admin, staff=staff, end_date=dt.date(2025, 6, 30), reason="关店"
        )
    resp = client.post(f"/org/units/{org.s1.pk}/deactivate", {"reason": "关店"})
    assert resp.status_code == 302
    assert resp["Location"] == f"/org/units/{org.s1.pk}/"
    org.s1.refresh_from_db()
    assert org.s1.is_active is False
    entry = last_audit()
    assert (entry.action, entry.actor, entry.note) == ("org.unit.deactivate", people.admin, "关店")


def test_unit_with_current_staff_shows_the_reason_in_english(client, people, org):
    client.force_login(people.admin)
    resp = client.post(
        f"/org/units/{org.s1.pk}/deactivate", {"reason": "关店"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    [message] = resp.context["form"].non_field_errors()
    assert "3 current staff members" in message


def test_deactivate_without_a_reason_rerenders_the_form(client, people, org):
    client.force_login(people.admin)
    before = org_state()
    resp = client.post(f"/org/units/{org.s2.pk}/deactivate", {"reason": ""})
    assert resp.status_code == 200
    assert list(resp.context["form"].errors) == ["reason"]
    assert org_state() == before


def test_deactivate_is_denied_outside_the_org_managers(client, people, org):
    before = org_state()
    client.force_login(people.store)
    assert client.post(f"/org/units/{org.s3.pk}/deactivate", {"reason": "x"}).status_code == 404
    client.force_login(people.region)
    assert client.post(f"/org/units/{org.s2.pk}/deactivate", {"reason": "x"}).status_code == 403
    assert org_state() == before


# --- Transfer a member of staff -------------------------------------------------------------


def test_region_transfers_staff_between_its_stores(client, people, org):
    staff = org.s1_staff[0]
    client.force_login(people.region)
    resp = client.get(f"/org/staff/{staff.pk}/move")
    assert resp.status_code == 200
    assert codes(resp.context["form"].fields["unit"].queryset) == ["R1", "S2"]
    resp = client.post(f"/org/staff/{staff.pk}/move", {"unit": org.s2.pk, "note": "支援"})
    assert resp.status_code == 302
    assert resp["Location"] == f"/org/staff/{staff.pk}/"
    staff.refresh_from_db()
    assert staff.unit == org.s2
    entry = last_audit()
    assert (entry.action, entry.actor, entry.note, entry.after["unit"]) == (
        "org.staff.move",
        people.region,
        "支援",
        org.s2.pk,
    )


def test_transfer_to_a_unit_out_of_scope_rerenders_the_form(client, people, org):
    client.force_login(people.region)
    before = org_state()
    resp = client.post(f"/org/staff/{org.s1_staff[0].pk}/move", {"unit": org.s3.pk})
    assert resp.status_code == 200
    assert list(resp.context["form"].errors) == ["unit"]
    assert org_state() == before


def test_transfer_is_denied_outside_the_staff_managers(client, people, org):
    before = org_state()
    client.force_login(people.store)
    resp = client.post(f"/org/staff/{org.s3_staff[0].pk}/move", {"unit": org.s1.pk})
    assert resp.status_code == 404
    client.force_login(people.inspector)
    resp = client.post(f"/org/staff/{org.s1_staff[0].pk}/move", {"unit": org.s2.pk})
    assert resp.status_code == 403
    assert org_state() == before


# --- Record a member of staff leaving -------------------------------------------------------


def test_store_manager_records_staff_leaving(client, people, org):
    staff = org.s1_staff[1]
    client.force_login(people.store)
    assert client.get(f"/org/staff/{staff.pk}/leave").status_code == 200
    resp = client.post(f"/org/staff/{staff.pk}/leave", {"end_date": "2025-06-30", "reason": "辞职"})
    assert resp.status_code == 302
    assert resp["Location"] == f"/org/staff/{staff.pk}/"
    staff.refresh_from_db()
    assert staff.end_date == dt.date(2025, 6, 30)
    entry = last_audit()
    assert (entry.action, entry.actor, entry.note, entry.after["end_date"]) == (
        "org.staff.deactivate",
        people.store,
        "辞职",
        "2025-06-30",
    )


def test_leaving_before_the_start_date_rerenders_the_form(client, people, org):
    client.force_login(people.store)
    before = org_state()
    resp = client.post(
        f"/org/staff/{org.s1_staff[1].pk}/leave", {"end_date": "2019-12-31", "reason": "辞职"}
    )
    assert resp.status_code == 200
    assert list(resp.context["form"].errors) == ["end_date"]
    resp = client.post(f"/org/staff/{org.s1_staff[1].pk}/leave", {"end_date": "2025-06-30"})
    assert resp.status_code == 200
    assert list(resp.context["form"].errors) == ["reason"]
    assert org_state() == before


def test_leaving_is_denied_outside_the_staff_managers(client, people, org):
    before = org_state()
    data = {"end_date": "2025-06-30", "reason": "辞职"}
    client.force_login(people.store)
    assert client.post(f"/org/staff/{org.s3_staff[0].pk}/leave", data).status_code == 404
    client.force_login(people.inspector)
    assert client.post(f"/org/staff/{org.s1_staff[1].pk}/leave", data).status_code == 403
    client.force_login(people.cashier)
    assert client.post(f"/org/staff/{org.cashier_staff.pk}/leave", data).status_code == 403
    assert org_state() == before
