"""Survey facts for the evaluation engine (issue 6): set-based reads, one query per call,
whatever the number of subjects.

Interface — every function takes keyword arguments only and returns {subject id: Fact}, with a
Fact for every id asked about (n = 0 and NaN value when there were no answers):

    satisfaction_rate_facts(user=..., by="unit" | "staff", ids=[...], start=date, end=date,
                            instrument_kind=None, definition=None)
        The satisfaction rate (0-1) with its Wilson interval, over the responses answered between
        `start` and `end` (inclusive) of campaigns whose instrument defines a satisfaction item.
        by="unit": responses from the unit's whole subtree; by="staff": responses rating that
        staff member (opinion cards, a cashier named on a card). `definition` is
        "satisfied_share" (satisfied / surveyed) or "not_dissatisfied" (1 − dissatisfied /
        rated); None takes the organisation default. The Fact records the definition.

    csi_facts(user=..., unit_ids=[...], start=date, end=date, instrument_code=None)
        The CSI on 0-100 per unit subtree, from campaigns whose instrument defines CSI weights,
        with the t interval of the respondents' own indices; `definition` names the scale.

    opinion_card_facts(user=..., staff_ids=[...], start=date, end=date)
        Per technician: the mean card score (mean of the card's four ratings, on 1-4) with its
        t interval, n = cards; `detail` holds each item's mean and the satisfaction rate.

`user` scopes the reads like every selector (responses from units where he holds
`surveys.results`); `user=None` is the system itself (the evaluation engine's scheduled run) and
reads everything. Anonymous campaigns: a unit's fact is given only with at least the campaign's
smallest group of respondents behind it (otherwise `suppressed` and no value), and no fact is
ever about a respondent — staff facts are about the person rated, never the one answering.
A respondent group other than customers (managers answering the expectation form) is left out."""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from django.db.models import Q

from sqms.core import survey_stats as ss
from sqms.org.models import OrgUnit
from sqms.org.roles import Cap
from sqms.org.selectors import AnyUser, access_for
from sqms.surveys.instruments import Spec, spec_parse
from sqms.surveys.models import InstrumentKind, RespondentGroup, Response
from sqms.surveys.services import survey_defaults

NAN = float("nan")


@dataclass(frozen=True)
class Fact:
    subject: str  # "unit" | "staff"
    subject_id: int
    start: dt.date
    end: dt.date
    measure: str  # "satisfaction_rate" | "csi" | "opinion_card"
    value: float
    n: int
    low: float
    high: float
    definition: str
    suppressed: bool = False
    detail: dict[str, Any] = field(default_factory=dict)


def _scope(user: AnyUser | None) -> Q:
    if user is None:
        return Q()
    access = access_for(user)
    if access.superuser:
        return Q()
    prefixes = access.prefixes(Cap.SURVEY_RESULTS)
    if not prefixes:
        return Q(pk__in=[])
    q = Q()
    for p in prefixes:
        q |= Q(unit__path__startswith=p)
    return q


def _rows(user: AnyUser | None, start: dt.date, end: dt.date, extra: Q) -> list[tuple[Any, ...]]:
    qs = (
        Response.objects.filter(_scope(user), extra, submitted_on__gte=start, submitted_on__lte=end)
        .exclude(
            group=RespondentGroup.MANAGEMENT, campaign__instrument__kind=InstrumentKind.SERVQUAL
        )
        .values_list(
            "unit__path",
            "subject_staff_id",
            "answers",
            "campaign_id",
            "campaign__anonymous",
            "campaign__min_group",
            "campaign__instrument__spec",
        )
        .order_by("pk")
    )
    return list(qs)


def _spec(campaign_id: int, raw: dict[str, Any], memo: dict[int, Spec]) -> Spec:
    if campaign_id not in memo:
        memo[campaign_id] = spec_parse(raw)
    return memo[campaign_id]


def _unit_paths(unit_ids: Iterable[int]) -> dict[int, str]:
    return dict(OrgUnit.objects.filter(pk__in=list(unit_ids)).values_list("pk", "path"))


def satisfaction_rate_facts(
    *,
    user: AnyUser | None,
    by: Literal["unit", "staff"],
    ids: Iterable[int],
    start: dt.date,
    end: dt.date,
    instrument_kind: str | None = None,
    definition: str | None = None,
) -> dict[int, Fact]:
    wanted = list(dict.fromkeys(ids))
    rate_def = ss.RateDefinition(definition or survey_defaults().satisfaction_definition)
    extra = Q(campaign__instrument__kind=instrument_kind) if instrument_kind else Q()
    paths = _unit_paths(wanted) if by == "unit" else {}
    if by == "unit":
        q = Q()
        for p in paths.values():
            q |= Q(unit__path__startswith=p)
        extra &= q if paths else Q(pk__in=[])
    else:
        extra &= Q(subject_staff_id__in=wanted)
    memo: dict[int, Spec] = {}
    satisfied: dict[int, int] = defaultdict(int)
    counted: dict[int, int] = defaultdict(int)
    small_anonymous: dict[int, int] = defaultdict(int)  # the strictest min_group seen
    for path, subject_staff, answers, campaign_id, anonymous, min_group, raw in _rows(
        user, start, end, extra
    ):
        sat = _spec(campaign_id, raw, memo).analysis.get("satisfaction")
        if not sat:
            continue
        codes = sat.get("items") or [sat["item"]]
        values = [answers[c] for c in codes if isinstance(answers.get(c), int | float)]
        if not values:
            continue
        v = sum(values) / len(values)
        if rate_def is ss.RateDefinition.SATISFIED_SHARE:
            ok = v >= float(sat["satisfied_min"])
        else:
            ok = v > float(sat["dissatisfied_max"])
        targets = (
            [pk for pk, p in paths.items() if path.startswith(p)]
            if by == "unit"
            else [subject_staff]
        )
        for t in targets:
            counted[t] += 1
            satisfied[t] += int(ok)
            if anonymous and by == "unit":
                small_anonymous[t] = max(small_anonymous[t], int(min_group))
    out = {}
    for pk in wanted:
        rate = ss.proportion(satisfied[pk], counted[pk], rate_def)
        suppressed = 0 < counted[pk] < small_anonymous.get(pk, 0)
        out[pk] = Fact(
            subject=by,
            subject_id=pk,
            start=start,
            end=end,
            measure="satisfaction_rate",
            value=NAN if suppressed else rate.value,
            n=0 if suppressed else rate.n,
            low=NAN if suppressed else rate.low,
            high=NAN if suppressed else rate.high,
            definition=rate_def.value,
            suppressed=suppressed,
            detail={} if suppressed else {"satisfied": rate.count},
        )
    return out


def csi_facts(
    *,
    user: AnyUser | None,
    unit_ids: Iterable[int],
    start: dt.date,
    end: dt.date,
    instrument_code: str | None = None,
) -> dict[int, Fact]:
    wanted = list(dict.fromkeys(unit_ids))
    paths = _unit_paths(wanted)
    q = Q()
    for p in paths.values():
        q |= Q(unit__path__startswith=p)
    extra = (q if paths else Q(pk__in=[])) & Q(campaign__instrument__kind=InstrumentKind.CSI)
    if instrument_code:
        extra &= Q(campaign__instrument__code=instrument_code)
    memo: dict[int, Spec] = {}
    scores: dict[int, list[float]] = defaultdict(list)
    scales: set[str] = set()
    strictest: dict[int, int] = defaultdict(int)
    for path, _s, answers, campaign_id, anonymous, min_group, raw in _rows(user, start, end, extra):
        spec = _spec(campaign_id, raw, memo)
        conf = spec.analysis.get("csi")
        if not conf:
            continue
        weights = conf["weights"]
        items = [spec.by_code[c] for c in weights]
        lo, hi = items[0].scale
        num = den = 0.0
        for it in items:
            v = answers.get(it.code)
            if isinstance(v, int | float):
                num += float(weights[it.code]) * v
                den += float(weights[it.code])
        if den == 0:
            continue
        scales.add(f"{lo}-{hi}")
        score = (num / den - lo) / (hi - lo) * 100
        for pk, p in paths.items():
            if path.startswith(p):
                scores[pk].append(score)
                if anonymous:
                    strictest[pk] = max(strictest[pk], int(min_group))
    out = {}
    for pk in wanted:
        est = ss.mean_ci(np.array(scores[pk]))
        suppressed = 0 < est.n < strictest.get(pk, 0)
        out[pk] = Fact(
            subject="unit",
            subject_id=pk,
            start=start,
            end=end,
            measure="csi",
            value=NAN if suppressed else est.value,
            n=0 if suppressed else est.n,
            low=NAN if suppressed else est.low,
            high=NAN if suppressed else est.high,
            definition="0-100 from scale " + "/".join(sorted(scales)) if scales else "0-100",
            suppressed=suppressed,
        )
    return out


def opinion_card_facts(
    *, user: AnyUser | None, staff_ids: Iterable[int], start: dt.date, end: dt.date
) -> dict[int, Fact]:
    wanted = list(dict.fromkeys(staff_ids))
    extra = Q(subject_staff_id__in=wanted, campaign__instrument__kind=InstrumentKind.OPINION_CARD)
    memo: dict[int, Spec] = {}
    cards: dict[int, list[list[float]]] = defaultdict(list)
    codes_seen: list[str] = []
    for _p, staff_id, answers, campaign_id, _a, _m, raw in _rows(user, start, end, extra):
        spec = _spec(campaign_id, raw, memo)
        codes = [i.code for i in spec.items if i.scored]
        if not codes_seen:
            codes_seen = codes
        cards[staff_id].append(
            [
                float(answers[c]) if isinstance(answers.get(c), int | float) else NAN
                for c in codes_seen
            ]
        )
    out = {}
    for pk in wanted:
        m = np.array(cards[pk], dtype=np.float64).reshape(-1, max(len(codes_seen), 1))
        per_card = (
            np.array([np.nanmean(r) for r in m if not np.isnan(r).all()])
            if m.size
            else np.array([])
        )
        est = ss.mean_ci(per_card)
        detail: dict[str, Any] = {}
        if m.size:
            detail["items"] = {
                c: e.value for c, e in zip(codes_seen, ss.column_means_ci(m), strict=True)
            }
            rate = ss.proportion(
                int((per_card >= 3).sum()), int(per_card.size), ss.RateDefinition.SATISFIED_SHARE
            )
            detail["satisfied_rate"] = rate.value
            detail["satisfied_rate_interval"] = [rate.low, rate.high]
        out[pk] = Fact(
            subject="staff",
            subject_id=pk,
            start=start,
            end=end,
            measure="opinion_card",
            value=est.value,
            n=est.n,
            low=est.low,
            high=est.high,
            definition="mean card score on 1-4; satisfied = card mean ≥ 3",
            detail=detail,
        )
    return out


def fact_is_reportable(fact: Fact, min_n: int = ss.MIN_GROUP) -> bool:
    """Whether a fact rests on enough answers to be ranked (smaller ones are shown, labelled)."""
    return not fact.suppressed and fact.n >= min_n and not math.isnan(fact.value)
