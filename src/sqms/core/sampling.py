"""Sampling for inspection plans, as plain values: reproducible seeded draws, stratified draws,
and the customer scale classes of seed 004.

Reproducible: a draw depends only on the population (as a set: its order does not matter), the
quota and the seed. The population is sorted first and shuffled with Python's `random.Random`
seeded by a string (hashed with SHA-512 by `random.seed` version 2, stable across Python
versions), so the stored seed reproduces the sample on any machine.

Scale classes (seed 004, Nanyang tobacco 客户分类): within each business format, a customer's score
is (his purchase quantity / the format's total quantity + his purchase amount / the format's
total amount) / 2; customers are ranked by score, highest first (ties by id, so the ranking is
total); the top 20% are class 1 (large), the middle 60% class 2, the bottom 20% class 3. The
class sizes are 20% of the format's customers rounded half up (10 customers: 2 / 6 / 2; 7: 1 / 5 /
1), and a format with a single customer puts him in class 1.
"""

from __future__ import annotations

import random
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal
from typing import TypeVar

__all__ = [
    "Customer",
    "SamplingError",
    "draw",
    "quota",
    "scale_classes",
    "scale_scores",
    "stratified_draw",
]

K = TypeVar("K", bound=Hashable)


class SamplingError(ValueError):
    pass


def quota(population: int, *, rate: Decimal = Decimal(0), minimum: int = 0) -> int:
    """How many to draw from a population of `population`: ⌈population × rate⌉, at least
    `minimum`, never more than the population ("5%" of 41 customers is 3; "at least 10" of 6 is
    6)."""
    if population < 0 or minimum < 0 or not Decimal(0) <= rate <= Decimal(1):
        raise SamplingError("population and minimum are ≥ 0 and the rate is within [0, 1]")
    by_rate = int((Decimal(population) * rate).to_integral_value(rounding=ROUND_CEILING))
    return min(population, max(by_rate, minimum))


def _key(value: object) -> tuple[str, str]:
    return (type(value).__name__, str(value))


def draw(population: Iterable[K], n: int, seed: str, *, always: Iterable[K] = ()) -> list[K]:
    """A reproducible simple random sample of `n` members (all, when n ≥ the population), plus
    every member of `always` that is in the population (e.g. "every ticket scored below 3"),
    which does not count against `n`. The result is in draw order, the `always` ones first."""
    if n < 0:
        raise SamplingError("a sample size is never negative")
    members = sorted(set(population), key=_key)
    required = [m for m in sorted(set(always), key=_key) if m in set(members)]
    rest = [m for m in members if m not in set(required)]
    rng = random.Random(f"sqms-sample:{seed}")
    rng.shuffle(rest)
    return required + rest[: min(n, len(rest))]


def stratified_draw(
    strata: Mapping[str, Sequence[K]],
    seed: str,
    *,
    rate: Decimal = Decimal(0),
    minimum: int = 0,
    always: Iterable[K] = (),
) -> dict[str, list[K]]:
    """A proportional stratified sample: from each stratum, ⌈N_h × rate⌉ members (at least
    `minimum`, at most N_h), each stratum drawn with its own seed derived from `seed` and the
    stratum's name, so adding a stratum does not change the others' samples."""
    always_set = set(always)
    out: dict[str, list[K]] = {}
    for name in sorted(strata):
        members = list(strata[name])
        n = quota(len(set(members)), rate=rate, minimum=minimum)
        out[name] = draw(members, n, f"{seed}/{name}", always=always_set & set(members))
    return out


@dataclass(frozen=True)
class Customer:
    """A retail customer's purchases over the classification period."""

    id: int
    business_format: str
    quantity: Decimal
    amount: Decimal


def scale_scores(customers: Sequence[Customer]) -> dict[int, Decimal]:
    """Score = (quantity / format's total quantity + amount / format's total amount) / 2, per
    business format; a share whose total is zero counts as 0."""
    totals: dict[str, tuple[Decimal, Decimal]] = {}
    for c in customers:
        if c.quantity < 0 or c.amount < 0:
            raise SamplingError(f"customer {c.id}: purchases must not be negative")
        q, a = totals.get(c.business_format, (Decimal(0), Decimal(0)))
        totals[c.business_format] = (q + c.quantity, a + c.amount)
    scores: dict[int, Decimal] = {}
    for c in customers:
        tq, ta = totals[c.business_format]
        share_q = c.quantity / tq if tq else Decimal(0)
        share_a = c.amount / ta if ta else Decimal(0)
        scores[c.id] = (share_q + share_a) / 2
    return scores


def _class_sizes(n: int) -> tuple[int, int]:
    """(size of class 1, size of class 3) for n customers: 20% each, rounded half up; when n is
    too small for three classes the top class is filled first (1 customer → class 1)."""
    top = int((Decimal(n) * Decimal("0.2")).to_integral_value(rounding=ROUND_HALF_UP))
    bottom = int((Decimal(n) * Decimal("0.2")).to_integral_value(rounding=ROUND_HALF_UP))
    if n and top == 0:
        top = 1
    bottom = min(bottom, n - top)
    return top, bottom


def scale_classes(customers: Sequence[Customer]) -> dict[int, int]:
    """The 20/60/20 scale class (1 large, 2 medium, 3 small) of each customer, within his
    business format (seed 004)."""
    ids = [c.id for c in customers]
    if len(ids) != len(set(ids)):
        raise SamplingError("a customer appears twice")
    scores = scale_scores(customers)
    by_format: dict[str, list[int]] = {}
    for c in customers:
        by_format.setdefault(c.business_format, []).append(c.id)
    classes: dict[int, int] = {}
    for members in by_format.values():
        ranked = sorted(members, key=lambda i: (-scores[i], i))
        top, bottom = _class_sizes(len(ranked))
        for rank, cid in enumerate(ranked):
            if rank < top:
                classes[cid] = 1
            elif rank >= len(ranked) - bottom:
                classes[cid] = 3
            else:
                classes[cid] = 2
    return classes
