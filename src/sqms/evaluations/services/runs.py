"""Evaluation runs: starting one (the version freezes), computing it in the background (set-based:
one or two queries per fact source, the engine per subject in memory, bulk writes), and deriving
what follows from the scores — ranks, unit and division means, threshold consequences, the
reward/penalty ladder and the service stars."""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.utils.translation import gettext as _

from sqms.common import clock
from sqms.common.audit import audit_record
from sqms.common.errors import DomainError, FieldError, PermissionDenied
from sqms.core.periods import PeriodKind, period_parse
from sqms.core.scoring import (
    Fact,
    FactKind,
    RoundingSpec,
    RoundMode,
    RuleKind,
    Scheme,
    ScorecardResult,
    StarCandidate,
    grade_for,
    ladder_outcome,
    mean,
    score_scorecard,
    service_stars,
    threshold_shortfall,
)
from sqms.evaluations.models import (
    Run,
    RunStatus,
    SchemeVersion,
    Scorecard,
    ScorecardLine,
    UnitResult,
)
from sqms.evaluations.services.schemes import scheme_build
from sqms.evaluations.sources import Context, gather_facts, known_sources
from sqms.org.models import OrgUnit, Staff, User
from sqms.org.roles import Cap
from sqms.org.selectors import access_for

log = logging.getLogger(__name__)
Progress = Callable[[int, int], None]
BATCH = 2000


# --- facts to and from JSON ------------------------------------------------------------------


def fact_to_json(f: Fact) -> dict[str, Any]:
    out: dict[str, Any] = {"value": None if f.value is None else str(f.value), "n": f.n}
    if f.low is not None and f.high is not None:
        out["low"], out["high"] = str(f.low), str(f.high)
    if f.reference is not None:
        out["reference"] = str(f.reference)
    if f.refs:
        out["refs"] = [list(r) for r in f.refs]
    if f.note:
        out["note"] = f.note
    return out


def _dec(v: Any) -> Decimal | None:
    return None if v is None else Decimal(str(v))


def fact_from_json(d: dict[str, Any]) -> Fact:
    return Fact(
        value=_dec(d.get("value")),
        n=int(d.get("n", 0)),
        low=_dec(d.get("low")),
        high=_dec(d.get("high")),
        reference=_dec(d.get("reference")),
        refs=tuple((str(r[0]), int(r[1]), str(r[2])) for r in d.get("refs", [])),
        note=str(d.get("note", "")),
    )


def facts_from_json(raw: dict[str, Any]) -> dict[str, Fact]:
    return {k: fact_from_json(v) for k, v in raw.items()}


def overrides_from_json(raw: dict[str, Any]) -> dict[tuple[str, int], Decimal]:
    out = {}
    for key, value in raw.items():
        comp, idx = key.rsplit(":", 1)
        out[(comp, int(idx))] = Decimal(str(value))
    return out


def scheme_sources(scheme: Scheme) -> list[str]:
    names = [r.source for c in scheme.components for r in c.rules]
    names += [r.reference_source for c in scheme.components for r in c.rules if r.reference_source]
    if scheme.ladder is not None:
        names.append(scheme.ladder.source)
    if scheme.stars is not None:
        names += [scheme.stars.votes_source, scheme.stars.eligible_source]
    return list(dict.fromkeys(names))


# --- starting --------------------------------------------------------------------------------


@transaction.atomic
def run_start(
    *,
    actor: User | None,
    version: SchemeVersion,
    period: str,
    scope: OrgUnit,
    whatif: bool = False,
    enqueue: bool = True,
) -> Run:
    """Queue an evaluation of `version` over `period` ("2026-11", "2026-Q3", "2026-H2") for
    `scope`'s subtree. A real run needs the active version and freezes it; a what-if run tries
    any version out against the published run of the same scheme, period and scope."""
    if actor is not None and not access_for(actor).covers(Cap.EVALUATION_MANAGE, scope.path):
        raise PermissionDenied()
    errors: list[FieldError] = []
    try:
        p = period_parse(period)
    except ValueError as exc:
        raise DomainError(
            code="invalid_period",
            message=str(exc),
            errors=[FieldError(loc=["period"], msg=str(exc))],
        ) from None
    spec = version.spec
    wanted = PeriodKind(spec.get("period", "month"))
    if p.kind is not wanted:
        errors.append(
            FieldError(
                loc=["period"],
                msg=_("This scheme evaluates per %(kind)s; %(period)s is not one.")
                % {"kind": wanted.value, "period": p.label},
            )
        )
    if not whatif and version.state != SchemeVersion.State.ACTIVE:
        errors.append(
            FieldError(
                loc=["version"], msg=_("Only the active version runs; try a draft as a what-if.")
            )
        )
    version = SchemeVersion.objects.select_for_update().get(pk=version.pk)
    compare_to = None
    if whatif:
        compare_to = (
            Run.objects.filter(
                version__scheme=version.scheme,
                period_label=p.label,
                scope=scope,
                status=RunStatus.PUBLISHED,
                whatif=False,
            )
            .order_by("-published_at")
            .first()
        )
    elif (
        Run.objects.filter(
            version__scheme=version.scheme, period_label=p.label, scope=scope, whatif=False
        )
        .exclude(status=RunStatus.FAILED)
        .exists()
    ):
        errors.append(
            FieldError(
                loc=["period"],
                msg=_("%(period)s is already evaluated for this scope.") % {"period": p.label},
            )
        )
    if errors:
        raise DomainError(code="invalid_run", message=errors[0].msg, errors=errors)
    if not whatif and not version.frozen:
        version.frozen = True
        version.save(update_fields=["frozen", "updated_at"])
    run = Run.objects.create(
        version=version,
        scope=scope,
        period_label=p.label,
        period_start=p.start,
        period_end=p.end,
        whatif=whatif,
        compare_to=compare_to,
        audience=spec.get("audience", "all"),
        created_by=actor,
    )
    audit_record(
        actor=actor,
        action="evaluations.run_start",
        target=run,
        after={"version": version.pk, "period": p.label, "scope": scope.pk, "whatif": whatif},
    )
    if enqueue:
        from sqms.evaluations.tasks import evaluate_run

        transaction.on_commit(lambda: evaluate_run(run.pk))
    return run


# --- computing -------------------------------------------------------------------------------


@dataclass
class Subject:
    id: int
    unit_id: int
    staff_id: int | None


def _subjects(run: Run, spec: dict[str, Any]) -> list[Subject]:
    if spec.get("subject", "staff") == "staff":
        qs = Staff.objects.filter(
            unit__path__startswith=run.scope.path, start_date__lte=run.period_end
        ).exclude(end_date__lt=run.period_start)
        if spec.get("positions"):
            qs = qs.filter(position__code__in=spec["positions"])
        return [
            Subject(pk, unit, pk) for pk, unit in qs.order_by("pk").values_list("pk", "unit_id")
        ]
    units = OrgUnit.objects.filter(path__startswith=run.scope.path, is_active=True)
    if spec.get("unit_kinds"):
        units = units.filter(kind__in=spec["unit_kinds"])
    return [Subject(pk, pk, None) for pk in units.order_by("pk").values_list("pk", flat=True)]


def _bare_unit(source: str) -> str:
    head, _sep, rest = source.partition(":")
    return head + ("@unit" if rest.endswith("@unit") else "")


def _defaults(scheme: Scheme) -> dict[str, Fact]:
    """Counts nobody recorded are zero; everything else missing is "no data"."""
    kinds = known_sources()
    return {
        s: Fact(Decimal(0))
        for s in scheme_sources(scheme)
        if kinds.get(s, kinds.get(s.split(":", 1)[0], kinds.get(_bare_unit(s)))) is FactKind.COUNT
    }


def _lines(card: Scorecard, result: ScorecardResult) -> list[ScorecardLine]:
    return [
        ScorecardLine(
            scorecard=card,
            order=i,
            component=ln.component,
            rule_index=ln.rule_index,
            kind=ln.kind,
            source=ln.source,
            inputs=dict(ln.inputs),
            points=ln.points,
            note=ln.note[:300],
            refs=[list(r) for r in ln.refs],
        )
        for i, ln in enumerate(result.lines)
    ]


LINE_COLUMNS = (
    "scorecard_id",
    "order",
    "component",
    "rule_index",
    "kind",
    "source",
    "inputs",
    "points",
    "note",
    "refs",
)


def _write_rows(table: str, columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
    """Append rows to one of our tables: COPY on PostgreSQL, parameterised multi-row INSERTs
    on SQLite. The values are the engine's own and always passed as parameters."""
    if not rows:
        return
    ops = connection.ops
    cols = ", ".join(ops.quote_name(c) for c in columns)
    name = ops.quote_name(table)
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            with cur.cursor.copy(f"COPY {name} ({cols}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        per = max(1, 30000 // len(columns))  # SQLite: at most 32,766 parameters
        for start in range(0, len(rows), per):
            chunk = rows[start : start + per]
            marks = ", ".join(["(" + ", ".join(["%s"] * len(columns)) + ")"] * len(chunk))
            cur.execute(
                f"INSERT INTO {name} ({cols}) VALUES {marks}",  # noqa: S608 - names are ours
                [v for row in chunk for v in row],
            )


def _dumps(value: Any) -> str:
    return json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False)


CARD_COLUMNS = (
    "id",
    "run_id",
    "staff_id",
    "unit_id",
    "total",
    "raw_total",
    "grade",
    "vetoed",
    "rank",
    "unit_rank",
    "star",
    "amount",
    "components",
    "facts",
    "overrides",
    "outcomes",
)


def _insert_cards(cards: list[Scorecard]) -> None:
    """The run's new scorecards. On PostgreSQL their ids are drawn from the table's sequence
    first and the rows COPYed (the ORM's INSERT of 50,000 JSON-laden rows, quoted on the
    client, took most of a run); elsewhere `bulk_create`, which returns the ids."""
    if connection.vendor != "postgresql":
        Scorecard.objects.bulk_create(cards, batch_size=BATCH)
        return
    table = Scorecard._meta.db_table
    with connection.cursor() as cur:
        cur.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [table, len(cards)],
        )
        ids = [r[0] for r in cur.fetchall()]
    rows = []
    for card, pk in zip(cards, ids, strict=True):
        card.pk = pk
        rows.append(
            (
                pk,
                card.run_id,
                card.staff_id,
                card.unit_id,
                card.total,
                card.raw_total,
                card.grade,
                card.vetoed,
                card.rank,
                card.unit_rank,
                card.star,
                card.amount,
                _dumps(card.components),
                _dumps(card.facts),
                _dumps(card.overrides),
                _dumps(card.outcomes),
            )
        )
    _write_rows(table, CARD_COLUMNS, rows)


def _insert_lines(cards: list[Scorecard], results: list[ScorecardResult]) -> None:
    """Every line of a run's new scorecards, written as rows (see `_write_rows`): at 50,000
    staff the ORM's per-field preparation of 100,000 line instances took most of the run."""
    ops = connection.ops
    rows: list[tuple[Any, ...]] = []
    for card, result in zip(cards, results, strict=True):
        for i, ln in enumerate(result.lines):
            rows.append(
                (
                    card.pk,
                    i,
                    ln.component,
                    ln.rule_index,
                    ln.kind,
                    ln.source,
                    _dumps(dict(ln.inputs)),
                    ops.adapt_decimalfield_value(ln.points, 10, 4),
                    ln.note[:300],
                    _dumps([list(r) for r in ln.refs]),
                )
            )
        if len(rows) >= 20000:
            _write_rows(ScorecardLine._meta.db_table, LINE_COLUMNS, rows)
            rows = []
    _write_rows(ScorecardLine._meta.db_table, LINE_COLUMNS, rows)


def _apply(card: Scorecard, result: ScorecardResult) -> None:
    card.total, card.raw_total, card.grade, card.vetoed = (
        result.total,
        result.raw_total,
        result.grade,
        result.vetoed,
    )
    card.components = [
        {"code": c.code, "max": str(c.max), "points": str(c.points), "vetoed": c.vetoed}
        for c in result.components
    ]


def run_compute(run_id: int, progress: Progress | None = None) -> Run:
    """Compute a queued run. Progress is written to the run as it goes (outside any transaction,
    so the progress page sees it); the results are written in one transaction at the end, or
    none on failure (the run then says what went wrong)."""
    run = Run.objects.select_related("version", "scope").get(pk=run_id)
    if run.status not in (RunStatus.QUEUED, RunStatus.FAILED):
        return run
    Run.objects.filter(pk=run.pk).update(status=RunStatus.RUNNING, error="", done=0)
    try:
        spec = run.version.spec
        scheme = scheme_build(spec)
        subjects = _subjects(run, spec)
        total = len(subjects)
        Run.objects.filter(pk=run.pk).update(total=total)
        ctx = Context(
            run.period_start,
            run.period_end,
            spec.get("subject", "staff"),
            tuple(s.id for s in subjects),
            run.scope,
            {s.id: s.unit_id for s in subjects if s.staff_id is not None},
        )
        by_source = gather_facts(ctx, scheme_sources(scheme))
        defaults = _defaults(scheme)
        cards: list[Scorecard] = []
        results: list[ScorecardResult] = []
        step = max(total // 20, 200)
        for i, subj in enumerate(subjects, start=1):
            facts = dict(defaults)
            for source, per_subject in by_source.items():
                f = per_subject.get(subj.id)
                if f is not None:
                    facts[source] = f
            result = score_scorecard(scheme, facts)
            card = Scorecard(
                run=run,
                staff_id=subj.staff_id,
                unit_id=subj.unit_id,
                facts={k: fact_to_json(v) for k, v in facts.items()},
            )
            _apply(card, result)
            cards.append(card)
            results.append(result)
            if i % step == 0:
                Run.objects.filter(pk=run.pk).update(done=i)
                if progress:
                    progress(i, total)
        with transaction.atomic():
            run_derive(run, scheme=scheme, cards=cards, save=False)
            _insert_cards(cards)
            _insert_lines(cards, results)
            run.status = RunStatus.DRAFT
            run.done = run.total = total
            run.save(update_fields=["status", "done", "total", "updated_at"])
            audit_record(
                actor=None,
                action="evaluations.run_computed",
                target=run,
                after={"scorecards": total},
            )
        if progress:
            progress(total, total)
    except Exception as exc:
        log.exception("evaluation run %s failed", run.pk)
        Run.objects.filter(pk=run.pk).update(status=RunStatus.FAILED, error=str(exc)[:2000])
        raise
    run.refresh_from_db()
    return run


# --- what follows from the scores -----------------------------------------------------------


def _rank(values: list[tuple[int, Decimal]]) -> dict[int, int]:
    """Competition ranking (1, 1, 3): equal scores share a rank."""
    ordered = sorted(values, key=lambda kv: (-kv[1], kv[0]))
    ranks: dict[int, int] = {}
    prev: Decimal | None = None
    rank = 0
    for pos, (key, value) in enumerate(ordered, start=1):
        if value != prev:
            rank, prev = pos, value
        ranks[key] = rank
    return ranks


def _heads(unit_ids: Iterable[int], on: dt.date) -> dict[int, int]:
    """The head of each unit: its staff member in a management position (the first by
    employee number when several)."""
    heads: dict[int, int] = {}
    qs = (
        Staff.objects.filter(
            unit_id__in=list(unit_ids), position__is_manager=True, start_date__lte=on
        )
        .exclude(end_date__lt=on)
        .order_by("unit_id", "employee_no")
        .values_list("unit_id", "pk")
    )
    for unit_id, pk in qs:
        heads.setdefault(unit_id, pk)
    return heads


def _struck(card: Scorecard, scheme: Scheme, source: str) -> int:
    """Events removed by upheld appeals on per-event lines of `source` (for the ladder)."""
    struck = 0
    for key, points in card.overrides.items():
        comp_code, idx = key.rsplit(":", 1)
        comp = next((c for c in scheme.components if c.code == comp_code), None)
        if comp is None:
            continue
        rule = comp.rules[int(idx)]
        if rule.kind is RuleKind.PER_EVENT and rule.source == source and rule.points > 0:
            count = int(Decimal(card.facts.get(source, {}).get("value") or 0))
            charged = max(count - rule.free, 0)
            kept = int(Decimal(str(points)) / rule.points)
            struck = max(struck, charged - kept)
    return struck


def _key(c: Scorecard) -> int:
    """A card's subject, unique within its run (staff ids positive, unit ids negative)."""
    return c.staff_id if c.staff_id is not None else -c.unit_id


def run_derive(run: Run, *, scheme: Scheme, cards: list[Scorecard], save: bool = True) -> None:
    """Ranks, unit and division means with the threshold's consequences, ladder outcomes and
    service stars, from the scorecards' totals and facts. Called in the caller's transaction;
    `save=False` for cards not written yet (the run's first computation writes them after)."""
    spec = run.version.spec
    ranks = _rank([(_key(c), c.total) for c in cards])
    by_unit: dict[int, list[Scorecard]] = defaultdict(list)
    for c in cards:
        by_unit[c.unit_id].append(c)
    threshold = spec.get("threshold") or {}
    below = Decimal(str(threshold["below"])) if threshold.get("below") is not None else None
    ceil = RoundingSpec(Decimal(1), RoundMode(threshold.get("rounding", "ceil")))
    for c in cards:
        c.rank = ranks[_key(c)]
        c.outcomes = {}
        c.amount = Decimal(0)
        c.star = False
        if scheme.ladder is not None and c.staff_id is not None:
            count = int(Decimal(c.facts.get(scheme.ladder.source, {}).get("value") or 0))
            count = max(count - _struck(c, scheme, scheme.ladder.source), 0)
            step = ladder_outcome(scheme.ladder, count)
            c.outcomes["ladder"] = {
                "count": count,
                "amount": str(step.amount),
                "outcome": step.outcome,
            }
            c.amount += step.amount
        if below is not None and c.staff_id is not None and c.total < below:
            per = Decimal(str(threshold.get("staff_points_per_point", 0)))
            if per > 0:
                c.outcomes["threshold"] = {
                    "below": str(below),
                    "deduction": str(threshold_shortfall(c.total, below, per, ceil)),
                }
    for members in by_unit.values():
        unit_ranks = _rank([(_key(c), c.total) for c in members])
        for c in members:
            c.unit_rank = unit_ranks[_key(c)]
    if scheme.stars is not None:
        rule = scheme.stars
        for members in by_unit.values():
            cands = []
            for c in members:
                votes = c.facts.get(rule.votes_source, {}).get("value")
                events = c.facts.get(rule.eligible_source, {}).get("value")
                cands.append(
                    StarCandidate(
                        _key(c),
                        int(Decimal(votes)) if votes is not None else 0,
                        int(Decimal(events or 0)) <= rule.eligible_max,
                        c.total,
                    )
                )
            res = service_stars(cands, rule.share_num, rule.share_den, rule.tie)
            chosen = set(res.stars)
            for c, cand in zip(members, cands, strict=True):
                c.outcomes["star"] = {
                    "votes": cand.votes,
                    "eligible": cand.eligible,
                    "quota": res.quota,
                    "pool": res.pool_size,
                    "chosen": _key(c) in chosen,
                    "note": res.note if _key(c) in res.tied_at_cutoff else "",
                }
                if _key(c) in chosen:
                    c.star = True
                    c.amount += rule.amount
    if save:
        Scorecard.objects.bulk_update(
            cards, ["rank", "unit_rank", "outcomes", "amount", "star"], batch_size=500
        )
    # Unit means (level 1) and the means of their parents (level 2: a division head's score).
    UnitResult.objects.filter(run=run).delete()
    level1 = {
        unit: mean([c.total for c in members], 2) or Decimal(0) for unit, members in by_unit.items()
    }
    parents = dict(OrgUnit.objects.filter(pk__in=list(level1)).values_list("pk", "parent_id"))
    by_parent: dict[int, list[Decimal]] = defaultdict(list)
    for unit, value in level1.items():
        if parents.get(unit) is not None and unit != run.scope_id:
            by_parent[parents[unit]].append(value)
    heads = _heads([*level1, *by_parent], run.period_end)
    rows: list[UnitResult] = []
    head_per = Decimal(str(threshold.get("head_points_per_point", 0)))
    for level, means, counts in (
        (1, level1, {u: len(m) for u, m in by_unit.items()}),
        (
            2,
            {p: mean(v, 2) or Decimal(0) for p, v in by_parent.items()},
            {p: len(v) for p, v in by_parent.items()},
        ),
    ):
        unit_ranks = _rank(list(means.items()))
        for unit, value in means.items():
            deduction = (
                threshold_shortfall(value, below, head_per, ceil)
                if below is not None and head_per > 0
                else Decimal(0)
            )
            rows.append(
                UnitResult(
                    run=run,
                    unit_id=unit,
                    level=level,
                    mean=value,
                    n=counts[unit],
                    grade=grade_for(value, scheme.bands, scheme.band_decimals),
                    rank=unit_ranks[unit],
                    head_id=heads.get(unit),
                    head_deduction=deduction,
                )
            )
    UnitResult.objects.bulk_create(rows, batch_size=BATCH)


def scorecard_rescore(card: Scorecard, scheme: Scheme) -> None:
    """Score the card again from its own facts and overrides, updating its lines in place."""
    result = score_scorecard(
        scheme, facts_from_json(card.facts), overrides_from_json(card.overrides)
    )
    _apply(card, result)
    card.save(update_fields=["total", "raw_total", "grade", "vetoed", "components"])
    existing = {ln.order: ln for ln in card.lines.all()}
    for new in _lines(card, result):
        old = existing[new.order]
        old.inputs, old.points, old.note, old.refs = new.inputs, new.points, new.note, new.refs
        old.save(update_fields=["inputs", "points", "note", "refs"])


def run_recompute_check(run: Run) -> list[tuple[int, Decimal, Decimal]]:
    """Score every scorecard of the run again from its version, facts and overrides; the
    (scorecard, stored, recomputed) triples that differ — none, for a sound result, however
    the scheme was edited since (the run keeps its own frozen version)."""
    scheme = scheme_build(run.version.spec)
    diffs = []
    for card in run.scorecards.all().only("pk", "total", "facts", "overrides").iterator():
        again = score_scorecard(
            scheme, facts_from_json(card.facts), overrides_from_json(card.overrides)
        )
        if again.total != card.total:
            diffs.append((card.pk, card.total, again.total))
    return diffs


DERIVED = ("rank", "unit_rank", "outcomes", "amount", "star")


def run_rederive(run: Run) -> None:
    """Derive ranks, means, ladder and stars again after a scorecard changed (an appeal, a
    manual entry); only the cards whose derived values moved are written."""
    scheme = scheme_build(run.version.spec)
    cards = list(run.scorecards.all())
    before = {c.pk: tuple(getattr(c, f) for f in DERIVED) for c in cards}
    run_derive(run, scheme=scheme, cards=cards, save=False)
    changed = [c for c in cards if tuple(getattr(c, f) for f in DERIVED) != before[c.pk]]
    Scorecard.objects.bulk_update(changed, list(DERIVED), batch_size=500)


def local_now() -> dt.datetime:
    return clock.now()
