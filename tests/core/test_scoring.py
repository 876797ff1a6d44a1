"""The evaluation rules engine: hand-computed cases and properties."""

from __future__ import annotations

from decimal import Decimal as D
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sqms.core.scoring import (
    Fact,
    FactKind,
    RoundingSpec,
    RoundMode,
    SchemeError,
    StarCandidate,
    TieRule,
    grade_for,
    ladder_outcome,
    mean,
    round_units,
    scheme_parse,
    score_scorecard,
    service_stars,
    threshold_shortfall,
)

SOURCES = {
    "complaints.substantiated": FactKind.COUNT,
    "complaints.recorded": FactKind.COUNT,
    "inspections.percent": FactKind.PERCENT,
    "surveys.satisfaction_rate": FactKind.RATE,
    "metrics": FactKind.RATE,
    "metrics_value": FactKind.VALUE,
    "incidents": FactKind.COUNT,
    "plan": FactKind.FLAG,
    "manual": FactKind.MANUAL,
}

PROPERTY_BANDS = [
    {"code": "excellent", "min": 96, "max": 100},
    {"code": "very_good", "min": 91, "max": 95},
    {"code": "good", "min": 81, "max": 90},
    {"code": "pass", "min": 70, "max": 80},
    {"code": "fail", "min": 0, "max": 69},
]

CASHIER_LADDER = {
    "source": "complaints.substantiated",
    "steps": [
        {"count": 0, "amount": 30},
        {"count": 1, "amount": 20},
        {"count": 2, "amount": 0},
        {"count": 3, "amount": -30},
        {"count": 4, "amount": -100},
    ],
    "above": {"amount": -100, "outcome": "dismissal_review"},
}


def cashier_scheme(**over: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "code": "cashier",
        "scale": 100,
        "decimals": 1,
        "components": [
            {
                "code": "complaints",
                "max": 40,
                "rules": [
                    {"kind": "per_event", "source": "complaints.substantiated", "points": 10}
                ],
            },
            {
                "code": "service",
                "max": 60,
                "rules": [{"kind": "checklist", "source": "inspections.percent"}],
            },
        ],
        "bands": PROPERTY_BANDS,
        "ladder": CASHIER_LADDER,
    }
    data.update(over)
    return data


def tobacco_delivery() -> dict[str, Any]:
    """Seed 004, delivery staff: 20 + 40 + 20 + 30 = 110, normalised proportionally."""
    return {
        "code": "tobacco-delivery",
        "scale": 100,
        "normalise": "proportional",
        "decimals": 2,
        "rounding": {"step": 1, "mode": "ceil"},
        "components": [
            {
                "code": "standard",
                "max": 20,
                "rules": [{"kind": "checklist", "source": "inspections.percent"}],
            },
            {
                "code": "improvement",
                "max": 40,
                "rules": [
                    {
                        "kind": "rate_below_target",
                        "source": "metrics:on-time",
                        "target": 100,
                        "points": 2,
                    },
                    {"kind": "incident", "source": "incidents", "points": 10, "zero_if_any": True},
                    {"kind": "completion", "source": "plan", "points": 5},
                ],
            },
            {
                "code": "complaints",
                "max": 20,
                "rules": [{"kind": "per_event", "source": "complaints.substantiated", "points": 2}],
            },
            {
                "code": "satisfaction",
                "max": 30,
                "rules": [
                    {
                        "kind": "rate_below_target",
                        "source": "surveys.satisfaction_rate",
                        "target": 95,
                        "points": 2,
                    }
                ],
            },
        ],
    }


def f(value: Any, **kw: Any) -> Fact:
    return Fact(value=None if value is None else D(str(value)), **kw)


# --- hand-computed cases ---------------------------------------------------------------------


def test_cashier_five_complaints_one_not_substantiated() -> None:
    """5 complaints, 1 found not substantiated → 4 count: 40 − 4×10 = 0; mystery visits at 85%
    → 60 × 0.85 = 51; total 51.0, grade fail; the ladder's 4-step: −100 yuan."""
    scheme = scheme_parse(cashier_scheme(), SOURCES)
    facts = {
        "complaints.substantiated": f(4, n=4, refs=(("complaint", 1, "TS-1"),)),
        "inspections.percent": f("85", n=2),
    }
    result = score_scorecard(scheme, facts)
    assert result.total == D("51.0")
    assert [c.points for c in result.components] == [D(0), D(51)]
    assert result.grade == "fail"
    assert result.lines[0].points == D(40)
    assert result.lines[0].inputs == {"value": "4", "n": 4, "count": 4, "free": 0}
    assert result.lines[0].refs == (("complaint", 1, "TS-1"),)
    assert result.lines[1].points == D("9.00")
    step = ladder_outcome(scheme.ladder, 4)  # type: ignore[arg-type]
    assert (step.amount, step.outcome) == (D(-100), "")
    assert ladder_outcome(scheme.ladder, 5).outcome == "dismissal_review"  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("count", "amount", "outcome"),
    [
        (0, 30, ""),
        (1, 20, ""),
        (2, 0, ""),
        (3, -30, ""),
        (4, -100, ""),
        (5, -100, "dismissal_review"),
        (9, -100, "dismissal_review"),
    ],
)
def test_cashier_ladder(count: int, amount: int, outcome: str) -> None:
    scheme = scheme_parse(cashier_scheme(), SOURCES)
    step = ladder_outcome(scheme.ladder, count)  # type: ignore[arg-type]
    assert (step.amount, step.outcome) == (D(amount), outcome)


def test_rate_exactly_at_target_deducts_nothing() -> None:
    scheme = scheme_parse(tobacco_delivery(), SOURCES)
    facts = {
        "inspections.percent": f(100),
        "metrics:on-time": f(100),
        "incidents": f(0),
        "plan": f(1),
        "complaints.substantiated": f(0),
        "surveys.satisfaction_rate": f("95.00", n=120, low=D("90.1"), high=D("97.6")),
    }
    result = score_scorecard(scheme, facts)
    assert result.raw_total == D(110)
    assert result.total == D("100.00")
    sat = result.lines[-1]
    assert sat.points == 0
    assert sat.inputs["interval"] == ["90.1", "97.6"]
    assert sat.inputs["n"] == 120


@pytest.mark.parametrize(
    ("mode", "step", "deducted"),
    [("ceil", "1", D(6)), ("floor", "1", D(4)), ("half_up", "1", D(6)), ("ceil", "0.01", D(5))],
)
def test_partial_percentage_points(mode: str, step: str, deducted: D) -> None:
    """Satisfaction 92.5% against 95%, −2 per 1% short: 2.5 points short."""
    data = tobacco_delivery()
    data["components"][3]["rules"][0]["rounding"] = {"step": step, "mode": mode}
    scheme = scheme_parse(data, SOURCES)
    result = score_scorecard(scheme, {"surveys.satisfaction_rate": f("92.5")})
    line = result.lines[-1]
    assert line.points == deducted
    assert result.components[3].points == D(30) - deducted


def test_tobacco_delivery_worked_example() -> None:
    """Standard 85% → 17; on-time 97.2% → 3 started points × 2 = 6, plan not done −5 →
    40 − 11 = 29; 3 complaints → 20 − 6 = 14; satisfaction 93.4% → 2 × 2 = 4 → 26.
    Σ = 86 of 110 → 86 × 100 / 110 = 78.18."""
    scheme = scheme_parse(tobacco_delivery(), SOURCES)
    facts = {
        "inspections.percent": f(85),
        "metrics:on-time": f("97.2"),
        "incidents": f(0),
        "plan": f(0),
        "complaints.substantiated": f(3),
        "surveys.satisfaction_rate": f("93.4"),
    }
    result = score_scorecard(scheme, facts)
    assert [c.points for c in result.components] == [D(17), D(29), D(14), D(26)]
    assert result.raw_total == D(86)
    assert result.total == D("78.18")


def test_incident_zeroes_component_and_veto_zeroes_scorecard() -> None:
    scheme = scheme_parse(tobacco_delivery(), SOURCES)
    result = score_scorecard(scheme, {"incidents": f(1), "metrics:on-time": f(100)})
    assert result.components[1].points == 0
    assert result.components[1].vetoed is True
    data = cashier_scheme()
    data["components"][1]["rules"].append(
        {"kind": "veto", "source": "complaints.recorded", "scope": "scorecard"}
    )
    scheme2 = scheme_parse(data, SOURCES)
    r2 = score_scorecard(scheme2, {"complaints.recorded": f(1), "inspections.percent": f(100)})
    assert (r2.total, r2.vetoed, r2.grade) == (D("0.0"), True, "fail")


def test_band_rule_stock_to_sales() -> None:
    """Social ratio 1.00; allowed band 0.80-1.00; district 1.07 → 7% over → 7 × 2 = 14;
    0.75 → 5% below the 80% floor → 10."""
    data = {
        "code": "b",
        "scale": 50,
        "components": [
            {
                "code": "stock",
                "max": 50,
                "rules": [
                    {
                        "kind": "band",
                        "source": "metrics_value",
                        "target": "0.8",
                        "limit": "1.0",
                        "points": 2,
                    }
                ],
            }
        ],
    }
    scheme = scheme_parse(data, SOURCES)
    over = score_scorecard(scheme, {"metrics_value": f("1.07", reference=D("1.00"))})
    under = score_scorecard(scheme, {"metrics_value": f("0.75", reference=D("1.00"))})
    inside = score_scorecard(scheme, {"metrics_value": f("0.9", reference=D("1.00"))})
    assert (over.total, under.total, inside.total) == (D("36.00"), D("40.00"), D("50.00"))


def test_manual_needs_a_justification() -> None:
    data = {
        "code": "m",
        "components": [{"code": "c", "max": 100, "rules": [{"kind": "manual"}]}],
    }
    scheme = scheme_parse(data, SOURCES)
    assert score_scorecard(scheme, {"manual:c": f(5)}).total == D(100)
    justified = score_scorecard(scheme, {"manual:c": f(5, note="Late for two meetings")})
    assert justified.total == D(95)
    assert justified.lines[0].note == "Late for two meetings"


def test_store_nine_cashiers_tied_votes() -> None:
    """9 cashiers → quota ⌊9/5⌋ = 1. Cashier 3 (12 votes) had a complaint and is not eligible;
    cashiers 1 and 2 tie on 10 votes at the cut-off."""
    votes = {1: 10, 2: 10, 3: 12, 4: 7, 5: 6, 6: 5, 7: 3, 8: 2, 9: 0}
    scores = {1: D(92), 2: D(95)}
    cands = [
        StarCandidate(i, v, eligible=(i != 3), score=scores.get(i, D(80))) for i, v in votes.items()
    ]
    inc = service_stars(cands, 1, 5, TieRule.INCLUDE_ALL)
    assert (inc.quota, inc.stars, inc.tied_at_cutoff) == (1, (2, 1), (2, 1))
    exc = service_stars(cands, 1, 5, TieRule.EXCLUDE_ALL)
    assert exc.stars == ()
    hs = service_stars(cands, 1, 5, TieRule.HIGHER_SCORE)
    assert hs.stars == (2,)
    assert hs.note == "tie at the cut-off: settled by the higher score"


def test_stars_no_tie_and_small_store() -> None:
    cands = [StarCandidate(i, 10 - i, True) for i in range(10)]
    assert service_stars(cands, 1, 5, TieRule.INCLUDE_ALL).stars == (0, 1)
    assert service_stars(cands[:4], 1, 5, TieRule.INCLUDE_ALL).quota == 0


def test_grades_read_at_band_precision() -> None:
    scheme = scheme_parse(cashier_scheme(), SOURCES)
    assert grade_for(D("95.6"), scheme.bands, 0) == "excellent"
    assert grade_for(D("95.4"), scheme.bands, 0) == "very_good"
    assert grade_for(D("69.5"), scheme.bands, 0) == "pass"
    assert grade_for(D("69.4"), scheme.bands, 0) == "fail"


def test_aggregation_and_threshold() -> None:
    """Department mean 82.33 < 85: the head loses ⌈2.67⌉ × 1 = 3 (per started point)."""
    dept = mean([D(80), D("85.5"), D("81.5")])
    assert dept == D("82.33")
    assert threshold_shortfall(dept, D(85), D(1), RoundingSpec(D(1), RoundMode.CEIL)) == D(3)
    assert threshold_shortfall(D(86), D(85), D(1), RoundingSpec()) == 0
    assert mean([]) is None
    division = mean([D("82.33"), D("90.00")])
    assert division == D("86.17")


# --- validation ------------------------------------------------------------------------------


def problems_of(data: dict[str, Any]) -> list[tuple[tuple[Any, ...], str]]:
    with pytest.raises(SchemeError) as exc:
        scheme_parse(data, SOURCES)
    return [(p.loc, p.msg) for p in exc.value.problems]


def test_components_not_adding_up() -> None:
    data = tobacco_delivery()
    data["normalise"] = "none"
    assert problems_of(data) == [
        (
            ("components",),
            "the components add up to 110, not the scale 100: fix the points or set normalise: "
            "proportional (total × scale / Σ max)",
        )
    ]


def test_bands_with_gap_and_overlap() -> None:
    bands = [
        {"code": "a", "min": 90, "max": 100},
        {"code": "b", "min": 70, "max": 85},
        {"code": "c", "min": 0, "max": 70},
    ]
    assert problems_of(cashier_scheme(bands=bands)) == [
        (("bands", 1, "min"), "overlap: b starts at 70, inside c (0-70)"),
        (("bands", 0, "min"), "gap: nothing covers 86 to 89 (bands are read at 0 decimals)"),
    ]


def test_unreachable_rules_and_unknown_source() -> None:
    data = cashier_scheme()
    data["components"][0]["rules"] = [
        {"kind": "per_event", "source": "complaints.substantiated", "points": 0},
        {"kind": "rate_below_target", "source": "surveys.satisfaction_rate", "target": 0},
        {"kind": "per_event", "source": "nowhere"},
        {"kind": "per_event", "source": "surveys.satisfaction_rate"},
        {"kind": "bogus"},
    ]
    got = problems_of(data)
    assert got[0] == (
        ("components", 0, "rules", 0, "points"),
        "unreachable: this rule can never deduct",
    )
    assert got[1] == (
        ("components", 0, "rules", 1, "target"),
        "unreachable: no rate is below a target of 0 or less",
    )
    assert got[2][0] == ("components", 0, "rules", 2, "source")
    assert got[2][1].startswith("unknown source 'nowhere'; known: complaints.recorded, ")
    assert got[3] == (
        ("components", 0, "rules", 3, "source"),
        "a per_event rule needs a count source; surveys gives a rate".replace(
            "surveys", "surveys.satisfaction_rate"
        ),
    )
    assert got[4][0] == ("components", 0, "rules", 4, "kind")
    assert len(got) == 5


def test_ladder_gaps_and_repeats() -> None:
    ladder = {
        "source": "complaints.substantiated",
        "steps": [
            {"count": 0, "amount": 30},
            {"count": 2, "amount": 0},
            {"count": 2, "amount": -5},
        ],
    }
    assert problems_of(cashier_scheme(ladder=ladder)) == [
        (("ladder", "steps", 1, "count"), "gap: counts 1-1 have no step"),
        (("ladder", "steps", 2, "count"), "unreachable: count 2 repeats or goes back"),
    ]


def test_every_problem_is_listed_at_once() -> None:
    data = {"code": "", "scale": -1, "components": [{"code": "x", "max": "abc", "rules": []}]}
    locs = [loc for loc, _msg in problems_of(data)]
    assert locs == [("code",), ("scale",), ("components", 0, "max")]


# --- properties ------------------------------------------------------------------------------

decimals = st.decimals(min_value=0, max_value=100, places=2, allow_nan=False)
rounding = st.sampled_from(
    [
        RoundingSpec(D(1), RoundMode.CEIL),
        RoundingSpec(D(1), RoundMode.FLOOR),
        RoundingSpec(D("0.01"), RoundMode.HALF_UP),
        RoundingSpec(D("0.5"), RoundMode.HALF_UP),
    ]
)


@st.composite
def schemes(draw: st.DrawFn) -> dict[str, Any]:
    n = draw(st.integers(1, 4))
    maxes = draw(st.lists(st.integers(1, 60), min_size=n, max_size=n))
    comps = []
    for i, m in enumerate(maxes):
        comps.append(
            {
                "code": f"c{i}",
                "max": m,
                "floor": draw(st.integers(0, m)) if draw(st.booleans()) else 0,
                "rules": [
                    {
                        "kind": "per_event",
                        "source": "complaints.substantiated",
                        "points": draw(st.integers(1, 30)),
                    },
                    {
                        "kind": "rate_below_target",
                        "source": "surveys.satisfaction_rate",
                        "target": draw(st.integers(50, 100)),
                        "points": draw(st.integers(1, 5)),
                        "rounding": {
                            "step": draw(st.sampled_from(["1", "0.01", "0.5"])),
                            "mode": draw(st.sampled_from(["ceil", "floor", "half_up"])),
                        },
                    },
                    {"kind": "checklist", "source": "inspections.percent"},
                ],
            }
        )
    scale = sum(maxes)
    return {
        "code": "p",
        "scale": draw(st.sampled_from([scale, 100])),
        "normalise": "proportional",
        "components": comps,
    }


@settings(max_examples=150, deadline=None)
@given(schemes(), st.integers(0, 20), decimals, decimals)
def test_score_stays_within_scale(data: dict[str, Any], count: int, rate: D, pct: D) -> None:
    scheme = scheme_parse(data, SOURCES)
    facts = {
        "complaints.substantiated": f(count),
        "surveys.satisfaction_rate": Fact(rate),
        "inspections.percent": Fact(pct),
    }
    r = score_scorecard(scheme, facts)
    assert 0 <= r.total <= scheme.scale
    for c, comp in zip(r.components, scheme.components, strict=True):
        assert comp.floor <= c.points <= comp.max or (c.vetoed and c.points == 0)


@settings(max_examples=150, deadline=None)
@given(schemes(), st.integers(0, 20), decimals, decimals)
def test_one_more_complaint_never_raises(data: dict[str, Any], count: int, rate: D, pct: D) -> None:
    scheme = scheme_parse(data, SOURCES)
    base = {"surveys.satisfaction_rate": Fact(rate), "inspections.percent": Fact(pct)}
    a = score_scorecard(scheme, {**base, "complaints.substantiated": f(count)})
    b = score_scorecard(scheme, {**base, "complaints.substantiated": f(count + 1)})
    assert b.total <= a.total


@settings(max_examples=150, deadline=None)
@given(schemes(), st.integers(0, 20), decimals, decimals, decimals)
def test_better_rate_never_lowers(data: dict[str, Any], count: int, r1: D, r2: D, pct: D) -> None:
    scheme = scheme_parse(data, SOURCES)
    lo, hi = sorted((r1, r2))
    base = {"complaints.substantiated": f(count), "inspections.percent": Fact(pct)}
    a = score_scorecard(scheme, {**base, "surveys.satisfaction_rate": Fact(lo)})
    b = score_scorecard(scheme, {**base, "surveys.satisfaction_rate": Fact(hi)})
    assert b.total >= a.total
    c = score_scorecard(
        scheme,
        {
            **base,
            "surveys.satisfaction_rate": Fact(hi),
            "inspections.percent": Fact(min(pct + 5, D(100))),
        },
    )
    assert c.total >= b.total


@given(st.decimals(min_value=0, max_value=50, places=3), rounding)
def test_rounding_as_configured(short: D, spec: RoundingSpec) -> None:
    units = round_units(short, D(1), spec)
    assert units % spec.step == 0
    exact = short
    if spec.mode is RoundMode.CEIL:
        assert exact <= units < exact + spec.step
    elif spec.mode is RoundMode.FLOOR:
        assert exact - spec.step < units <= exact
    else:
        assert abs(units - exact) <= spec.step / 2


@given(st.integers(0, 40))
def test_ladder_never_rewards_more_complaints(count: int) -> None:
    scheme = scheme_parse(cashier_scheme(), SOURCES)
    ladder = scheme.ladder
    assert ladder is not None
    assert ladder_outcome(ladder, count + 1).amount <= ladder_outcome(ladder, count).amount


@given(
    st.lists(st.tuples(st.integers(0, 30), st.booleans()), min_size=0, max_size=25),
    st.sampled_from(list(TieRule)),
)
def test_stars_only_eligible_and_quota_respected(
    rows: list[tuple[int, bool]], tie: TieRule
) -> None:
    cands = [StarCandidate(i, v, e) for i, (v, e) in enumerate(rows)]
    res = service_stars(cands, 1, 5, tie)
    eligible = {c.subject_id for c in cands if c.eligible}
    assert set(res.stars) <= eligible
    assert res.quota == len(rows) // 5
    if tie is TieRule.EXCLUDE_ALL:
        assert len(res.stars) <= res.quota


def test_override_replaces_a_line_and_lifts_its_veto() -> None:
    """An appeal upheld on one complaint of four: that line's 40 becomes 30."""
    scheme = scheme_parse(cashier_scheme(), SOURCES)
    facts = {"complaints.substantiated": f(4), "inspections.percent": f(85)}
    r = score_scorecard(scheme, facts, {("complaints", 0): D(30)})
    assert r.components[0].points == D(10)
    assert r.total == D("61.0")
    assert r.lines[0].note == "appeal upheld: 40 → 30"
    assert score_scorecard(scheme, facts, {("complaints", 0): D(30)}) == r


def test_band_reference_from_another_source() -> None:
    data = {
        "code": "b",
        "scale": 10,
        "components": [
            {
                "code": "stock",
                "max": 10,
                "rules": [
                    {
                        "kind": "band",
                        "source": "metrics_value",
                        "reference_source": "metrics:social",
                        "target": "0.8",
                        "limit": "1",
                        "points": 2,
                    }
                ],
            }
        ],
    }
    scheme = scheme_parse(data, SOURCES)
    r = score_scorecard(scheme, {"metrics_value": f("1.02"), "metrics:social": f("1.00")})
    assert r.total == D("6.00")
