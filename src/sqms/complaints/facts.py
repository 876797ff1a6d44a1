"""Complaint facts for the evaluation engine (issue 6): set-based, one query per call, whatever
the number of complaints or subjects. Not scoped to a user: the engine runs as the system and
applies its own scheme's scope; pages keep using `selectors`.

`complaint_counts(period_start, period_end, *, by="staff" | "unit", ids=None, unit=None,
what="substantiated" | "recorded") -> dict[int, CountFact]`
    Per staff member (the staff concerned) or per unit (where the complaint arose), the number
    of complaints received in the period (inclusive local dates of `received_at`), with the
    complaints' ids and tracking codes to link to. Voided, withdrawn and merged complaints never
    count, nor complaints whose category does not count against staff (price, merchandise).
    `what="substantiated"`: only complaints verified as substantiated (有理投诉, seed 000: only
    they count in the cashier ladder and seed 004's −2 per complaint); `what="recorded"`: also
    those not yet verified (a complaint on record; one found not substantiated never counts) —
    the service-star eligibility of seed 000 ("当月无投诉记录").
    Subjects asked about in `ids` with no complaint get a zero fact; `unit` limits the
    complaints to that unit's subtree.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from django.db.models import Q
from django.utils import timezone

from sqms.complaints.models import Complaint, Status
from sqms.org.models import OrgUnit

__all__ = ["CountFact", "complaint_counts"]

NOT_COUNTED = [Status.VOIDED, Status.WITHDRAWN, Status.MERGED]


@dataclass
class CountFact:
    subject_id: int
    count: int = 0
    complaints: list[tuple[int, str]] = field(default_factory=list)  # (id, tracking code)


def _bounds(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    lo = timezone.make_aware(dt.datetime.combine(start, dt.time.min))
    hi = timezone.make_aware(dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min))
    return lo, hi


def complaint_counts(
    period_start: dt.date,
    period_end: dt.date,
    *,
    by: Literal["staff", "unit"] = "staff",
    ids: Iterable[int] | None = None,
    unit: OrgUnit | None = None,
    what: Literal["substantiated", "recorded"] = "substantiated",
) -> dict[int, CountFact]:
    """Complaint counts per subject; see the module docstring."""
    if by not in ("staff", "unit"):
        raise ValueError("by is 'staff' or 'unit'")
    lo, hi = _bounds(period_start, period_end)
    key = "staff_id" if by == "staff" else "unit_id"
    qs = Complaint.objects.filter(received_at__gte=lo, received_at__lt=hi).exclude(
        status__in=NOT_COUNTED
    )
    qs = qs.filter(Q(category__isnull=True) | Q(category__counts_against_staff=True))
    if what == "substantiated":
        qs = qs.filter(substantiated=True)
    else:
        qs = qs.exclude(substantiated=False)
    if by == "staff":
        qs = qs.filter(staff__isnull=False)
    wanted = list(dict.fromkeys(ids)) if ids is not None else None
    if wanted is not None and len(wanted) <= 500:
        qs = qs.filter(**{f"{key}__in": wanted})
    if unit is not None:
        qs = qs.filter(unit_id__in=OrgUnit.objects.filter(path__startswith=unit.path).values("pk"))
    out: dict[int, CountFact] = {pk: CountFact(pk) for pk in wanted} if wanted is not None else {}
    for subject, pk, ref in qs.order_by(key, "received_at", "pk").values_list(key, "pk", "ref"):
        fact = out.get(subject)
        if fact is None:
            if wanted is not None:
                continue
            fact = out[subject] = CountFact(subject)
        fact.count += 1
        fact.complaints.append((pk, ref))
    return out
