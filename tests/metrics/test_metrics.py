"""KPIs: figures by formula, scoped entry, the all-or-nothing Excel import, facts over a period,
the pack section, and the pages and API."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal as D

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from sqms.common.errors import DomainError, PermissionDenied
from sqms.common.models import AuditEntry
from sqms.metrics import imports, services
from sqms.metrics.configuration import metrics_config_apply
from sqms.metrics.facts import kpi_facts
from sqms.metrics.models import Formula, Kpi, Measurement, SubjectKind

NOV = (dt.date(2026, 11, 1), dt.date(2026, 11, 30))
DEC = (dt.date(2026, 12, 1), dt.date(2026, 12, 31))


@pytest.fixture
def answer_rate(db) -> Kpi:  # type: ignore[no-untyped-def]
    return Kpi.objects.create(
        code="cc-answer-rate",
        name_zh="95598电话接通率",
        name_en="Call answer rate",
        formula=Formula.RATIO_PERCENT,
        target=D(95),
        subject=SubjectKind.UNIT,
    )


def state() -> list[tuple]:  # type: ignore[type-arg]
    return list(
        Measurement.objects.order_by("pk").values_list("pk", "numerator", "denominator", "value")
    )


@pytest.mark.parametrize(
    ("formula", "num", "den", "value"),
    [
        (Formula.RATIO_PERCENT, "9512", "10000", D("95.1200")),
        (Formula.RATIO_PERMILLE, "3", "40000", D("0.0750")),
        (Formula.COUNT, "4", None, D("4.0000")),
        (Formula.MEAN, "270", "3", D("90.0000")),
    ],
)
def test_values_by_formula(db, formula, num, den, value) -> None:  # type: ignore[no-untyped-def]
    kpi = Kpi(code="k", formula=formula)
    assert services.measurement_value(kpi, D(num), D(den) if den else None) == value


def test_ratio_refuses_a_numerator_above_the_denominator(answer_rate, org, people) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(DomainError) as exc:
        services.measurement_record(
            actor=people.quality,
            kpi=answer_rate,
            period_start=NOV[0],
            period_end=NOV[1],
            numerator=D(11),
            denominator=D(10),
            unit=org.s1,
        )
    assert [(e.loc, e.msg) for e in exc.value.errors] == [
        (["numerator"], "The numerator cannot exceed the denominator.")
    ]
    assert state() == []


def test_entry_is_scoped_and_replacing_is_audited(answer_rate, org, people) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(PermissionDenied):
        services.measurement_record(
            actor=people.store,
            kpi=answer_rate,
            period_start=NOV[0],
            period_end=NOV[1],
            numerator=D(9),
            denominator=D(10),
            unit=org.s1,
        )
    assert state() == []
    m = services.measurement_record(
        actor=people.quality,
        kpi=answer_rate,
        period_start=NOV[0],
        period_end=NOV[1],
        numerator=D(9),
        denominator=D(10),
        unit=org.s1,
    )
    again = services.measurement_record(
        actor=people.quality,
        kpi=answer_rate,
        period_start=NOV[0],
        period_end=NOV[1],
        numerator=D(95),
        denominator=D(100),
        unit=org.s1,
    )
    assert again.pk == m.pk and again.value == D("95.0000")
    entry = AuditEntry.objects.get(action="metrics.measurement_replace")
    assert entry.before["value"] == "90.0000"


def test_facts_combine_months_weighted_by_calls(answer_rate, org) -> None:  # type: ignore[no-untyped-def]
    for (start, end), num, den in ((NOV, 90, 100), (DEC, 980, 1000)):
        services.measurement_record(
            actor=None,
            kpi=answer_rate,
            period_start=start,
            period_end=end,
            numerator=D(num),
            denominator=D(den),
            unit=org.s1,
        )
    facts = kpi_facts(answer_rate, NOV[0], DEC[1], [org.s1.pk, org.s2.pk])
    assert (facts[org.s1.pk].value, facts[org.s1.pk].n) == (D("97.2727"), 1100)
    assert facts[org.s2.pk].value is None
    assert len(facts[org.s1.pk].measurements) == 2


def _xlsx(rows: list[list[object]]) -> SimpleUploadedFile:
    wb = Workbook()
    ws = wb.active
    ws.append(
        [
            "指标编码 KPI code",
            "对象编码 Unit code or employee no.",
            "开始日期 From",
            "结束日期 To",
            "分子 Numerator",
            "分母 Denominator",
            "备注 Note",
        ]
    )
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return SimpleUploadedFile("m.xlsx", buf.getvalue())


def test_import_names_every_bad_row_and_imports_nothing(answer_rate, org, people) -> None:  # type: ignore[no-untyped-def]
    report = imports.import_measurements(
        actor=people.quality,
        file=_xlsx(
            [
                ["cc-answer-rate", "S1", "2026-11-01", "2026-11-30", 95, 100, ""],
                ["cc-nothing", "S1", "2026-11-01", "2026-11-30", 95, 100, ""],
                ["cc-answer-rate", "S9", "2026-11-01", "2026-11-30", 95, 100, ""],
                ["cc-answer-rate", "S2", "2026-11-31", "2026-11-30", "many", 100, ""],
                ["cc-answer-rate", "S2", "2026-11-01", "2026-11-30", 120, 100, ""],
            ]
        ),
    )
    assert [(e.row, e.column, e.message) for e in report.errors] == [
        (3, "指标编码 KPI code", "No active KPI has the code cc-nothing."),
        (4, "对象编码 Unit code or employee no.", "No active unit has the code S9."),
        (5, "开始日期 From", "Write the date as YYYY-MM-DD."),
        (5, "分子 Numerator", "A number is required."),
        (6, "分子 Numerator", "The numerator cannot exceed the denominator."),
    ]
    assert (report.imported, state()) == (False, [])


def test_import_a_good_file(answer_rate, org, people) -> None:  # type: ignore[no-untyped-def]
    report = imports.import_measurements(
        actor=people.quality,
        file=_xlsx(
            [
                ["cc-answer-rate", "S1", "2026-11-01", "2026-11-30", 95, 100, ""],
                [
                    "cc-answer-rate",
                    "S2",
                    dt.datetime(2026, 11, 1),
                    dt.datetime(2026, 11, 30),
                    88,
                    100,
                    "late",
                ],
            ]
        ),
    )
    assert (report.errors, report.imported, report.rows) == ([], True, 2)
    assert [m[3] for m in state()] == [D("95.0000"), D("88.0000")]
    refused = imports.import_measurements(
        actor=people.store,
        file=_xlsx(
            [
                ["cc-answer-rate", "S3", "2026-12-01", "2026-12-31", 95, 100, ""],
            ]
        ),
    )
    assert refused.errors[0].message == "You may not enter figures for this unit."
    assert len(state()) == 2


def test_pack_section_names_mistakes(db) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(DomainError) as exc:
        metrics_config_apply(
            actor=None,
            pack="t",
            data={
                "kpis": [
                    {"code": "ok", "zh": "好", "en": "ok", "formula": "ratio_pct"},
                    {"code": "BAD CODE", "zh": "x", "en": "x", "formula": "ratio_pct"},
                    {"code": "x2", "zh": "x", "en": "", "formula": "median", "target": "high"},
                ]
            },
        )
    assert [(e.loc, e.msg) for e in exc.value.errors] == [
        (["metrics", "kpis", 1, "code"], "A KPI code is lower-case letters, digits and '-'."),
        (["metrics", "kpis", 2, "en"], "A name is required."),
        (["metrics", "kpis", 2, "formula"], "One of ratio_pct, ratio_permille, count, mean."),
        (["metrics", "kpis", 2, "target"], "The target is a number."),
    ]
    assert Kpi.objects.count() == 0


def test_pages_and_api(client, api_client, answer_rate, org, people) -> None:  # type: ignore[no-untyped-def]
    client.force_login(people.quality)
    assert client.get("/metrics/").status_code == 200
    resp = client.post(
        "/metrics/cc-answer-rate/",
        {
            "subject": "S1",
            "period_start": "2026-11-01",
            "period_end": "2026-11-30",
            "numerator": "9",
            "denominator": "10",
        },
    )
    assert resp.status_code == 302
    resp = client.post(
        "/metrics/cc-answer-rate/",
        {
            "subject": "S1",
            "period_start": "2026-11-01",
            "period_end": "2026-11-30",
            "numerator": "11",
            "denominator": "10",
        },
    )
    assert "The numerator cannot exceed the denominator." in resp.content.decode()
    assert client.get("/metrics/import/template.xlsx").status_code == 200
    client.force_login(people.cashier)
    assert client.get("/metrics/").status_code == 403
    api = api_client.as_user(people.quality)
    r = api.post(
        "/metrics/measurements",
        {
            "kpi": "cc-answer-rate",
            "subject": "S2",
            "period_start": "2026-11-01",
            "period_end": "2026-11-30",
            "numerator": 95,
            "denominator": 100,
        },
    )
    assert (r.status_code, r.json()["value"]) == (201, "95.0000")
    bad = api.post(
        "/metrics/measurements",
        {
            "kpi": "cc-answer-rate",
            "subject": "S2",
            "period_start": "2026-11-01",
            "period_end": "2026-11-30",
            "numerator": 95,
        },
    )
    assert bad.status_code == 422
    assert bad.json()["errors"] == [
        {"loc": ["denominator"], "msg": "A ratio needs a denominator above 0."}
    ]
    outsider = api_client.as_user(people.store).post(
        "/metrics/measurements",
        {
            "kpi": "cc-answer-rate",
            "subject": "S1",
            "period_start": "2026-12-01",
            "period_end": "2026-12-31",
            "numerator": 1,
            "denominator": 1,
        },
    )
    assert outsider.status_code == 422
    assert outsider.json()["errors"][0]["loc"] == ["kpi"]
    assert len(state()) == 2
