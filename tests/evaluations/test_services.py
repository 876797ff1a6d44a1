"""Evaluation services: schemes, runs, the workflow with appeals, and the frozen version."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
import time_machine

from sqms.common.errors import DomainError, PermissionDenied
from sqms.common.models import AuditEntry
from sqms.complaints.models import Status
from sqms.evaluations import services
from sqms.evaluations.models import Appeal, RunStatus, SchemeVersion, Scorecard, UnitResult
from tests.evaluations.factories import (
    CASHIER_SPEC,
    cashier_scheme,
    complaint,
    computed_run,
    sh,
    world,
)


@pytest.fixture
def november(org):  # type: ignore[no-untyped-def]
    e1, e2 = org.s1_staff[0], org.s1_staff[1]
    e9 = org.s3_staff[0]
    for day in (3, 5, 9, 12):
        complaint(e1, sh(2026, 11, day))
    complaint(e1, sh(2026, 11, 20), substantiated=False)  # the fifth: not substantiated
    complaint(e1, sh(2026, 11, 21), substantiated=None)  # still being verified
    complaint(e1, sh(2026, 11, 22), status=Status.VOIDED)
    complaint(e1, sh(2026, 10, 31, 23))  # October, Shanghai time
    complaint(e2, sh(2026, 12, 1, 0))  # December
    complaint(e9, sh(2026, 11, 30, 23))
    return org


def test_run_scores_every_cashier_with_explained_lines(november, people) -> None:  # type: ignore[no-untyped-def]
    org = november
    run = computed_run(cashier_scheme(), org.hq)
    assert run.status == RunStatus.DRAFT
    assert (run.done, run.total) == (3, 3)
    cards = {
        c.staff.employee_no: c for c in Scorecard.objects.filter(run=run).select_related("staff")
    }
    e1, e2, e9 = cards["E1"], cards["E2"], cards["E9"]
    assert (e1.total, e2.total, e9.total) == (D("60.0"), D("100.0"), D("90.0"))
    assert (e1.grade, e2.grade, e9.grade) == ("pass", "excellent", "excellent")
    assert (e1.rank, e2.rank, e9.rank) == (3, 1, 2)
    assert e1.outcomes["ladder"] == {"count": 4, "amount": "-100", "outcome": ""}
    assert e2.outcomes["ladder"] == {"count": 0, "amount": "30", "outcome": ""}
    assert (e1.amount, e2.amount) == (D(-100), D(30))
    line = e1.lines.get(order=0)
    assert (line.component, line.kind, line.points) == ("complaints", "per_event", D(40))
    assert line.inputs == {"value": "4", "n": 4, "count": 4, "free": 0}
    assert [r[0] for r in line.refs] == ["complaint"] * 4
    manual = e1.lines.get(order=1)
    assert (manual.kind, manual.points, manual.note) == ("manual", D(0), "no entry")
    means = {
        (r.unit.code, r.level): (r.mean, r.n)
        for r in UnitResult.objects.filter(run=run).select_related("unit")
    }
    assert means == {
        ("S1", 1): (D("80.00"), 2),
        ("S3", 1): (D("90.00"), 1),
        ("R1", 2): (D("80.00"), 1),
        ("R2", 2): (D("90.00"), 1),
    }
    assert SchemeVersion.objects.get().frozen is True


def test_start_refuses_a_wrong_period_and_a_second_run(november, people) -> None:  # type: ignore[no-untyped-def]
    version = cashier_scheme()
    computed_run(version, november.hq)
    before = world()
    with pytest.raises(DomainError) as exc:
        services.run_start(
            actor=people.quality, version=version, period="2026-Q4", scope=november.hq
        )
    assert [(e.loc, e.msg) for e in exc.value.errors] == [
        (["period"], "This scheme evaluates per month; 2026-Q4 is not one.")
    ]
    with pytest.raises(DomainError) as exc:
        services.run_start(
            actor=people.quality, version=version, period="2026-11", scope=november.hq
        )
    assert exc.value.errors[0].msg == "2026-11 is already evaluated for this scope."
    with pytest.raises(DomainError) as exc:
        services.run_start(actor=people.quality, version=version, period="Nov", scope=november.hq)
    assert exc.value.errors[0].loc == ["period"]
    assert world() == before


def test_only_the_quality_department_starts_runs(november, people) -> None:  # type: ignore[no-untyped-def]
    version = cashier_scheme()
    before = world()
    for user in (people.store, people.cashier, people.region):
        with pytest.raises(PermissionDenied):
            services.run_start(actor=user, version=version, period="2026-11", scope=november.s1)
    assert world() == before


def test_editing_a_used_scheme_makes_a_new_version_and_the_result_recomputes(november) -> None:  # type: ignore[no-untyped-def]
    version = cashier_scheme()
    run = computed_run(version, november.hq)
    harsher = {
        **CASHIER_SPEC,
        "components": [
            {
                **CASHIER_SPEC["components"][0],
                "rules": [
                    {"kind": "per_event", "source": "complaints.substantiated", "points": 20}
                ],
            },
            CASHIER_SPEC["components"][1],
        ],
    }
    v2 = services.scheme_save(
        actor=None,
        code="cashier-monthly",
        name_zh="收银员月度考评",
        name_en="Cashier monthly evaluation",
        spec=harsher,
        activate=True,
    )
    assert (v2.number, version.number) == (2, 1)
    version.refresh_from_db()
    assert (version.spec, version.state) == (CASHIER_SPEC, SchemeVersion.State.RETIRED)
    # Later records do not move the stored facts either.
    complaint(november.s1_staff[1], sh(2026, 11, 15))
    assert services.run_recompute_check(run) == []
    assert Scorecard.objects.get(run=run, staff__employee_no="E2").total == D("100.0")


def test_broken_scheme_is_refused_with_every_mistake(db) -> None:  # type: ignore[no-untyped-def]
    spec = {
        **CASHIER_SPEC,
        "positions": ["nobody"],
        "components": [
            {
                "code": "a",
                "max": 50,
                "rules": [{"kind": "per_event", "source": "complaints.nowhere"}],
            },
        ],
    }
    with pytest.raises(DomainError) as exc:
        services.scheme_save(actor=None, code="x", name_zh="x", name_en="x", spec=spec)
    got = [(e.loc, e.msg) for e in exc.value.errors]
    assert got[0][0] == ["components", 0, "rules", 0, "source"]
    assert got[0][1].startswith("unknown source 'complaints.nowhere'")
    assert got[1] == (
        ["components"],
        "the components add up to 50, not the scale 100: fix the points or set normalise: "
        "proportional (total × scale / Σ max)",
    )
    assert got[2] == (["positions", 0], "no position has the code 'nobody'")
    assert len(got) == 3
    assert SchemeVersion.objects.count() == 0


def _open(run, people):  # type: ignore[no-untyped-def]
    with time_machine.travel(sh(2026, 12, 2, 9)):
        return services.run_open_appeals(actor=people.quality, run=run)


def test_appeal_workflow_upheld_changes_the_result(november, people) -> None:  # type: ignore[no-untyped-def]
    run = computed_run(cashier_scheme(), november.hq)
    run = _open(run, people)
    assert run.appeal_deadline == sh(2026, 12, 7, 9)
    card = Scorecard.objects.get(run=run, staff=people.cashier.staff)
    line = card.lines.get(order=0)
    with time_machine.travel(sh(2026, 12, 3, 10)):
        appeal = services.appeal_file(
            actor=people.cashier, line=line, reason="The 12 Nov complaint was about the bakery."
        )
        decided = services.appeal_decide(
            actor=people.quality,
            appeal=appeal,
            upheld=True,
            decision="Checked the register: bakery counter.",
            points=D(30),
        )
    assert decided.state == Appeal.State.UPHELD
    card.refresh_from_db()
    assert card.total == D("70.0")
    assert card.outcomes["ladder"] == {"count": 3, "amount": "-30", "outcome": ""}
    assert card.lines.get(order=0).note == "appeal upheld: 40 → 30"
    assert UnitResult.objects.get(run=run, unit=november.s1, level=1).mean == D("85.00")
    with time_machine.travel(sh(2026, 12, 5)), pytest.raises(DomainError) as exc:
        services.run_review(actor=people.quality, run=run)
    assert exc.value.errors[0].msg == "Staff may appeal until 2026-12-07 01:00."
    with time_machine.travel(sh(2026, 12, 8)):
        run = services.run_review(actor=people.quality, run=run)
        run = services.run_approve(actor=people.quality, run=run)
        run = services.run_publish(actor=people.quality, run=run, audience="managers")
    assert (run.status, run.audience) == (RunStatus.PUBLISHED, "managers")
    assert services.run_recompute_check(run) == []
    actions = list(
        AuditEntry.objects.filter(action__startswith="evaluations.run_")
        .order_by("seq")
        .values_list("action", flat=True)
    )
    assert actions == [
        "evaluations.run_start",
        "evaluations.run_computed",
        "evaluations.run_open_appeals",
        "evaluations.run_review",
        "evaluations.run_approve",
        "evaluations.run_publish",
    ]


def test_appeal_refusals_change_nothing(november, people) -> None:  # type: ignore[no-untyped-def]
    run = computed_run(cashier_scheme(), november.hq)
    mine = Scorecard.objects.get(run=run, staff=people.cashier.staff).lines.get(order=0)
    colleague = Scorecard.objects.get(run=run, staff=november.s1_staff[1]).lines.get(order=0)
    before = world()
    with pytest.raises(DomainError) as exc:  # still a draft
        services.appeal_file(actor=people.cashier, line=mine, reason="wrong")
    assert exc.value.errors[0].msg == "This evaluation is not open for appeals."
    run = _open(run, people)
    before = world()
    with pytest.raises(PermissionDenied):
        services.appeal_file(actor=people.cashier, line=colleague, reason="wrong")
    with time_machine.travel(sh(2026, 12, 3)), pytest.raises(DomainError) as exc:
        services.appeal_file(actor=people.cashier, line=mine, reason="  ")
    assert exc.value.errors[0].loc == ["reason"]
    with time_machine.travel(sh(2026, 12, 8)), pytest.raises(DomainError) as exc:
        services.appeal_file(actor=people.cashier, line=mine, reason="late")
    assert exc.value.errors[0].msg == "The time to appeal ended on 2026-12-07 01:00."
    assert world() == before


def test_rejected_appeal_needs_a_reason_and_keeps_the_score(november, people) -> None:  # type: ignore[no-untyped-def]
    run = _open(computed_run(cashier_scheme(), november.hq), people)
    line = Scorecard.objects.get(run=run, staff=people.cashier.staff).lines.get(order=0)
    with time_machine.travel(sh(2026, 12, 3)):
        appeal = services.appeal_file(actor=people.cashier, line=line, reason="unfair")
    before = world()
    with pytest.raises(DomainError) as exc:
        services.appeal_decide(actor=people.quality, appeal=appeal, upheld=False, decision="")
    assert exc.value.errors[0].loc == ["decision"]
    with pytest.raises(PermissionDenied):
        services.appeal_decide(actor=people.store, appeal=appeal, upheld=True, decision="ok")
    assert world() == before
    services.appeal_decide(actor=people.quality, appeal=appeal, upheld=False, decision="Verified.")
    assert Scorecard.objects.get(run=run, staff=people.cashier.staff).total == D("60.0")


def test_manual_points_need_a_justification(november, people) -> None:  # type: ignore[no-untyped-def]
    run = computed_run(cashier_scheme(), november.hq)
    card = Scorecard.objects.get(run=run, staff=november.s1_staff[1])
    before = world()
    with pytest.raises(DomainError) as exc:
        services.scorecard_manual_set(
            actor=people.quality, card=card, component="conduct", points=D(5), justification=""
        )
    assert exc.value.errors[0].loc == ["justification"]
    assert world() == before
    services.scorecard_manual_set(
        actor=people.quality,
        card=card,
        component="conduct",
        points=D(5),
        justification="Phone at the till, 14 Nov (inspection 88).",
    )
    card.refresh_from_db()
    assert card.total == D("95.0")
    line = card.lines.get(order=1)
    assert (line.points, line.note) == (D(5), "Phone at the till, 14 Nov (inspection 88).")


def test_whatif_compares_with_the_published_run(november, people) -> None:  # type: ignore[no-untyped-def]
    run = computed_run(cashier_scheme(), november.hq)
    run = _open(run, people)
    with time_machine.travel(sh(2026, 12, 8)):
        run = services.run_review(actor=people.quality, run=run)
        run = services.run_approve(actor=people.quality, run=run)
        run = services.run_publish(actor=people.quality, run=run)
    draft = services.scheme_save(
        actor=people.quality,
        code="cashier-monthly",
        name_zh="收银员月度考评",
        name_en="Cashier monthly evaluation",
        spec={
            **CASHIER_SPEC,
            "components": [
                {
                    **CASHIER_SPEC["components"][0],
                    "rules": [
                        {"kind": "per_event", "source": "complaints.substantiated", "points": 5}
                    ],
                },
                CASHIER_SPEC["components"][1],
            ],
        },
    )
    assert draft.state == SchemeVersion.State.DRAFT
    whatif = computed_run(draft, november.hq, whatif=True)
    assert whatif.compare_to_id == run.pk
    assert Scorecard.objects.get(run=whatif, staff__employee_no="E1").total == D("80.0")
    draft.refresh_from_db()
    assert draft.frozen is False
    with pytest.raises(DomainError):
        services.run_open_appeals(actor=people.quality, run=whatif)


def test_evaluate_command(november, capsys) -> None:  # type: ignore[no-untyped-def]
    from django.core.management import CommandError, call_command

    cashier_scheme()
    call_command("evaluate", "cashier-monthly", "2026-11", "--scope", "HQ")
    out = capsys.readouterr().out
    assert "3 scorecards, Draft (cashier-monthly v1, 2026-11, HQ)" in out
    with pytest.raises(CommandError, match=r"2026-11 is already evaluated for this scope\."):
        call_command("evaluate", "cashier-monthly", "2026-11", "--scope", "HQ")
    with pytest.raises(CommandError, match="no scheme 'nothing'"):
        call_command("evaluate", "nothing", "2026-11")
