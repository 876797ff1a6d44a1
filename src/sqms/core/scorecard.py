"""Deduction scorecards (扣分制检查表), as plain values.

A checklist has sections of items. Each item is worth `points`; each nonconformity found
deducts `deduction` ("一项不符扣1分"). What is deducted is floored at zero ("扣完为止") either per
item (an item never loses more than its own points) or per section (the section's items share
the section's points, and the section never goes below zero) — seed 004 uses both: the property
checklist floors each of its ten 10-point items, the tobacco standard-service checklists floor
the role's whole section (20 or 30 points).

Not applicable (N/A) items drop out of the maximum. The checklist then either reports the score
against the reduced maximum (`NaPolicy.REDUCE`: 54 of 60) or rescales it to the full maximum
(`NaPolicy.RESCALE`: 54/60 × 100 = 90), so that inspections where different items applied stay
comparable. A failed veto item (一票否决) zeroes its section or the whole inspection.

Rounding applies to the final score only (sections are exact); the number of decimals and the
rounding mode are settings of the checklist, stated with every result.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, ROUND_HALF_UP, ROUND_UP, Decimal
from enum import StrEnum

__all__ = [
    "Answer",
    "Checklist",
    "ChecklistError",
    "FloorMode",
    "ItemResult",
    "ItemSpec",
    "NaPolicy",
    "Rounding",
    "ScoreResult",
    "SectionResult",
    "SectionSpec",
    "VetoScope",
    "checklist_from_rows",
    "score_checklist",
]

ZERO = Decimal(0)


class FloorMode(StrEnum):
    ITEM = "item"  # each item floored at zero
    SECTION = "section"  # the section's total floored at zero


class NaPolicy(StrEnum):
    REDUCE = "reduce"  # the maximum shrinks by the N/A items' points
    RESCALE = "rescale"  # the score is rescaled to the full maximum


class VetoScope(StrEnum):
    NONE = ""
    SECTION = "section"
    INSPECTION = "inspection"


class Rounding(StrEnum):
    HALF_UP = "half_up"
    HALF_EVEN = "half_even"
    DOWN = "down"
    UP = "up"


_ROUNDING = {
    Rounding.HALF_UP: ROUND_HALF_UP,
    Rounding.HALF_EVEN: ROUND_HALF_EVEN,
    Rounding.DOWN: ROUND_DOWN,
    Rounding.UP: ROUND_UP,
}


class ChecklistError(ValueError):
    """A checklist or an answer that cannot be scored (the message names the item)."""


@dataclass(frozen=True)
class ItemSpec:
    code: str
    points: Decimal
    deduction: Decimal = Decimal(1)
    na_allowed: bool = False
    veto: VetoScope = VetoScope.NONE

    def __post_init__(self) -> None:
        if self.points < 0:
            raise ChecklistError(f"item {self.code}: points must not be negative")
        if self.deduction <= 0:
            raise ChecklistError(f"item {self.code}: a deduction must be positive")


@dataclass(frozen=True)
class SectionSpec:
    code: str
    items: tuple[ItemSpec, ...]
    floor: FloorMode = FloorMode.ITEM
    # The section's points; by default the sum of its items' points. A section floored as a whole
    # may be worth more or less than its items' points (seed 004: the customer manager's 20).
    points: Decimal | None = None

    @property
    def max_points(self) -> Decimal:
        if self.points is not None:
            return self.points
        return sum((i.points for i in self.items), ZERO)

    def __post_init__(self) -> None:
        if self.points is not None and self.points < 0:
            raise ChecklistError(f"section {self.code}: points must not be negative")


@dataclass(frozen=True)
class Checklist:
    sections: tuple[SectionSpec, ...]
    na_policy: NaPolicy = NaPolicy.REDUCE
    decimals: int = 1
    rounding: Rounding = Rounding.HALF_UP

    def __post_init__(self) -> None:
        if not 0 <= self.decimals <= 4:
            raise ChecklistError("decimals must be between 0 and 4")
        seen: set[str] = set()
        for section in self.sections:
            for item in section.items:
                if item.code in seen:
                    raise ChecklistError(f"item {item.code} appears twice")
                seen.add(item.code)

    @property
    def max_points(self) -> Decimal:
        return sum((s.max_points for s in self.sections), ZERO)

    def items(self) -> list[ItemSpec]:
        return [i for s in self.sections for i in s.items]


@dataclass(frozen=True)
class Answer:
    """What the inspector found on one item: a count of nonconformities, or not applicable."""

    nonconformities: int = 0
    not_applicable: bool = False


@dataclass(frozen=True)
class ItemResult:
    code: str
    deducted: Decimal  # points actually lost on this item (after the floor)
    raw_deduction: Decimal  # nonconformities × deduction, before any floor
    not_applicable: bool
    failed: bool


@dataclass(frozen=True)
class SectionResult:
    code: str
    score: Decimal
    max_points: Decimal  # after N/A items dropped out
    vetoed: bool
    items: tuple[ItemResult, ...]


@dataclass(frozen=True)
class ScoreResult:
    """`score` is rounded and lies in [0, `max_points`]; `max_points` is the applicable maximum
    under REDUCE and the full maximum under RESCALE; `percent` = score / max_points × 100."""

    score: Decimal
    max_points: Decimal
    full_max: Decimal
    percent: Decimal
    vetoed: bool
    sections: tuple[SectionResult, ...] = field(default_factory=tuple)

    @property
    def deductions(self) -> dict[str, Decimal]:
        """Points lost per failed item (after floors, before any veto)."""
        return {i.code: i.deducted for s in self.sections for i in s.items if i.deducted > 0}


def _quantize(value: Decimal, checklist: Checklist) -> Decimal:
    exp = Decimal(1).scaleb(-checklist.decimals)
    return value.quantize(exp, rounding=_ROUNDING[checklist.rounding])


def _score_section(
    section: SectionSpec, answers: Mapping[str, Answer]
) -> tuple[SectionResult, bool]:
    items: list[ItemResult] = []
    na_points = ZERO
    total_raw = ZERO
    vetoed = False
    inspection_veto = False
    for item in section.items:
        answer = answers.get(item.code, Answer())
        if answer.nonconformities < 0:
            raise ChecklistError(f"item {item.code}: nonconformities must not be negative")
        if answer.not_applicable:
            if not item.na_allowed:
                raise ChecklistError(f"item {item.code}: not applicable is not allowed")
            if answer.nonconformities:
                raise ChecklistError(f"item {item.code}: N/A with nonconformities")
            na_points += item.points
            items.append(ItemResult(item.code, ZERO, ZERO, True, False))
            continue
        raw = item.deduction * answer.nonconformities
        failed = answer.nonconformities > 0
        if failed and item.veto is VetoScope.SECTION:
            vetoed = True
        if failed and item.veto is VetoScope.INSPECTION:
            inspection_veto = True
        deducted = min(raw, item.points) if section.floor is FloorMode.ITEM else raw
        total_raw += deducted
        items.append(ItemResult(item.code, deducted, raw, False, failed))
    max_points = max(section.max_points - na_points, ZERO)
    if section.floor is FloorMode.SECTION and total_raw > max_points:
        # Share the floor out: the items keep their raw deductions on record, but what the
        # section loses is capped, item by item in order, so the deductions add up to the loss.
        left = max_points
        capped: list[ItemResult] = []
        for r in items:
            take = min(r.deducted, left)
            left -= take
            capped.append(ItemResult(r.code, take, r.raw_deduction, r.not_applicable, r.failed))
        items = capped
        total_raw = max_points
    score = max(max_points - total_raw, ZERO)
    if vetoed:
        score = ZERO
    return SectionResult(section.code, score, max_points, vetoed, tuple(items)), inspection_veto


def score_checklist(checklist: Checklist, answers: Mapping[str, Answer]) -> ScoreResult:
    """Score one inspection. Unanswered items count as conforming; an answer for an item the
    checklist does not have is an error (it would otherwise vanish silently)."""
    known = {i.code for i in checklist.items()}
    unknown = sorted(set(answers) - known)
    if unknown:
        raise ChecklistError(f"no item {unknown[0]} in this checklist")
    sections: list[SectionResult] = []
    veto_all = False
    for section in checklist.sections:
        result, veto = _score_section(section, answers)
        sections.append(result)
        veto_all = veto_all or veto
    full_max = checklist.max_points
    applicable = sum((s.max_points for s in sections), ZERO)
    raw = sum((s.score for s in sections), ZERO)
    if veto_all:
        raw = ZERO
    if checklist.na_policy is NaPolicy.RESCALE:
        scaled = raw * full_max / applicable if applicable > 0 else ZERO
        max_points = full_max
    else:
        scaled = raw
        max_points = applicable
    score = _quantize(scaled, checklist)
    # Rounding up must not lift a score past its maximum.
    score = min(score, max_points)
    percent = (
        (score * 100 / max_points).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        if max_points > 0
        else ZERO
    )
    return ScoreResult(score, max_points, full_max, percent, veto_all, tuple(sections))


def checklist_from_rows(
    sections: Sequence[Mapping[str, object]],
    *,
    na_policy: str = NaPolicy.REDUCE,
    decimals: int = 1,
    rounding: str = Rounding.HALF_UP,
) -> Checklist:
    """Build a checklist from plain mappings (as stored or loaded from a pack):
    [{"code", "floor", "points", "items": [{"code", "points", "deduction", "na_allowed",
    "veto"}]}]."""
    built: list[SectionSpec] = []
    for s in sections:
        raw_items = s.get("items") or []
        if not isinstance(raw_items, Sequence):
            raise ChecklistError(f"section {s.get('code')}: items must be a list")
        items = tuple(
            ItemSpec(
                code=str(i["code"]),
                points=Decimal(str(i["points"])),
                deduction=Decimal(str(i.get("deduction", 1))),
                na_allowed=bool(i.get("na_allowed", False)),
                veto=VetoScope(str(i.get("veto") or "")),
            )
            for i in raw_items
            if isinstance(i, Mapping)
        )
        points = s.get("points")
        built.append(
            SectionSpec(
                code=str(s["code"]),
                items=items,
                floor=FloorMode(str(s.get("floor") or FloorMode.ITEM)),
                points=Decimal(str(points)) if points not in (None, "") else None,
            )
        )
    return Checklist(tuple(built), NaPolicy(na_policy), int(decimals), Rounding(rounding))
