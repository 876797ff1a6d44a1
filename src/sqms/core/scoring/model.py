"""Schemes, facts and results of the rules engine (see the package docstring)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

ZERO = Decimal(0)
ONE = Decimal(1)
HUNDRED = Decimal(100)


class RuleKind(StrEnum):
    CHECKLIST = "checklist"
    PER_EVENT = "per_event"
    RATE_BELOW_TARGET = "rate_below_target"
    RATE_ABOVE_LIMIT = "rate_above_limit"
    BAND = "band"
    INCIDENT = "incident"
    VETO = "veto"
    COMPLETION = "completion"
    MANUAL = "manual"


class FactKind(StrEnum):
    """What a fact source delivers: a count of events, a rate, a percentage score, a plain value
    (with a reference for bands), a yes/no, or nothing (manual entries)."""

    COUNT = "count"
    RATE = "rate"
    PERCENT = "percent"
    VALUE = "value"
    FLAG = "flag"
    MANUAL = "manual"


RULE_NEEDS: dict[RuleKind, frozenset[FactKind]] = {
    RuleKind.CHECKLIST: frozenset({FactKind.PERCENT, FactKind.RATE}),
    RuleKind.PER_EVENT: frozenset({FactKind.COUNT}),
    RuleKind.RATE_BELOW_TARGET: frozenset({FactKind.RATE, FactKind.PERCENT, FactKind.VALUE}),
    RuleKind.RATE_ABOVE_LIMIT: frozenset({FactKind.RATE, FactKind.VALUE}),
    RuleKind.BAND: frozenset({FactKind.VALUE, FactKind.RATE}),
    RuleKind.INCIDENT: frozenset({FactKind.COUNT}),
    RuleKind.VETO: frozenset({FactKind.COUNT, FactKind.FLAG}),
    RuleKind.COMPLETION: frozenset({FactKind.FLAG, FactKind.COUNT}),
    RuleKind.MANUAL: frozenset({FactKind.MANUAL}),
}


class RoundMode(StrEnum):
    CEIL = "ceil"  # per started step ("每少1%", 0.3% short counts as 1%)
    FLOOR = "floor"  # only whole steps count
    HALF_UP = "half_up"


class Normalise(StrEnum):
    NONE = "none"
    PROPORTIONAL = "proportional"


class VetoScope(StrEnum):
    COMPONENT = "component"
    SCORECARD = "scorecard"


class TieRule(StrEnum):
    """Who among candidates tied on votes at the cut-off of the service-star quota is chosen."""

    INCLUDE_ALL = "include_all"  # all of them (the quota is exceeded)
    EXCLUDE_ALL = "exclude_all"  # none of them (the quota is not filled)
    HIGHER_SCORE = "higher_score"  # the higher evaluation score; still tied: all of them


_MODES = {
    RoundMode.CEIL: ROUND_CEILING,
    RoundMode.FLOOR: ROUND_FLOOR,
    RoundMode.HALF_UP: ROUND_HALF_UP,
}


@dataclass(frozen=True)
class RoundingSpec:
    step: Decimal = ONE
    mode: RoundMode = RoundMode.CEIL

    def describe(self) -> str:
        return f"{self.mode.value} to {self.step}"


def round_units(amount: Decimal, per: Decimal, spec: RoundingSpec) -> Decimal:
    """How many units of size `per` `amount` (≥ 0) counts as, rounded to `spec.step` units by
    `spec.mode`: 2.5 points short, per 1 point, ceil → 3; floor → 2; step 0.01 → 2.50."""
    if amount <= 0:
        return ZERO
    units = amount / per
    steps = (units / spec.step).quantize(ONE, rounding=_MODES[spec.mode])
    return steps * spec.step


@dataclass(frozen=True)
class Problem:
    """One mistake in a scheme, with its place (`loc`, as in the API's problem+json)."""

    loc: tuple[str | int, ...]
    msg: str


class SchemeError(ValueError):
    def __init__(self, problems: Sequence[Problem]) -> None:
        super().__init__("; ".join(f"{'.'.join(map(str, p.loc))}: {p.msg}" for p in problems))
        self.problems = list(problems)


@dataclass(frozen=True)
class Rule:
    kind: RuleKind
    source: str = ""  # "name" or "name:qualifier" (e.g. "metrics:answer-rate")
    points: Decimal = ONE  # points per event / per unit / for the incident or completion
    target: Decimal | None = None  # rate below target; band lower ratio
    limit: Decimal | None = None  # rate above limit; band upper ratio
    per: Decimal = ONE  # size of one unit of shortfall/excess, in the fact's own unit
    rounding: RoundingSpec | None = None  # None: the scheme's
    zero_if_any: bool = False  # incident: any one zeroes the component
    scope: VetoScope = VetoScope.COMPONENT
    free: int = 0  # per event: this many events cost nothing
    reference_source: str = ""  # band: where the reference value comes from (else the fact's)
    label: str = ""

    @property
    def source_name(self) -> str:
        return self.source.split(":", 1)[0]


@dataclass(frozen=True)
class Component:
    code: str
    max: Decimal
    rules: tuple[Rule, ...]
    floor: Decimal = ZERO
    cap: Decimal | None = None
    label: str = ""

    @property
    def upper(self) -> Decimal:
        return self.max if self.cap is None else min(self.cap, self.max)


@dataclass(frozen=True)
class Band:
    code: str
    min: Decimal
    max: Decimal
    label: str = ""


@dataclass(frozen=True)
class LadderStep:
    count: int  # this exact count (the last step: this count and more when `open_ended`)
    amount: Decimal  # money: positive a reward, negative a penalty
    outcome: str = ""  # e.g. "dismissal_review"


@dataclass(frozen=True)
class Ladder:
    source: str
    steps: tuple[LadderStep, ...]
    above: LadderStep | None = None  # more than the last step's count


@dataclass(frozen=True)
class StarRule:
    votes_source: str
    eligible_source: str  # a count; eligible when it is at most `eligible_max`
    eligible_max: int = 0
    share_num: int = 1
    share_den: int = 5
    tie: TieRule = TieRule.INCLUDE_ALL
    amount: Decimal = ZERO


@dataclass(frozen=True)
class Scheme:
    code: str
    components: tuple[Component, ...]
    scale: Decimal = HUNDRED
    normalise: Normalise = Normalise.NONE
    decimals: int = 2
    rounding: RoundingSpec = RoundingSpec()
    bands: tuple[Band, ...] = ()
    band_decimals: int = 0
    ladder: Ladder | None = None
    stars: StarRule | None = None

    @property
    def component_total(self) -> Decimal:
        return sum((c.max for c in self.components), ZERO)


# --- facts and results --------------------------------------------------------------------


@dataclass(frozen=True)
class Fact:
    """One input for one subject: `value` (None: no data), `n` behind it, an interval when it is
    an estimate, a reference value (bands), and `refs`: (kind, id, label) of the records it
    comes from, for the links on the scorecard."""

    value: Decimal | None
    n: int = 0
    low: Decimal | None = None
    high: Decimal | None = None
    reference: Decimal | None = None
    refs: tuple[tuple[str, int, str], ...] = ()
    note: str = ""


@dataclass(frozen=True)
class Line:
    component: str
    rule_index: int
    kind: str
    source: str
    inputs: Mapping[str, Any]
    points: Decimal  # points deducted by this line (≥ 0); a veto line carries what it removed
    note: str = ""
    refs: tuple[tuple[str, int, str], ...] = ()


@dataclass(frozen=True)
class ComponentResult:
    code: str
    max: Decimal
    points: Decimal
    vetoed: bool


@dataclass(frozen=True)
class ScorecardResult:
    total: Decimal  # in [0, scale], rounded to the scheme's decimals
    raw_total: Decimal  # Σ component points before normalising
    scale: Decimal
    grade: str
    vetoed: bool
    components: tuple[ComponentResult, ...]
    lines: tuple[Line, ...]


def _d(value: Any, loc: tuple[str | int, ...], problems: list[Problem]) -> Decimal | None:
    if isinstance(value, bool) or value is None:
        problems.append(Problem(loc, "a number is required"))
        return None
    try:
        d = Decimal(str(value))
    except (InvalidOperation, ValueError):
        problems.append(Problem(loc, f"{value!r} is not a number"))
        return None
    if not d.is_finite():
        problems.append(Problem(loc, "a finite number is required"))
        return None
    return d


def _q(value: Decimal, decimals: int) -> Decimal:
    return value.quantize(ONE.scaleb(-decimals), rounding=ROUND_HALF_UP)
