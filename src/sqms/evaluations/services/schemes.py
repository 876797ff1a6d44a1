"""Writes to evaluation schemes: saving a version (validated whole, every mistake named by its
place) and activating it. A version a run used is frozen: saving over it makes a new version."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from sqms.common.audit import audit_record
from sqms.common.errors import DomainError, FieldError, PermissionDenied
from sqms.core.periods import PeriodKind
from sqms.core.scoring import Problem, Scheme, SchemeError, scheme_parse
from sqms.evaluations.models import Audience, SchemeVersion
from sqms.evaluations.models import Scheme as SchemeRow
from sqms.evaluations.sources import REGISTRY, known_sources, source_entry
from sqms.org.models import Position, UnitKind, User
from sqms.org.roles import Cap
from sqms.org.selectors import access_for

SUBJECTS = ("staff", "unit")


def scheme_problems(spec: Any, *, positions_known: set[str] | None = None) -> list[Problem]:
    """Every mistake in a scheme's data: the engine's checks (components and scale, bands,
    unreachable rules, unknown sources) and SQMS's own (subjects, positions, unit kinds,
    periods, sources that do not exist for the subject)."""
    problems: list[Problem] = []
    try:
        scheme_parse(spec, known_sources())
    except SchemeError as exc:
        problems += exc.problems
    if not isinstance(spec, dict):
        return problems
    subject = spec.get("subject", "staff")
    if subject not in SUBJECTS:
        problems.append(Problem(("subject",), "subject is staff or unit"))
    period = spec.get("period", "month")
    if period not in PeriodKind._value2member_map_:
        problems.append(
            Problem(("period",), f"period is one of {', '.join(p.value for p in PeriodKind)}")
        )
    positions = spec.get("positions", [])
    if not isinstance(positions, list):
        problems.append(Problem(("positions",), "positions is a list of position codes"))
    else:
        known = set(Position.objects.filter(code__in=positions).values_list("code", flat=True))
        known |= positions_known or set()
        for i, code in enumerate(positions):
            if code not in known:
                problems.append(Problem(("positions", i), f"no position has the code {code!r}"))
    kinds = spec.get("unit_kinds", [])
    if not isinstance(kinds, list):
        problems.append(Problem(("unit_kinds",), "unit_kinds is a list"))
    else:
        for i, kind in enumerate(kinds):
            if kind not in UnitKind.values:
                problems.append(
                    Problem(("unit_kinds", i), f"unit kind is one of {', '.join(UnitKind.values)}")
                )
    if subject in SUBJECTS:
        for i, comp in enumerate(spec.get("components") or []):
            if not isinstance(comp, dict):
                continue
            for j, rule in enumerate(comp.get("rules") or []):
                if not isinstance(rule, dict) or not rule.get("source"):
                    continue
                entry = source_entry(str(rule["source"]))
                if entry is not None and subject not in entry.subjects:
                    problems.append(
                        Problem(
                            ("components", i, "rules", j, "source"),
                            f"{rule['source']} has no figures per {subject}",
                        )
                    )
    if spec.get("stars") is not None and subject != "staff":
        problems.append(Problem(("stars",), "service stars are chosen among staff"))
    threshold = spec.get("threshold")
    if threshold is not None and (
        not isinstance(threshold, dict) or not isinstance(threshold.get("below"), int | float)
    ):
        problems.append(Problem(("threshold",), "threshold is a mapping with below: a number"))
    if spec.get("audience", "all") not in Audience.values:
        problems.append(Problem(("audience",), "audience is managers or all"))
    due = spec.get("report_due_day")
    if due is not None and (
        not isinstance(due, int) or isinstance(due, bool) or not 1 <= due <= 28
    ):
        problems.append(
            Problem(("report_due_day",), "report_due_day is the day of the next month, 1-28")
        )
    days = spec.get("appeal_days")
    if days is not None and (
        not isinstance(days, int) or isinstance(days, bool) or not 0 < days <= 60
    ):
        problems.append(Problem(("appeal_days",), "appeal_days is a whole number of days, 1-60"))
    return problems


def scheme_build(spec: dict[str, Any]) -> Scheme:
    """The engine's scheme for a stored spec (validated when saved)."""
    return scheme_parse(spec, None)


def _raise(problems: list[Problem]) -> None:
    raise DomainError(
        code="invalid_scheme",
        message=_("The scheme has %(n)d problem(s).") % {"n": len(problems)},
        errors=[FieldError(loc=list(p.loc), msg=p.msg) for p in problems],
    )


@transaction.atomic
def scheme_save(
    *,
    actor: User | None,
    code: str,
    name_zh: str,
    name_en: str,
    spec: dict[str, Any],
    pack: str = "",
    note: str = "",
    activate: bool = False,
) -> SchemeVersion:
    """Save a scheme's rules: over its latest version while that is an unused draft, otherwise
    as a new version. Refused whole, with every problem, when the spec is wrong."""
    if actor is not None and not access_for(actor).any_cap(Cap.EVALUATION_MANAGE):
        raise PermissionDenied()
    problems = scheme_problems(spec)
    if not name_zh.strip() or not name_en.strip():
        problems.insert(0, Problem(("name",), "a scheme needs a Chinese and an English name"))
    if problems:
        _raise(problems)
    scheme, created = SchemeRow.objects.get_or_create(
        code=code, defaults={"name_zh": name_zh, "name_en": name_en, "pack": pack}
    )
    if not created and (scheme.name_zh, scheme.name_en) != (name_zh, name_en):
        scheme.name_zh, scheme.name_en = name_zh, name_en
        scheme.save(update_fields=["name_zh", "name_en"])
    latest = (
        SchemeVersion.objects.select_for_update().filter(scheme=scheme).order_by("-number").first()
    )
    if latest is not None and latest.spec == spec and (latest.frozen or latest.state != "draft"):
        version = latest
    elif latest is not None and not latest.frozen and latest.state == SchemeVersion.State.DRAFT:
        before = latest.spec
        latest.spec, latest.note, latest.created_by = spec, note, actor
        latest.save(update_fields=["spec", "note", "created_by", "updated_at"])
        version = latest
        audit_record(
            actor=actor,
            action="evaluations.scheme_update",
            target=version,
            before={"spec": before},
            after={"spec": spec},
        )
    else:
        number = (scheme.versions.aggregate(m=Max("number"))["m"] or 0) + 1
        version = SchemeVersion.objects.create(
            scheme=scheme, number=number, spec=spec, note=note, created_by=actor
        )
        audit_record(
            actor=actor, action="evaluations.scheme_version", target=version, after={"spec": spec}
        )
    if activate and version.state != SchemeVersion.State.ACTIVE:
        version = scheme_version_activate(actor=actor, version=version)
    return version


@transaction.atomic
def scheme_version_activate(*, actor: User | None, version: SchemeVersion) -> SchemeVersion:
    """Make this version the one evaluations run on; the previous active one retires."""
    if actor is not None and not access_for(actor).any_cap(Cap.EVALUATION_MANAGE):
        raise PermissionDenied()
    version = SchemeVersion.objects.select_for_update().get(pk=version.pk)
    problems = scheme_problems(version.spec)
    if problems:
        _raise(problems)
    SchemeVersion.objects.filter(scheme=version.scheme, state=SchemeVersion.State.ACTIVE).exclude(
        pk=version.pk
    ).update(state=SchemeVersion.State.RETIRED)
    version.state = SchemeVersion.State.ACTIVE
    version.save(update_fields=["state", "updated_at"])
    audit_record(actor=actor, action="evaluations.scheme_activate", target=version)
    return version


__all__ = ["REGISTRY", "scheme_build", "scheme_problems", "scheme_save", "scheme_version_activate"]
