"""Helpers for the evaluation tests: complaints written straight to the table (the facts read
the table; the complaint services are tested elsewhere), a small cashier scheme, runs computed in
the test's own process, and snapshots of everything a refused write could change."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from sqms.common.models import AuditEntry
from sqms.complaints.models import Category, Channel, Complaint, Status
from sqms.evaluations import services
from sqms.evaluations.models import Appeal, Run, SchemeVersion, Scorecard, ScorecardLine, UnitResult
from sqms.metrics.models import Formula, Kpi, Measurement, SubjectKind
from sqms.org.models import OrgUnit, Staff, User

SH = dt.timezone(dt.timedelta(hours=8))
_refs = itertools.count(1)


def sh(year: int, month: int, day: int, hour: int = 12) -> dt.datetime:
    return dt.datetime(year, month, day, hour, tzinfo=SH)


def complaint(
    staff: Staff | None,
    when: dt.datetime,
    *,
    substantiated: bool | None = True,
    unit: OrgUnit | None = None,
    status: str = Status.CLOSED,
    category: Category | None = None,
) -> Complaint:
    unit = unit or (staff.unit if staff else None)
    assert unit is not None
    return Complaint.objects.create(
        ref=f"T{next(_refs):06d}",
        channel=Channel.DESK,
        received_at=when,
        unit=unit,
        responsible_unit=unit,
        staff=staff,
        description="test",
        status=status,
        substantiated=substantiated,
        category=category,
    )


def votes_kpi() -> Kpi:
    return Kpi.objects.create(
        code="star-votes",
        name_zh="服务明星票数",
        name_en="Service-star votes",
        formula=Formula.COUNT,
        subject=SubjectKind.STAFF,
    )


def votes(kpi: Kpi, staff: Staff, n: int, month: tuple[int, int] = (2026, 11)) -> Measurement:
    start = dt.date(month[0], month[1], 1)
    end = (start + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    return Measurement.objects.create(
        kpi=kpi,
        unit=staff.unit,
        staff=staff,
        period_start=start,
        period_end=end,
        numerator=n,
        value=n,
    )


CASHIER_SPEC: dict[str, Any] = {
    "code": "cashier-monthly",
    "subject": "staff",
    "positions": ["cashier"],
    "period": "month",
    "scale": 100,
    "decimals": 1,
    "appeal_days": 5,
    "components": [
        {
            "code": "complaints",
            "label": "顾客投诉",
            "max": 40,
            "rules": [{"kind": "per_event", "source": "complaints.substantiated", "points": 10}],
        },
        {
            "code": "conduct",
            "label": "服务规范",
            "max": 60,
            "rules": [{"kind": "manual"}],
        },
    ],
    "bands": [
        {"code": "excellent", "label": "优秀", "min": 90, "max": 100},
        {"code": "pass", "label": "合格", "min": 60, "max": 89},
        {"code": "fail", "label": "不合格", "min": 0, "max": 59},
    ],
    "ladder": {
        "source": "complaints.substantiated",
        "steps": [
            {"count": 0, "amount": 30},
            {"count": 1, "amount": 20},
            {"count": 2, "amount": 0},
            {"count": 3, "amount": -30},
            {"count": 4, "amount": -100},
        ],
        "above": {"amount": -100, "outcome": "dismissal_review"},
    },
}


def cashier_scheme(actor: User | None = None, **changes: Any) -> SchemeVersion:
    return services.scheme_save(
        actor=actor,
        code="cashier-monthly",
        name_zh="收银员月度考评",
        name_en="Cashier monthly evaluation",
        spec={**CASHIER_SPEC, **changes},
        activate=True,
    )


def computed_run(version: SchemeVersion, scope: OrgUnit, period: str = "2026-11", **kw: Any) -> Run:
    run = services.run_start(
        actor=None, version=version, period=period, scope=scope, enqueue=False, **kw
    )
    return services.run_compute(run.pk)


def world() -> dict[str, Any]:
    """Everything an evaluation write could change."""
    return {
        "counts": {
            m.__name__: m.objects.count()
            for m in (Run, Scorecard, ScorecardLine, Appeal, UnitResult, SchemeVersion, AuditEntry)
        },
        "runs": list(Run.objects.order_by("pk").values_list("pk", "status", "appeal_deadline")),
        "cards": list(Scorecard.objects.order_by("pk").values_list("pk", "total", "overrides")),
        "appeals": list(Appeal.objects.order_by("pk").values_list("pk", "state")),
        "versions": list(
            SchemeVersion.objects.order_by("pk").values_list("pk", "state", "frozen", "spec")
        ),
    }
