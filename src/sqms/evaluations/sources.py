"""The fact sources a scheme's rules may name: a small registry over the other modules' facts
interfaces (`complaints.facts`, `inspections.facts`, `surveys.facts`, `metrics.facts`). Each
source gives, for every subject of a run, one `sqms.core.scoring.Fact`, set-based (one or two
queries per source and run, whatever the number of subjects).

A source is written `name` or `name:qualifier`:

complaints.substantiated     count of substantiated complaints (有理投诉) with the complaints
complaints.recorded          count of complaints on record (not found unsubstantiated)
inspections.percent[:TPL]    mean inspection percentage (0-100) of the period, n = inspections;
                             TPL limits to one checklist template
inspections.nonconformities:TPL:ITEM  nonconformities found on one checklist item over the
                             period's inspections, with the inspection items to link (seed 004's
                             property scoring: "每发现一项不合格扣1分，直至扣完")
surveys.satisfaction_rate[:KIND]  satisfaction rate in %, with n and its Wilson interval
surveys.csi                  CSI (0-100) of a unit subtree, with n and its t interval
surveys.opinion_card_rate    share of a technician's opinion cards that are satisfied, in %
metrics:CODE                 the KPI's figure for the period (a count, rate or mean as defined)
manual:COMPONENT             a figure entered on the draft scorecard with a justification

A unit source followed by `@unit` gives a staff member the figure of his unit — a store
manager scored on his store's inspections and complaints: `inspections.percent:store-service@unit`.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from decimal import Decimal

from sqms.complaints.facts import complaint_counts
from sqms.core.scoring import Fact, FactKind
from sqms.inspections.facts import inspection_deductions, inspection_scores
from sqms.metrics.facts import kpi_facts
from sqms.metrics.models import Formula, Kpi
from sqms.org.models import OrgUnit
from sqms.surveys.facts import csi_facts, opinion_card_facts, satisfaction_rate_facts

TWO = Decimal("0.01")


@dataclass(frozen=True)
class Context:
    start: dt.date
    end: dt.date
    subject: str  # "staff" | "unit"
    ids: tuple[int, ...]
    scope: OrgUnit
    units: dict[int, int] = field(default_factory=dict)  # staff id → unit id


Gather = Callable[[Context, str], dict[int, Fact]]


def _pct(value: float) -> Decimal | None:
    if value is None or math.isnan(value):
        return None
    return (Decimal(str(value)) * 100).quantize(TWO)


def _num(value: float) -> Decimal | None:
    if value is None or math.isnan(value):
        return None
    return Decimal(str(value)).quantize(TWO)


def _complaints(what: str) -> Gather:
    def gather(ctx: Context, qualifier: str) -> dict[int, Fact]:
        counts = complaint_counts(
            ctx.start,
            ctx.end,
            by="staff" if ctx.subject == "staff" else "unit",
            ids=ctx.ids,
            unit=ctx.scope,
            what=what,  # type: ignore[arg-type]
        )
        return {
            pk: Fact(
                Decimal(c.count),
                n=c.count,
                refs=tuple(("complaint", cid, ref) for cid, ref in c.complaints),
            )
            for pk, c in counts.items()
        }

    return gather


def _inspections(ctx: Context, qualifier: str) -> dict[int, Fact]:
    rows = inspection_scores(
        ctx.start,
        ctx.end,
        subject="staff" if ctx.subject == "staff" else "unit",
        unit=ctx.scope,
        template=qualifier or None,
    )
    wanted = set(ctx.ids)
    return {
        r.subject_id: Fact(r.mean_percent, n=r.n, note=f"mean of {r.n}")
        for r in rows
        if r.subject_id in wanted
    }


def _nonconformities(ctx: Context, qualifier: str) -> dict[int, Fact]:
    template, _sep, item = qualifier.partition(":")
    rows = inspection_deductions(ctx.start, ctx.end, unit=ctx.scope, template=template or None)
    wanted = set(ctx.ids)
    counts: dict[int, int] = defaultdict(int)
    refs: dict[int, list[tuple[str, int, str]]] = defaultdict(list)
    for d in rows:
        if item and d.item_code != item:
            continue
        subject = d.staff_id if ctx.subject == "staff" else d.unit_id
        if subject is None or subject not in wanted:
            continue
        counts[subject] += d.nonconformities
        refs[subject].append(("inspection", d.inspection_id, f"{d.template_code} {d.item_code}"))
    return {
        pk: Fact(Decimal(n), n=n, refs=tuple(dict.fromkeys(refs[pk]))) for pk, n in counts.items()
    }


def _satisfaction(ctx: Context, qualifier: str) -> dict[int, Fact]:
    facts = satisfaction_rate_facts(
        user=None,
        by="staff" if ctx.subject == "staff" else "unit",
        ids=ctx.ids,
        start=ctx.start,
        end=ctx.end,
        instrument_kind=qualifier or None,
    )
    return {
        pk: Fact(_pct(f.value), n=f.n, low=_pct(f.low), high=_pct(f.high), note=f.definition)
        for pk, f in facts.items()
    }


def _csi(ctx: Context, qualifier: str) -> dict[int, Fact]:
    facts = csi_facts(
        user=None, unit_ids=ctx.ids, start=ctx.start, end=ctx.end, instrument_code=qualifier or None
    )
    return {
        pk: Fact(_num(f.value), n=f.n, low=_num(f.low), high=_num(f.high), note=f.definition)
        for pk, f in facts.items()
    }


def _opinion_cards(ctx: Context, qualifier: str) -> dict[int, Fact]:
    facts = opinion_card_facts(user=None, staff_ids=ctx.ids, start=ctx.start, end=ctx.end)
    out = {}
    for pk, f in facts.items():
        rate = f.detail.get("satisfied_rate")
        low, high = f.detail.get("satisfied_rate_interval", [math.nan, math.nan])
        out[pk] = Fact(
            _pct(rate) if rate is not None else None,
            n=f.n,
            low=_pct(low),
            high=_pct(high),
            note=f.definition,
        )
    return out


def _metrics(ctx: Context, qualifier: str) -> dict[int, Fact]:
    kpi = Kpi.objects.filter(code=qualifier).first()
    if kpi is None:
        return {}
    return {
        pk: Fact(
            f.value,
            n=f.n,
            refs=tuple(("measurement", m, kpi.code) for m in f.measurements),
        )
        for pk, f in kpi_facts(kpi, ctx.start, ctx.end, ctx.ids).items()
    }


@dataclass(frozen=True)
class Source:
    kind: FactKind
    subjects: frozenset[str]
    gather: Gather | None  # None: entered on the scorecard (manual)


BOTH = frozenset({"staff", "unit"})
REGISTRY: dict[str, Source] = {
    "complaints.substantiated": Source(FactKind.COUNT, BOTH, _complaints("substantiated")),
    "complaints.recorded": Source(FactKind.COUNT, BOTH, _complaints("recorded")),
    "inspections.percent": Source(FactKind.PERCENT, BOTH, _inspections),
    "inspections.nonconformities": Source(FactKind.COUNT, BOTH, _nonconformities),
    "surveys.satisfaction_rate": Source(FactKind.RATE, BOTH, _satisfaction),
    "surveys.csi": Source(FactKind.RATE, frozenset({"unit"}), _csi),
    "surveys.opinion_card_rate": Source(FactKind.RATE, frozenset({"staff"}), _opinion_cards),
    "metrics": Source(FactKind.VALUE, BOTH, _metrics),
    "manual": Source(FactKind.MANUAL, BOTH, None),
}

KPI_KINDS = {
    Formula.RATIO_PERCENT: FactKind.RATE,
    Formula.RATIO_PERMILLE: FactKind.RATE,
    Formula.COUNT: FactKind.COUNT,
    Formula.MEAN: FactKind.VALUE,
}


def known_sources() -> dict[str, FactKind]:
    """Every source a scheme may name, with what it gives: the registry, and one
    `metrics:CODE` per KPI (its kind by the KPI's formula)."""
    known = {name: s.kind for name, s in REGISTRY.items() if name != "metrics"}
    known |= {
        f"{name}{UNIT_SUFFIX}": s.kind
        for name, s in REGISTRY.items()
        if "unit" in s.subjects and s.gather is not None and name != "metrics"
    }
    for code, formula in Kpi.objects.filter(is_active=True).values_list("code", "formula"):
        known[f"metrics:{code}"] = KPI_KINDS[Formula(formula)]
    return known


UNIT_SUFFIX = "@unit"


def source_entry(source: str) -> Source | None:
    name = source.removesuffix(UNIT_SUFFIX).split(":", 1)[0]
    return REGISTRY.get(name)


def gather_facts(ctx: Context, sources: Iterable[str]) -> dict[str, dict[int, Fact]]:
    """source → subject id → fact, for every source the scheme names."""
    out: dict[str, dict[int, Fact]] = {}
    for source in dict.fromkeys(sources):
        entry = source_entry(source)
        bare = source.removesuffix(UNIT_SUFFIX)
        qualifier = bare.split(":", 1)[1] if ":" in bare else ""
        if entry is None or entry.gather is None:
            out[source] = {}
            continue
        if source.endswith(UNIT_SUFFIX) and ctx.subject == "staff":
            unit_ids = tuple(sorted(set(ctx.units.values())))
            by_unit = entry.gather(replace(ctx, subject="unit", ids=unit_ids), qualifier)
            out[source] = {
                staff: by_unit[unit] for staff, unit in ctx.units.items() if unit in by_unit
            }
        else:
            out[source] = entry.gather(ctx, qualifier)
    return out
