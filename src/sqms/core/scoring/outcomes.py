"""Outcomes beside the score: ladders, service stars, aggregation, thresholds."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from sqms.core.scoring.model import (
    ONE,
    ZERO,
    Ladder,
    LadderStep,
    RoundingSpec,
    TieRule,
    _q,
    round_units,
)

# --- outcomes beside the score -------------------------------------------------------------------


def ladder_outcome(ladder: Ladder, count: int) -> LadderStep:
    """The step of the ladder for this count (counts past the last step take `above`, or the
    last step when the ladder has no `above`)."""
    for step in ladder.steps:
        if step.count == count:
            return step
    if ladder.above is not None and count > ladder.steps[-1].count:
        return ladder.above
    return ladder.steps[-1] if count > ladder.steps[-1].count else ladder.steps[0]


@dataclass(frozen=True)
class StarCandidate:
    subject_id: int
    votes: int
    eligible: bool
    score: Decimal = ZERO


@dataclass(frozen=True)
class StarResult:
    pool_size: int
    quota: int
    stars: tuple[int, ...]
    tied_at_cutoff: tuple[int, ...] = ()
    note: str = ""
    order: tuple[int, ...] = field(default_factory=tuple)


def service_stars(
    candidates: Sequence[StarCandidate], share_num: int, share_den: int, tie: TieRule
) -> StarResult:
    """Seed 000: among a store's cashiers, those with no complaint that month are eligible; the
    top ⌊n × share⌋ by votes (n = all cashiers of the store) become service stars. Candidates
    tied on votes at the cut-off are settled by `tie`."""
    n = len(candidates)
    quota = n * share_num // share_den
    pool = sorted(
        (c for c in candidates if c.eligible), key=lambda c: (-c.votes, -c.score, c.subject_id)
    )
    order = tuple(c.subject_id for c in pool)
    if quota == 0 or not pool:
        return StarResult(n, quota, (), (), "quota 0" if quota == 0 else "nobody eligible", order)
    if len(pool) <= quota:
        return StarResult(n, quota, tuple(c.subject_id for c in pool), (), "", order)
    cut_votes = pool[quota - 1].votes
    above = [c for c in pool if c.votes > cut_votes]
    at_cut = [c for c in pool if c.votes == cut_votes]
    free = quota - len(above)
    if len(at_cut) <= free:
        return StarResult(n, quota, tuple(c.subject_id for c in above + at_cut), (), "", order)
    tied = tuple(c.subject_id for c in at_cut)
    if tie is TieRule.INCLUDE_ALL:
        chosen = above + at_cut
        note = "tie at the cut-off: all tied candidates included"
    elif tie is TieRule.EXCLUDE_ALL:
        chosen = above
        note = "tie at the cut-off: tied candidates left out"
    else:
        at_cut_sorted = sorted(at_cut, key=lambda c: -c.score)
        cut_score = at_cut_sorted[free - 1].score
        chosen = above + [c for c in at_cut_sorted if c.score >= cut_score]
        note = "tie at the cut-off: settled by the higher score"
        if sum(1 for c in at_cut if c.score >= cut_score) > free:
            note += "; still tied on score: all of them included"
    return StarResult(n, quota, tuple(c.subject_id for c in chosen), tied, note, order)


def mean(values: Iterable[Decimal], decimals: int = 2) -> Decimal | None:
    """Mean of the children's scores (staff → unit, units → division); None for none."""
    vals = list(values)
    if not vals:
        return None
    return _q(sum(vals, ZERO) / len(vals), decimals)


def threshold_shortfall(
    value: Decimal, threshold: Decimal, points_per_point: Decimal, spec: RoundingSpec
) -> Decimal:
    """Seed 004 第十九条: a department below 85 costs its head 1 point per point short."""
    return round_units(threshold - value, ONE, spec) * points_per_point
