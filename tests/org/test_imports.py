"""Excel import of units and staff: every problem is reported with its sheet, row and field, and a
file with any problem imports nothing; a valid file is imported in one go through the services,
audit entries included. The page wraps the same function."""

from __future__ import annotations

import datetime as dt
import io
import os
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from openpyxl import Workbook, load_workbook

from sqms.common.models import AuditEntry
from sqms.org import services
from sqms.org.imports import ImportReport, import_org_workbook
from sqms.org.models import OrgUnit, Staff, UnitKind

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
UNIT_HEAD = ["code", "name", "kind", "parent_code"]
STAFF_HEAD = ["employee_no", "name", "unit_code", "position", "start_date", "phone", "email"]

Rows = list[list[object]]


def xlsx(sheets: dict[str, Rows]) -> bytes:
    """A workbook with one sheet per entry, each filled with its rows (the header first)."""
    wb = Workbook()
    wb.remove(wb.active)
    for title, rows in sheets.items():
        ws = wb.create_sheet(title)
        for row in rows:
            ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def run(actor, sheets: dict[str, Rows], dry_run: bool = False) -> ImportReport:
    with translation.override("en"):
        return import_org_workbook(actor=actor, file=io.BytesIO(xlsx(sheets)), dry_run=dry_run)


def staff_row(no: str, unit: str = "S1", **kw: object) -> list[object]:
    row = {
        "name": f"员工{no}",
        "position": "cashier",
        "start_date": "2025-03-01",
        "phone": "13900001111",
        "email": "",
        **kw,
    }
    return [no, row["name"], unit, row["position"], row["start_date"], row["phone"], row["email"]]


def where(report: ImportReport) -> list[tuple[str, int, str]]:
    return [(e.sheet, e.row, e.field) for e in report.errors]


def counts() -> tuple[int, int, int]:
    return OrgUnit.objects.count(), Staff.objects.count(), AuditEntry.objects.count()


def assert_rejected(
    report: ImportReport, before: tuple[int, int, int], expected: list[tuple[str, int, str]]
) -> None:
    assert where(report) == expected
    assert report.imported is False
    assert counts() == before


# --- Valid files ----------------------------------------------------------------------------


def test_valid_file_imports_units_and_staff(org, people):
    before = counts()
    seq_before = AuditEntry.objects.order_by("-seq").values_list("seq", flat=True).first()
    report = run(
        people.admin,
        {
            "units": [
                UNIT_HEAD,
                ["T1", "早班组", "team", "S4"],  # its parent comes later in the file
                ["S4", "静安店", "门店", "R1"],
            ],
            "staff": [
                STAFF_HEAD,
                ["E100", "周杰", "S4", "cashier", "2025-03-01", "13900001111", "zhou@example.com"],
                ["E101", "吴芳", "S1", "收银员", dt.date(2025, 3, 2), None, None],
            ],
        },
    )
    assert (report.errors, report.units, report.staff, report.imported) == ([], 2, 2, True)
    assert counts() == (before[0] + 2, before[1] + 2, before[2] + 4)
    s4, t1 = OrgUnit.objects.get(code="S4"), OrgUnit.objects.get(code="T1")
    assert (s4.name, s4.kind, s4.parent, s4.path, s4.depth) == (
        "静安店",
        UnitKind.STORE,
        org.r1,
        f"{org.r1.path}{s4.pk}/",
        2,
    )
    assert (t1.name, t1.kind, t1.parent, t1.path, t1.depth) == (
        "早班组",
        UnitKind.TEAM,
        s4,
        f"{org.r1.path}{s4.pk}/{t1.pk}/",
        3,
    )
    zhou, wu = Staff.objects.get(employee_no="E100"), Staff.objects.get(employee_no="E101")
    assert (zhou.name, zhou.unit, zhou.position, zhou.start_date, zhou.phone, zhou.email) == (
        "周杰",
        s4,
        org.cashier_position,
        dt.date(2025, 3, 1),
        "13900001111",
        "zhou@example.com",
    )
    assert (wu.unit, wu.position, wu.start_date, wu.phone, wu.email) == (
        org.s1,
        org.cashier_position,
        dt.date(2025, 3, 2),
        "",
        "",
    )
    entries = AuditEntry.objects.filter(seq__gt=seq_before).order_by("seq")
    assert [(e.action, e.target_id, e.actor) for e in entries] == [
        ("org.unit.create", str(s4.pk), people.admin),
        ("org.unit.create", str(t1.pk), people.admin),
        ("org.staff.create", str(zhou.pk), people.admin),
        ("org.staff.create", str(wu.pk), people.admin),
    ]


def test_chinese_sheet_names_and_headers_are_accepted(org, people):
    before = counts()
    report = run(
        people.store,
        {
            "员工": [
                ["工号", "姓名", "单位编码", "岗位", "入职日期"],
                ["E100", "周杰", "S1", "收银员", "2025-03-01"],
                ["E101", "吴芳", "S1", "Store manager", "2025年3月2日"],
            ]
        },
    )
    assert (report.errors, report.units, report.staff, report.imported) == ([], 0, 2, True)
    assert counts() == (before[0], before[1] + 2, before[2] + 2)
    assert list(
        Staff.objects.filter(employee_no__in=["E100", "E101"])
        .order_by("employee_no")
        .values_list("employee_no", "name", "unit__code", "position__code", "start_date")
    ) == [
        ("E100", "周杰", "S1", "cashier", dt.date(2025, 3, 1)),
        ("E101", "吴芳", "S1", "store_manager", dt.date(2025, 3, 2)),
    ]


def test_chinese_unit_headers_are_accepted(org, people):
    report = run(
        people.admin,
        {
            "单位": [
                ["单位编码", "单位名称", "单位类型", "上级单位编码"],
                ["S4", "静安店", "门店", "R1"],
            ]
        },
    )
    assert (report.errors, report.units, report.imported) == ([], 1, True)
    assert OrgUnit.objects.get(code="S4").parent == org.r1


def test_dry_run_reports_the_counts_and_writes_nothing(org, people):
    before = counts()
    report = run(
        people.admin,
        {
            "units": [UNIT_HEAD, ["S4", "静安店", "store", "R1"], ["S5", "长宁店", "store", "R1"]],
            "staff": [STAFF_HEAD, staff_row("E100", "S4"), staff_row("E101"), staff_row("E102")],
        },
        dry_run=True,
    )
    assert (report.errors, report.units, report.staff, report.imported) == ([], 2, 3, False)
    assert counts() == before


def test_blank_rows_are_skipped_and_row_numbers_stay_those_of_the_sheet(org, people):
    before = counts()
    report = run(
        people.store,
        {"staff": [STAFF_HEAD, staff_row("E100"), [], [None, "", None], staff_row("E101", "S9")]},
    )
    assert_rejected(report, before, [("staff", 5, "unit_code")])
    assert report.staff == 2


# --- Headers and sheets ---------------------------------------------------------------------


def test_missing_required_column_is_one_error_on_row_1(org, people):
    before = counts()
    head = ["employee_no", "name", "unit_code", "position", "phone"]
    report = run(people.store, {"staff": [head, ["E100", "周杰", "S1", "cashier", "139"]]})
    assert_rejected(report, before, [("staff", 1, "start_date")])
    assert "start_date / 入职日期" in report.errors[0].message


def test_several_missing_columns_in_both_sheets_are_named(org, people):
    before = counts()
    report = run(
        people.admin,
        {
            "units": [["code", "name"], ["S4", "静安店"]],
            "staff": [["employee_no", "name", "unit_code"], ["E100", "周杰", "S1"]],
        },
    )
    assert_rejected(
        report, before, [("units", 1, "kind, parent_code"), ("staff", 1, "position, start_date")]
    )


def test_workbook_without_a_known_sheet(org, people):
    before = counts()
    report = run(people.admin, {"Sheet1": [STAFF_HEAD, staff_row("E100")]})
    assert_rejected(report, before, [("-", 0, "sheet")])


def test_random_bytes_are_one_clear_error(org, people):
    before = counts()
    with translation.override("en"):
        report = import_org_workbook(
            actor=people.admin, file=io.BytesIO(os.urandom(2048)), dry_run=False
        )
    assert_rejected(report, before, [("-", 0, "file")])
    assert ".xlsx" in report.errors[0].message


def test_a_zip_that_is_not_a_workbook_is_one_clear_error(org, people):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("hello.txt", "not a workbook")
    before = counts()
    with translation.override("en"):
        report = import_org_workbook(
            actor=people.admin, file=io.BytesIO(buf.getvalue()), dry_run=False
        )
    assert_rejected(report, before, [("-", 0, "file")])
    assert ".xlsx" in report.errors[0].message


# --- Dates ----------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["2024-13-45", "明天", "", 45352, "1/3/2024"])
def test_a_bad_start_date_is_reported_on_its_row(org, people, value):
    before = counts()
    report = run(
        people.store,
        {"staff": [STAFF_HEAD, staff_row("E100"), staff_row("E101", start_date=value)]},
    )
    assert_rejected(report, before, [("staff", 3, "start_date")])


@pytest.mark.parametrize(
    "value",
    [
        dt.date(2024, 3, 1),
        dt.datetime(2024, 3, 1, 8, 30),
        "2024/3/1",
        "2024-03-01",
        "2024.03.01",
        "2024年3月1日",
        " 2024-03-01 ",
    ],
)
def test_accepted_start_dates(org, people, value):
    report = run(people.store, {"staff": [STAFF_HEAD, staff_row("E100", start_date=value)]})
    assert (report.errors, report.imported) == ([], True)
    assert Staff.objects.get(employee_no="E100").start_date == dt.date(2024, 3, 1)


# --- Row checks -----------------------------------------------------------------------------


def test_employee_number_twice_in_the_file_names_the_other_row(org, people):
    before = counts()
    report = run(
        people.store,
        {"staff": [STAFF_HEAD, staff_row("E100"), staff_row("E101"), staff_row("E100")]},
    )
    assert_rejected(report, before, [("staff", 4, "employee_no")])
    assert "E100" in report.errors[0].message
    assert "row 2" in report.errors[0].message


def test_employee_number_already_in_the_database(org, people):
    before = counts()
    report = run(people.store, {"staff": [STAFF_HEAD, staff_row("E100"), staff_row("E1")]})
    assert_rejected(report, before, [("staff", 3, "employee_no")])
    assert "E1 " in report.errors[0].message


@pytest.mark.parametrize(
    ("row", "field"),
    [
        pytest.param(staff_row("E100", "S99"), "unit_code", id="unknown-unit"),
        pytest.param(staff_row("E100", position="chef"), "position", id="unknown-position"),
        pytest.param(staff_row("E100", phone="138abc5678"), "phone", id="phone-letters"),
        pytest.param(staff_row("E100", email="zhou@"), "email", id="bad-email"),
        pytest.param(staff_row("E 100"), "employee_no", id="bad-employee-no"),
        pytest.param(staff_row("E100", name=""), "name", id="no-name"),
    ],
)
def test_a_bad_staff_field_is_reported_on_its_row(org, people, row, field):
    before = counts()
    report = run(people.store, {"staff": [STAFF_HEAD, staff_row("E101"), row]})
    assert_rejected(report, before, [("staff", 3, field)])


def test_every_problem_of_a_row_is_reported(org, people):
    before = counts()
    row = ["E1", "", "S99", "chef", "明天", "phone", "mail"]
    report = run(people.store, {"staff": [STAFF_HEAD, row]})
    assert_rejected(
        report,
        before,
        [
            ("staff", 2, "employee_no"),
            ("staff", 2, "name"),
            ("staff", 2, "position"),
            ("staff", 2, "unit_code"),
            ("staff", 2, "start_date"),
            ("staff", 2, "phone"),
            ("staff", 2, "email"),
        ],
    )


def test_staff_for_a_deactivated_unit(org, people):
    services.unit_deactivate(actor=None, unit=org.s2, reason="关店")
    before = counts()
    report = run(people.region, {"staff": [STAFF_HEAD, staff_row("E100", "S2")]})
    assert_rejected(report, before, [("staff", 2, "unit_code")])


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        pytest.param(
            [["S4", "静安店", "store", "R9"]], [("units", 2, "parent_code")], id="unknown-parent"
        ),
        pytest.param(
            [["S4", "静安店", "store", ""]], [("units", 2, "parent_code")], id="no-parent"
        ),
        pytest.param([["S4", "静安店", "shop", "R1"]], [("units", 2, "kind")], id="unknown-kind"),
        pytest.param([["S4", "", "store", "R1"]], [("units", 2, "name")], id="no-name"),
        pytest.param([["S 4", "静安店", "store", "R1"]], [("units", 2, "code")], id="bad-code"),
        pytest.param(
            [["S4", "静安店", "store", "R1"], ["S4", "长宁店", "store", "R1"]],
            [("units", 3, "code")],
            id="code-twice-in-file",
        ),
        pytest.param(
            [["S5", "长宁店", "store", "R1"], ["S1", "徐汇店", "store", "R1"]],
            [("units", 3, "code")],
            id="code-in-database",
        ),
        pytest.param(
            [["A1", "甲组", "team", "B1"], ["B1", "乙组", "team", "A1"]],
            [("units", 2, "parent_code")],
            id="cycle",
        ),
        pytest.param(
            [["A1", "甲组", "team", "A1"]], [("units", 2, "parent_code")], id="own-parent"
        ),
    ],
)
def test_a_bad_unit_row_is_reported(org, people, rows, expected):
    before = counts()
    report = run(people.admin, {"units": [UNIT_HEAD, *rows]})
    assert_rejected(report, before, expected)


def test_a_parent_cycle_is_described(org, people):
    report = run(
        people.admin,
        {"units": [UNIT_HEAD, ["A1", "甲组", "team", "B1"], ["B1", "乙组", "team", "A1"]]},
    )
    assert "A1 → B1 → A1" in report.errors[0].message


def test_a_deactivated_parent_is_reported_on_its_row(org, people):
    services.unit_deactivate(actor=None, unit=org.s2, reason="关店")
    before = counts()
    rows = [UNIT_HEAD, ["T1", "早班组", "team", "S2"]]
    assert_rejected(
        run(people.admin, {"units": rows}, dry_run=True), before, [("units", 2, "parent_code")]
    )
    assert_rejected(run(people.admin, {"units": rows}), before, [("units", 2, "parent_code")])


# --- Permissions ----------------------------------------------------------------------------


def test_store_manager_may_not_import_outside_his_store(org, people):
    sheets = {
        "units": [UNIT_HEAD, ["S5", "珠江新城店", "store", "R2"]],
        "staff": [STAFF_HEAD, staff_row("E100", "S3"), staff_row("E101", "S1")],
    }
    before = counts()
    report = run(people.store, sheets)
    assert_rejected(report, before, [("units", 2, "parent_code"), ("staff", 2, "unit_code")])

    report = run(people.admin, sheets)
    assert (report.errors, report.units, report.staff, report.imported) == ([], 1, 2, True)
    assert list(
        Staff.objects.filter(employee_no__in=["E100", "E101"])
        .order_by("employee_no")
        .values_list("unit__code", flat=True)
    ) == ["S3", "S1"]
    assert OrgUnit.objects.get(code="S5").parent == org.r2


def test_store_manager_may_not_add_units_even_in_his_store(org, people):
    before = counts()
    report = run(people.store, {"units": [UNIT_HEAD, ["T1", "早班组", "team", "S1"]]})
    assert_rejected(report, before, [("units", 2, "parent_code")])


def test_one_wrong_row_out_of_fifty_imports_nothing(org, people):
    rows = [staff_row(f"N{n:03d}") for n in range(50)]
    rows[29] = staff_row("N029", phone="138-CALL-ME")
    before = counts()
    report = run(people.store, {"staff": [STAFF_HEAD, *rows]})
    assert_rejected(report, before, [("staff", 31, "phone")])
    assert report.staff == 50

    rows[29] = staff_row("N029")
    report = run(people.store, {"staff": [STAFF_HEAD, *rows]})
    assert (report.errors, report.staff, report.imported) == ([], 50, True)
    assert counts() == (before[0], before[1] + 50, before[2] + 50)


# --- The page -------------------------------------------------------------------------------


def upload(content: bytes, name: str = "org.xlsx") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=XLSX)


def post_import(client, content: bytes, *, dry_run: bool, name: str = "org.xlsx"):
    """Post the form as a browser does: the CSRF token is always among the fields, and an
    unticked box sends nothing."""
    token = str(client.get("/org/import/").context["csrf_token"])
    data: dict[str, object] = {"csrfmiddlewaretoken": token, "file": upload(content, name)}
    if dry_run:
        data["dry_run"] = "on"
    return client.post("/org/import/", data)


def test_import_page_for_the_store_manager(client, people, org):
    client.force_login(people.store)
    resp = client.get("/org/import/")
    assert resp.status_code == 200
    assert resp.context["report"] is None
    assert resp.context["form"]["dry_run"].value() is True


def test_import_page_lists_the_problems_by_row(client, people, org):
    client.force_login(people.store)
    content = xlsx(
        {
            "staff": [
                STAFF_HEAD,
                staff_row("E100"),
                staff_row("E101", "S3"),
                staff_row("E102", phone="abc"),
            ]
        }
    )
    before = counts()
    resp = post_import(client, content, dry_run=False)
    assert resp.status_code == 200
    assert where(resp.context["report"]) == [("staff", 3, "unit_code"), ("staff", 4, "phone")]
    table = resp.content.decode().split('id="import-report"')[1]
    assert "<td>staff</td><td>3</td><td>unit_code</td>" in table
    assert "<td>staff</td><td>4</td><td>phone</td>" in table
    assert counts() == before


def test_import_page_checks_then_imports(client, people, org):
    client.force_login(people.store)
    content = xlsx({"staff": [STAFF_HEAD, staff_row("E100"), staff_row("E101")]})
    before = counts()
    resp = post_import(client, content, dry_run=True)
    report = resp.context["report"]
    assert (report.errors, report.staff, report.imported) == ([], 2, False)
    assert counts() == before

    resp = post_import(client, content, dry_run=False)
    assert resp.status_code == 200
    report = resp.context["report"]
    assert (report.errors, report.staff, report.imported) == ([], 2, True)
    assert counts() == (before[0], before[1] + 2, before[2] + 2)
    assert set(
        AuditEntry.objects.filter(action="org.staff.create", actor=people.store).values_list(
            "target_label", flat=True
        )
    ) == {"员工E100 (E100)", "员工E101 (E101)"}


def test_import_page_refuses_a_file_that_is_not_xlsx_by_name(client, people, org):
    client.force_login(people.store)
    before = counts()
    content = xlsx({"staff": [STAFF_HEAD, staff_row("E100")]})
    resp = post_import(client, content, dry_run=False, name="org.csv")
    assert resp.status_code == 200
    assert list(resp.context["form"].errors) == ["file"]
    assert resp.context["report"] is None
    assert counts() == before


def test_import_page_reports_random_bytes_as_one_error(client, people, org):
    client.force_login(people.store)
    before = counts()
    resp = post_import(client, os.urandom(2048), dry_run=False)
    assert resp.status_code == 200
    assert where(resp.context["report"]) == [("-", 0, "file")]
    assert counts() == before


def test_import_page_is_forbidden_to_the_cashier(client, people, org):
    client.force_login(people.cashier)
    before = counts()
    assert client.get("/org/import/").status_code == 403
    content = xlsx({"staff": [STAFF_HEAD, staff_row("E100")]})
    resp = client.post("/org/import/", {"csrfmiddlewaretoken": "x", "file": upload(content)})
    assert resp.status_code == 403
    assert counts() == before


def test_template_round_trip(client, people, org):
    client.force_login(people.admin)
    resp = client.get("/org/import/template.xlsx")
    assert resp.status_code == 200
    assert resp["Content-Type"] == XLSX
    assert resp["Content-Disposition"] == 'attachment; filename="sqms-org-template.xlsx"'
    wb = load_workbook(io.BytesIO(resp.content))
    assert wb.sheetnames == ["units", "staff"]
    units, staff = wb["units"], wb["staff"]
    assert [c.value for c in units[1]] == UNIT_HEAD
    assert [c.value for c in staff[1]] == STAFF_HEAD
    # Fill the example rows with codes that exist here.
    assert units["A2"].value == staff["C2"].value  # the example staff joins the example unit
    units["D2"] = "R1"
    buf = io.BytesIO()
    wb.save(buf)
    before = counts()
    with translation.override("en"):
        report = import_org_workbook(
            actor=people.admin, file=io.BytesIO(buf.getvalue()), dry_run=False
        )
    assert (report.errors, report.units, report.staff, report.imported) == ([], 1, 1, True)
    assert counts() == (before[0] + 1, before[1] + 1, before[2] + 2)
    new_unit = OrgUnit.objects.get(code=units["A2"].value)
    assert new_unit.parent == org.r1
    assert Staff.objects.get(employee_no=staff["A2"].value).unit == new_unit
