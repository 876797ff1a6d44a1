"""KPI facts for the evaluation engine: a KPI's figure per subject over a period, set-based
(one aggregate query and one query for the ids to link, whatever the number of subjects).

`kpi_facts(kpi, period_start, period_end, ids=None) -> dict[int, KpiFact]`
    For each subject (staff id or unit id, as the KPI is measured) the measurements lying inside
    the period are combined by the KPI's formula: a ratio as Σ numerators / Σ denominators (so
    six monthly answer rates make the half-year's answer rate, weighted by calls, not the mean
    of six percentages), a count as the sum, a mean as Σ sums / Σ n (or the mean of the
    figures when no n was entered). `n` is Σ denominators for ratios (the calls, the checked
    shops), the number of measurements otherwise. Subjects in `ids` without measurements get
    value None.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Avg, Count, Sum

from sqms.metrics.models import Formula, Kpi, Measurement, SubjectKind

FOUR = Decimal("0.0001")


@dataclass
class KpiFact:
    subject_id: int
    value: Decimal | None
    n: int = 0
    numerator: Decimal | None = None
    denominator: Decimal | None = None
    measurements: list[int] = field(default_factory=list)


def kpi_facts(
    kpi: Kpi, period_start: dt.date, period_end: dt.date, ids: Iterable[int] | None = None
) -> dict[int, KpiFact]:
    key = "staff_id" if kpi.subject == SubjectKind.STAFF else "unit_id"
    qs = Measurement.objects.filter(
        kpi=kpi, period_start__gte=period_start, period_end__lte=period_end
    )
    if kpi.subject == SubjectKind.UNIT:
        qs = qs.filter(staff__isnull=True)
    wanted = list(dict.fromkeys(ids)) if ids is not None else None
    if wanted is not None and len(wanted) <= 500:
        qs = qs.filter(**{f"{key}__in": wanted})
    rows = (
        qs.order_by()
        .values(key)
        .annotate(num=Sum("numerator"), den=Sum("denominator"), avg=Avg("value"), k=Count("pk"))
    )
    links: dict[int, list[int]] = defaultdict(list)
    for subject, pk in qs.order_by(key, "period_start").values_list(key, "pk"):
        links[subject].append(pk)
    factor = {Formula.RATIO_PERCENT: 100, Formula.RATIO_PERMILLE: 1000}.get(kpi.formula, 1)
    out: dict[int, KpiFact] = {pk: KpiFact(pk, None) for pk in wanted} if wanted is not None else {}
    for r in rows:
        subject = r[key]
        if wanted is not None and subject not in out:
            continue
        num = Decimal(str(r["num"] or 0))
        den = Decimal(str(r["den"])) if r["den"] is not None else None
        if kpi.is_ratio:
            value = (num / den * factor).quantize(FOUR) if den else None
            n = int(den or 0)
        elif kpi.formula == Formula.COUNT:
            value, n = num, int(r["k"])
        else:
            value = (num / den).quantize(FOUR) if den else Decimal(str(r["avg"])).quantize(FOUR)
            n = int(den) if den else int(r["k"])
        out[subject] = KpiFact(subject, value, n, num, den, links[subject])
    return out
