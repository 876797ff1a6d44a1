"""Scoring one subject's facts under a scheme, line by line."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from decimal import Decimal
from typing import Any

from sqms.core.scoring.model import (
    HUNDRED,
    ZERO,
    Band,
    Component,
    ComponentResult,
    Fact,
    Line,
    Normalise,
    Rule,
    RuleKind,
    Scheme,
    ScorecardResult,
    VetoScope,
    _q,
    round_units,
)

# --- scoring -----------------------------------------------------------------------------------


def _refs(fact: Fact | None) -> tuple[tuple[str, int, str], ...]:
    return fact.refs if fact is not None else ()


def _fact_inputs(fact: Fact | None) -> dict[str, Any]:
    if fact is None or fact.value is None:
        return {"value": None, "n": fact.n if fact else 0}
    out: dict[str, Any] = {"value": str(fact.value), "n": fact.n}
    if fact.low is not None and fact.high is not None:
        out["interval"] = [str(fact.low), str(fact.high)]
    if fact.reference is not None:
        out["reference"] = str(fact.reference)
    return out


def _score_rule(
    comp: Component, idx: int, rule: Rule, facts: Mapping[str, Fact], scheme: Scheme
) -> tuple[Line, bool, bool]:
    """(line, zero the component, zero the scorecard)."""
    spec = rule.rounding or scheme.rounding
    fact = facts.get(rule.source)
    inputs = _fact_inputs(fact)
    refs = _refs(fact)
    value = fact.value if fact is not None else None

    def line(points: Decimal, note: str = "", **extra: Any) -> Line:
        return Line(
            comp.code,
            idx,
            rule.kind.value,
            rule.source,
            {**inputs, **{k: (str(v) if isinstance(v, Decimal) else v) for k, v in extra.items()}},
            points,
            note,
            refs,
        )

    if rule.kind is RuleKind.MANUAL:
        if value is None:
            return line(ZERO, "no entry"), False, False
        if not (fact and fact.note.strip()):
            return line(ZERO, "not counted: a manual entry needs a justification"), False, False
        return line(max(value, ZERO), fact.note.strip()), False, False
    if value is None:
        if rule.kind is RuleKind.CHECKLIST:
            return line(ZERO, "no data: full points"), False, False
        return line(ZERO, "no data"), False, False
    if rule.kind is RuleKind.CHECKLIST:
        earned = comp.max * min(max(value, ZERO), HUNDRED) / HUNDRED
        return line(comp.max - earned, f"{value}% of {comp.max}"), False, False
    if rule.kind in (RuleKind.PER_EVENT, RuleKind.INCIDENT):
        count = max(int(value), 0)
        counted = max(count - rule.free, 0)
        if rule.kind is RuleKind.INCIDENT and rule.zero_if_any and count > 0:
            return line(comp.max, "any incident zeroes the component", count=count), True, False
        return line(rule.points * counted, count=count, free=rule.free), False, False
    if rule.kind is RuleKind.RATE_BELOW_TARGET:
        assert rule.target is not None
        short = rule.target - value
        units = round_units(short, rule.per, spec)
        return (
            line(
                units * rule.points,
                target=rule.target,
                shortfall=max(short, ZERO),
                units=units,
                rounding=spec.describe(),
            ),
            False,
            False,
        )
    if rule.kind is RuleKind.RATE_ABOVE_LIMIT:
        assert rule.limit is not None
        excess = value - rule.limit
        units = round_units(excess, rule.per, spec)
        return (
            line(
                units * rule.points,
                limit=rule.limit,
                excess=max(excess, ZERO),
                units=units,
                rounding=spec.describe(),
            ),
            False,
            False,
        )
    if rule.kind is RuleKind.BAND:
        assert rule.target is not None and rule.limit is not None
        ref = fact.reference if fact is not None else None
        if rule.reference_source:
            ref_fact = facts.get(rule.reference_source)
            ref = ref_fact.value if ref_fact is not None else None
        if ref is None or ref <= 0:
            return line(ZERO, "no reference value"), False, False
        lo, hi = ref * rule.target, ref * rule.limit
        # Deviation outside the band, in percent of the reference ("每超(减)1%").
        dev = (value - hi) if value > hi else (lo - value) if value < lo else ZERO
        dev_pct = dev / ref * HUNDRED
        units = round_units(dev_pct, rule.per, spec)
        return (
            line(units * rule.points, low=lo, high=hi, deviation_pct=_q(dev_pct, 4), units=units),
            False,
            False,
        )
    if rule.kind is RuleKind.VETO:
        if value > 0:
            whole = rule.scope is VetoScope.SCORECARD
            return (
                line(comp.max, "veto: the whole scorecard is zero" if whole else "veto"),
                not whole,
                whole,
            )
        return line(ZERO), False, False
    if rule.kind is RuleKind.COMPLETION:
        done = value > 0
        return line(ZERO if done else rule.points, "done" if done else "not done"), False, False
    raise AssertionError(rule.kind)  # pragma: no cover - the set is closed


def grade_for(total: Decimal, bands: Sequence[Band], decimals: int) -> str:
    """The band of the total read at the bands' precision (95.6 read at 0 decimals is 96)."""
    read = _q(total, decimals)
    for band in bands:
        if band.min <= read <= band.max:
            return band.code
    return ""


def score_scorecard(
    scheme: Scheme,
    facts: Mapping[str, Fact],
    overrides: Mapping[tuple[str, int], Decimal] | None = None,
) -> ScorecardResult:
    """Score one subject: `facts` maps each rule's source to its fact for this subject (a
    missing source counts as no data). `overrides` replace the points of single lines, keyed by
    (component code, rule index) — an appeal upheld on review; an overridden line no longer
    zeroes anything. Deterministic: the same scheme, facts and overrides give the same result,
    line for line."""
    overrides = overrides or {}
    lines: list[Line] = []
    comps: list[ComponentResult] = []
    whole_veto = False
    for comp in scheme.components:
        deducted = ZERO
        zero = False
        for idx, rule in enumerate(comp.rules):
            ln, z_comp, z_all = _score_rule(comp, idx, rule, facts, scheme)
            if (comp.code, idx) in overrides:
                new = min(max(overrides[(comp.code, idx)], ZERO), comp.max)
                ln = replace(ln, points=new, note=f"appeal upheld: {ln.points} → {new}")
                z_comp = z_all = False
            lines.append(ln)
            deducted += ln.points
            zero = zero or z_comp
            whole_veto = whole_veto or z_all
        points = ZERO if zero else min(max(comp.max - deducted, comp.floor), comp.upper)
        comps.append(ComponentResult(comp.code, comp.max, points, zero))
    raw = sum((c.points for c in comps), ZERO)
    if whole_veto:
        total = ZERO
    elif scheme.normalise is Normalise.PROPORTIONAL and scheme.component_total > 0:
        total = raw * scheme.scale / scheme.component_total
    else:
        total = raw
    total = _q(min(max(total, ZERO), scheme.scale), scheme.decimals)
    return ScorecardResult(
        total=total,
        raw_total=raw,
        scale=scheme.scale,
        grade=grade_for(total, scheme.bands, scheme.band_decimals),
        vetoed=whole_veto,
        components=tuple(comps),
        lines=tuple(lines),
    )
