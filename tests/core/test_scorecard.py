"""Deduction scorecards: hand-computed tables (seed 004's checklists among them) and properties
that must hold for any checklist and any answers."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sqms.core.scorecard import (
    Answer,
    Checklist,
    ChecklistError,
    FloorMode,
    ItemSpec,
    NaPolicy,
    Rounding,
    SectionSpec,
    VetoScope,
    checklist_from_rows,
    score_checklist,
)

PROPERTY = Checklist(
    (
        SectionSpec(
            "property",
            tuple(ItemSpec(f"p{i}", D(10), D(1), na_allowed=True) for i in range(1, 11)),
        ),
    ),
    decimals=0,
)
# Seed 004 第五条 (一): the customer manager's 20 points, floored for the whole section.
CUSTOMER_MANAGER = Checklist(
    (
        SectionSpec(
            "standard",
            (
                ItemSpec("1.1.1", D(1), D(1)),
                ItemSpec("1.1.2", D(1), D(1)),
                ItemSpec("1.2", D(1), D(1)),
                ItemSpec("1.3", D(2), D(2)),
                ItemSpec("2.1", D(1), D(1)),
                ItemSpec("2.2", D(2), D(2)),
                ItemSpec("2.3", D(1), D(1)),
                ItemSpec("3.1", D(1), D(1)),
                ItemSpec("3.2", D(1), D(1)),
                ItemSpec("4.1", D(2), D(2)),
                ItemSpec("4.2.1", D(1), D(1)),
            ),
            floor=FloorMode.SECTION,
            points=D(20),
        ),
    ),
)


def answers(**found: int) -> dict[str, Answer]:
    return {k.replace("_", "."): Answer(v) for k, v in found.items()}


@pytest.mark.parametrize(
    ("found", "score"),
    [
        ({}, D(100)),
        ({"p1": 1}, D(99)),
        ({"p1": 3, "p2": 2}, D(95)),
        ({"p1": 12}, D(90)),  # 扣完为止: the item loses 10, not 12
        ({f"p{i}": 10 for i in range(1, 11)}, D(0)),
    ],
)
def test_property_checklist(found: dict[str, int], score: D) -> None:
    result = score_checklist(PROPERTY, {k: Answer(v) for k, v in found.items()})
    assert result.score == score
    assert result.max_points == D(100)


@pytest.mark.parametrize(
    ("found", "score", "deductions"),
    [
        ({}, D(20), {}),
        ({"1.3": 1, "3.1": 3}, D(15), {"1.3": D(2), "3.1": D(3)}),
        # 15 nonconformities at 2 points each would take 30: the section stops at zero, and the
        # recorded deductions add up to the 20 points lost.
        ({"2.2": 15}, D(0), {"2.2": D(20)}),
        ({"1.1.1": 4, "2.2": 10}, D(0), {"1.1.1": D(4), "2.2": D(16)}),
    ],
)
def test_customer_manager_section_floor(
    found: dict[str, int], score: D, deductions: dict[str, D]
) -> None:
    result = score_checklist(CUSTOMER_MANAGER, {k: Answer(v) for k, v in found.items()})
    assert result.score == score
    assert result.max_points == D(20)
    assert result.deductions == deductions


def test_not_applicable_reduce_and_rescale() -> None:
    found = {"p1": Answer(not_applicable=True), "p2": Answer(2), "p3": Answer(4)}
    reduced = score_checklist(PROPERTY, found)
    assert (reduced.score, reduced.max_points, reduced.percent) == (D(84), D(90), D("93.33"))
    rescaled = score_checklist(
        Checklist(PROPERTY.sections, na_policy=NaPolicy.RESCALE, decimals=1), found
    )
    assert (rescaled.score, rescaled.max_points) == (D("93.3"), D(100))


def test_not_applicable_refused_where_not_allowed() -> None:
    with pytest.raises(ChecklistError, match=r"1\.3"):
        score_checklist(CUSTOMER_MANAGER, {"1.3": Answer(not_applicable=True)})


def test_na_with_nonconformities_refused() -> None:
    with pytest.raises(ChecklistError, match="p1"):
        score_checklist(PROPERTY, {"p1": Answer(1, not_applicable=True)})


def test_unknown_item_refused() -> None:
    with pytest.raises(ChecklistError, match="zz"):
        score_checklist(PROPERTY, {"zz": Answer(1)})


VETO = Checklist(
    (
        SectionSpec(
            "safety",
            (ItemSpec("fire", D(10), veto=VetoScope.SECTION), ItemSpec("exit", D(10))),
        ),
        SectionSpec(
            "service",
            (ItemSpec("greet", D(10)), ItemSpec("fraud", D(10), veto=VetoScope.INSPECTION)),
        ),
    ),
    decimals=0,
)


@pytest.mark.parametrize(
    ("found", "score", "vetoed"),
    [
        ({}, D(40), False),
        ({"fire": 1}, D(20), False),  # the safety section is zeroed, service keeps its 20
        ({"exit": 1, "greet": 2}, D(37), False),
        ({"fraud": 1}, D(0), True),
    ],
)
def test_veto(found: dict[str, int], score: D, vetoed: bool) -> None:
    result = score_checklist(VETO, {k: Answer(v) for k, v in found.items()})
    assert (result.score, result.vetoed) == (score, vetoed)


@pytest.mark.parametrize(
    ("rounding", "decimals", "expected"),
    [
        (Rounding.HALF_UP, 1, D("66.7")),
        (Rounding.DOWN, 1, D("66.6")),
        (Rounding.HALF_UP, 0, D("67")),
        (Rounding.DOWN, 0, D("66")),
        (Rounding.UP, 2, D("66.67")),
    ],
)
def test_rounding(rounding: Rounding, decimals: int, expected: D) -> None:
    # x does not apply; y loses 1 of its 3 points: 2/3 of the applicable points, rescaled to the
    # full 100 = 66.666…, rounded as the checklist says.
    checklist = Checklist(
        (SectionSpec("s", (ItemSpec("x", D(97), na_allowed=True), ItemSpec("y", D(3)))),),
        na_policy=NaPolicy.RESCALE,
        decimals=decimals,
        rounding=rounding,
    )
    result = score_checklist(checklist, {"x": Answer(not_applicable=True), "y": Answer(1)})
    assert result.score == expected
    assert result.max_points == D(100)


def test_checklist_from_rows() -> None:
    checklist = checklist_from_rows(
        [
            {
                "code": "s",
                "floor": "section",
                "points": 20,
                "items": [{"code": "a", "points": 2, "deduction": 2}, {"code": "b", "points": 1}],
            }
        ],
        decimals=0,
    )
    assert checklist.max_points == D(20)
    assert score_checklist(checklist, {"a": Answer(3)}).score == D(14)


def test_duplicate_item_refused() -> None:
    with pytest.raises(ChecklistError, match="twice"):
        Checklist((SectionSpec("s", (ItemSpec("a", D(1)), ItemSpec("a", D(1)))),))


# --- properties -------------------------------------------------------------------------------

item_st = st.builds(
    ItemSpec,
    code=st.just("x"),
    points=st.integers(0, 20).map(D),
    deduction=st.sampled_from([D(1), D(2), D("0.5"), D(3)]),
    na_allowed=st.booleans(),
    veto=st.sampled_from(list(VetoScope)),
)


@st.composite
def checklists(draw: st.DrawFn) -> Checklist:
    n_sections = draw(st.integers(1, 3))
    sections = []
    counter = 0
    for s in range(n_sections):
        items = []
        for _ in range(draw(st.integers(1, 5))):
            spec = draw(item_st)
            counter += 1
            items.append(
                ItemSpec(f"i{counter}", spec.points, spec.deduction, spec.na_allowed, spec.veto)
            )
        floor = draw(st.sampled_from(list(FloorMode)))
        points = draw(st.none() | st.integers(0, 40).map(D)) if floor is FloorMode.SECTION else None
        sections.append(SectionSpec(f"s{s}", tuple(items), floor, points))
    return Checklist(
        tuple(sections),
        draw(st.sampled_from(list(NaPolicy))),
        draw(st.integers(0, 2)),
        draw(st.sampled_from(list(Rounding))),
    )


@st.composite
def answered(draw: st.DrawFn) -> tuple[Checklist, dict[str, Answer]]:
    checklist = draw(checklists())
    found = {}
    for item in checklist.items():
        if item.na_allowed and draw(st.booleans()):
            found[item.code] = Answer(not_applicable=True)
        else:
            found[item.code] = Answer(draw(st.integers(0, 8)))
    return checklist, found


@given(answered())
def test_score_stays_within_zero_and_max(case: tuple[Checklist, dict[str, Answer]]) -> None:
    checklist, found = case
    result = score_checklist(checklist, found)
    assert D(0) <= result.score <= result.max_points
    assert D(0) <= result.percent <= D(100)


@given(answered(), st.data())
def test_one_more_nonconformity_never_raises_the_score(
    case: tuple[Checklist, dict[str, Answer]], data: st.DataObject
) -> None:
    checklist, found = case
    applicable = [k for k, a in found.items() if not a.not_applicable]
    if not applicable:
        return
    code = data.draw(st.sampled_from(applicable))
    worse = {**found, code: Answer(found[code].nonconformities + 1)}
    assert score_checklist(checklist, worse).score <= score_checklist(checklist, found).score


@given(answered())
def test_a_clean_inspection_scores_the_maximum_unless_nothing_applies(
    case: tuple[Checklist, dict[str, Answer]],
) -> None:
    checklist, found = case
    clean = {k: (a if a.not_applicable else Answer()) for k, a in found.items()}
    result = score_checklist(checklist, clean)
    assert result.vetoed is False
    if checklist.na_policy is NaPolicy.REDUCE:
        assert result.score == result.max_points


@given(answered())
def test_section_deductions_add_up(case: tuple[Checklist, dict[str, Answer]]) -> None:
    checklist, found = case
    result = score_checklist(checklist, found)
    for section in result.sections:
        if not section.vetoed:
            lost = sum((i.deducted for i in section.items), D(0))
            assert section.score == section.max_points - lost
