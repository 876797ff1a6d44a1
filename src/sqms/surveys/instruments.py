"""Instruments as data: the definition format, its validation, and the validation of answers.

An instrument is a mapping (YAML in the shipped files and packs, JSON through the API):

    code: servqual-22            # slug; with `version` it names one fixed questionnaire
    version: 1
    kind: servqual               # servqual | csi | employee | internal | opinion_card | custom
    anonymous: false             # true: every campaign of it is anonymous
    subject: none                # none | staff (a card rates a technician) | unit (a department)
    title: {zh: ..., en: ...}
    description: {zh: ..., en: ...}
    dimensions: [{code: reliability, zh: 可靠性, en: Reliability}, ...]
    questions:
      - code: overall            # the answer key; matrix and allocation rows have their own
        type: likert             # likert | single | multiple | nps | text | matrix | allocation
        points: 7                # likert and matrix: 4, 5, 7 or 10 points, valued 1..points
        levels: [{zh, en}, ...]  # optional labels of every point, lowest first
        low: {zh, en}            # optional labels of the two ends
        high: {zh, en}
        dimension: reliability   # optional; matrix rows and allocation rows carry their own
        required: true           # default true (text: false)
        zh: 问题  en: Question
        options: [{code, zh, en}]            # single and multiple
        rows: [{code, zh, en, dimension, item}]  # matrix (statements) and allocation
        total: 100                            # allocation: the points to share out
    analysis:                    # which items the reports read; every key optional
      overall: overall           # overall satisfaction: the key drivers' outcome
      satisfaction: {item: overall, satisfied_min: 6, dissatisfied_max: 2}
      servqual: {expectation: E, perception: P, importance: W, reverse_items: [10, 11]}
      csi: {weights: {q1: 0.3, q2: 0.7}}     # omitted: equal weights over the scored items
      nps: recommend

An item is one answer: a likert, single, multiple, nps or text question, or one row of a matrix
or an allocation. Answers are stored as {item code: value}."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from sqms.common.errors import DomainError, FieldError
from sqms.surveys.models import InstrumentKind

CODE_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,39}$")
SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
TYPES = ("likert", "single", "multiple", "nps", "text", "matrix", "allocation")
POINTS = (4, 5, 7, 10)
SUBJECTS = ("none", "staff", "unit")
MAX_TEXT = 2000


@dataclass(frozen=True)
class Item:
    """One answer slot of an instrument."""

    code: str
    question: str  # the question it belongs to (itself, or its matrix/allocation)
    type: str  # likert | single | multiple | nps | text | allocation
    required: bool
    dimension: str = ""
    points: int = 0  # likert: 1..points; nps: 0..10
    options: tuple[str, ...] = ()
    item_no: int | None = None  # SERVQUAL's statement number

    @property
    def scored(self) -> bool:
        return self.type in ("likert", "nps")

    @property
    def scale(self) -> tuple[int, int]:
        return (0, 10) if self.type == "nps" else (1, self.points)


@dataclass
class Spec:
    """A validated instrument definition with its items in order."""

    data: dict[str, Any]
    items: list[Item] = field(default_factory=list)

    @property
    def by_code(self) -> dict[str, Item]:
        return {i.code: i for i in self.items}

    @property
    def dimensions(self) -> list[dict[str, str]]:
        return list(self.data.get("dimensions", []))

    @property
    def analysis(self) -> dict[str, Any]:
        return dict(self.data.get("analysis") or {})

    def question(self, code: str) -> dict[str, Any]:
        return next(q for q in self.data["questions"] if q["code"] == code)

    def rows(self, question: str) -> list[Item]:
        return [i for i in self.items if i.question == question]


def text(value: Any, lang: str) -> str:
    """The zh or en text of a bilingual mapping (the other one if it is empty)."""
    if isinstance(value, Mapping):
        other = "en" if lang == "zh" else "zh"
        return str(value.get(lang) or value.get(other) or "")
    return str(value or "")


class _Checker:
    def __init__(self) -> None:
        self.errors: list[FieldError] = []

    def err(self, loc: list[str | int], msg: str) -> None:
        self.errors.append(FieldError(loc=loc, msg=msg))

    def bilingual(self, holder: Any, loc: list[str | int]) -> None:
        """Both languages present: the `zh` and `en` keys of a mapping."""
        if not isinstance(holder, Mapping):
            self.err(loc, _("Expected a mapping with zh and en."))
            return
        for lang in ("zh", "en"):
            if not str(holder.get(lang) or "").strip():
                self.err([*loc, lang], _("The text in both languages is required."))


def spec_parse(raw: Any) -> Spec:
    """Validate a definition; DomainError naming every mistake by its place otherwise."""
    c = _Checker()
    if not isinstance(raw, Mapping):
        raise DomainError(
            code="invalid_instrument",
            message=_("An instrument is a mapping."),
            errors=[FieldError(loc=[], msg=_("An instrument is a mapping."))],
        )
    data = dict(raw)
    if not SLUG_RE.match(str(data.get("code", ""))):
        c.err(["code"], _("A code is lower-case letters, digits and '-'."))
    version = data.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        c.err(["version"], _("A version is a whole number from 1."))
    if data.get("kind") not in InstrumentKind.values:
        c.err(
            ["kind"],
            _("Kind must be one of %(kinds)s.") % {"kinds": ", ".join(InstrumentKind.values)},
        )
    if not isinstance(data.get("anonymous", False), bool):
        c.err(["anonymous"], _("Expected true or false."))
    if data.get("subject", "none") not in SUBJECTS:
        c.err(["subject"], _("Subject must be one of %(s)s.") % {"s": ", ".join(SUBJECTS)})
    c.bilingual(data.get("title"), ["title"])
    dims: set[str] = set()
    for i, d in enumerate(data.get("dimensions") or []):
        if not isinstance(d, Mapping) or not CODE_RE.match(str(d.get("code", ""))):
            c.err(
                ["dimensions", i, "code"],
                _("A code starts with a letter: letters, digits, _ and -."),
            )
            continue
        if d["code"] in dims:
            c.err(["dimensions", i, "code"], _("%(code)s appears twice.") % {"code": d["code"]})
        dims.add(str(d["code"]))
        c.bilingual(d, ["dimensions", i])
    questions = data.get("questions")
    items: list[Item] = []
    if not isinstance(questions, list) or not questions:
        c.err(["questions"], _("An instrument needs at least one question."))
        questions = []
    seen: set[str] = set()

    def claim(code: Any, loc: list[str | int]) -> bool:
        if not CODE_RE.match(str(code or "")):
            c.err(loc, _("A code starts with a letter: letters, digits, _ and -."))
            return False
        if code in seen:
            c.err(loc, _("%(code)s appears twice.") % {"code": code})
            return False
        seen.add(str(code))
        return True

    def dimension_of(node: Mapping[str, Any], loc: list[str | int]) -> str:
        dim = str(node.get("dimension") or "")
        if dim and dim not in dims:
            c.err(
                [*loc, "dimension"], _("No dimension %(code)s in this instrument.") % {"code": dim}
            )
        return dim

    for qi, q in enumerate(questions):
        loc: list[str | int] = ["questions", qi]
        if not isinstance(q, Mapping):
            c.err(loc, _("Expected a mapping."))
            continue
        qtype = q.get("type")
        if qtype not in TYPES:
            c.err([*loc, "type"], _("Type must be one of %(t)s.") % {"t": ", ".join(TYPES)})
            continue
        if not claim(q.get("code"), [*loc, "code"]):
            continue
        code = str(q["code"])
        if (qtype != "matrix" and qtype != "allocation") or q.get("zh") or q.get("en"):
            c.bilingual(q, loc)
        required = q.get("required", qtype != "text")
        if not isinstance(required, bool):
            c.err([*loc, "required"], _("Expected true or false."))
            required = True
        points = 0
        if qtype in ("likert", "matrix"):
            points = q.get("points", 5)
            if points not in POINTS:
                c.err(
                    [*loc, "points"],
                    _("Points must be one of %(p)s.") % {"p": ", ".join(map(str, POINTS))},
                )
                points = 5
            levels = q.get("levels")
            if levels is not None:
                if not isinstance(levels, list) or len(levels) != points:
                    c.err([*loc, "levels"], _("Give one label per point, lowest first."))
                else:
                    for li, lv in enumerate(levels):
                        c.bilingual(lv, [*loc, "levels", li])
        if qtype in ("likert", "nps", "text"):
            items.append(
                Item(
                    code,
                    code,
                    str(qtype),
                    required,
                    dimension_of(q, loc),
                    points if qtype == "likert" else 10,
                )
            )
        elif qtype in ("single", "multiple"):
            options = q.get("options")
            codes: list[str] = []
            if not isinstance(options, list) or len(options) < 2:
                c.err([*loc, "options"], _("A choice needs at least two options."))
            else:
                for oi, o in enumerate(options):
                    if not isinstance(o, Mapping) or not CODE_RE.match(str(o.get("code", ""))):
                        c.err(
                            [*loc, "options", oi, "code"],
                            _("A code starts with a letter: letters, digits, _ and -."),
                        )
                        continue
                    if o["code"] in codes:
                        c.err(
                            [*loc, "options", oi, "code"],
                            _("%(code)s appears twice.") % {"code": o["code"]},
                        )
                    codes.append(str(o["code"]))
                    c.bilingual(o, [*loc, "options", oi])
            items.append(
                Item(code, code, str(qtype), required, dimension_of(q, loc), 0, tuple(codes))
            )
        else:  # matrix, allocation
            rows = q.get("rows")
            if not isinstance(rows, list) or not rows:
                c.err([*loc, "rows"], _("A matrix or allocation needs rows."))
                continue
            if qtype == "allocation":
                total = q.get("total", 100)
                if not isinstance(total, int) or total <= 0:
                    c.err([*loc, "total"], _("The total is a positive whole number."))
            for ri, r in enumerate(rows):
                rloc: list[str | int] = [*loc, "rows", ri]
                if not isinstance(r, Mapping):
                    c.err(rloc, _("Expected a mapping."))
                    continue
                if not claim(r.get("code"), [*rloc, "code"]):
                    continue
                c.bilingual(r, rloc)
                item_no = r.get("item")
                if item_no is not None and (not isinstance(item_no, int) or item_no < 1):
                    c.err([*rloc, "item"], _("A statement number is a whole number from 1."))
                    item_no = None
                items.append(
                    Item(
                        str(r["code"]),
                        code,
                        "likert" if qtype == "matrix" else "allocation",
                        required,
                        dimension_of(r, rloc),
                        points if qtype == "matrix" else int(q.get("total", 100) or 100),
                        (),
                        item_no,
                    )
                )
    spec = Spec(data, items)
    _check_analysis(spec, c)
    if c.errors:
        raise DomainError(
            code="invalid_instrument",
            message=_("The instrument has %(n)d mistake(s).") % {"n": len(c.errors)},
            errors=c.errors,
        )
    return spec


def _check_analysis(spec: Spec, c: _Checker) -> None:
    analysis = spec.data.get("analysis") or {}
    if not isinstance(analysis, Mapping):
        c.err(["analysis"], _("Expected a mapping."))
        return
    items = spec.by_code
    question_codes = {
        q.get("code") for q in spec.data.get("questions") or [] if isinstance(q, Mapping)
    }

    def scored_item(code: Any, loc: list[str | int]) -> None:
        item = items.get(str(code))
        if item is None or not item.scored:
            c.err(loc, _("%(code)s is not a rated item of this instrument.") % {"code": code})

    if "overall" in analysis:
        scored_item(analysis["overall"], ["analysis", "overall"])
    if "nps" in analysis:
        item = items.get(str(analysis["nps"]))
        if item is None or item.type != "nps":
            c.err(
                ["analysis", "nps"],
                _("%(code)s is not a 0-10 question.") % {"code": analysis["nps"]},
            )
    sat = analysis.get("satisfaction")
    if sat is not None:
        if not isinstance(sat, Mapping):
            c.err(["analysis", "satisfaction"], _("Expected a mapping."))
        else:
            scored_item(sat.get("item"), ["analysis", "satisfaction", "item"])
            for key in ("satisfied_min", "dissatisfied_max"):
                if not isinstance(sat.get(key), int | float):
                    c.err(["analysis", "satisfaction", key], _("A number is required."))
    sq = analysis.get("servqual")
    if sq is not None:
        if not isinstance(sq, Mapping):
            c.err(["analysis", "servqual"], _("Expected a mapping."))
            return
        for key in ("expectation", "perception"):
            if (
                sq.get(key) not in question_codes
                or spec.question(str(sq[key])).get("type") != "matrix"
            ):
                c.err(
                    ["analysis", "servqual", key], _("Name a matrix question of this instrument.")
                )
        if c.errors:
            return
        e_rows, p_rows = spec.rows(str(sq["expectation"])), spec.rows(str(sq["perception"]))
        if [r.item_no for r in e_rows] != [r.item_no for r in p_rows] or [
            r.dimension for r in e_rows
        ] != [r.dimension for r in p_rows]:
            c.err(
                ["analysis", "servqual"],
                _(
                    "Expectation and perception rows must pair up: the same statement "
                    "numbers and dimensions in the same order."
                ),
            )
        if any(not r.dimension for r in e_rows):
            c.err(["analysis", "servqual"], _("Every statement needs a dimension."))
        imp = sq.get("importance")
        if imp is not None:
            if imp not in question_codes or spec.question(str(imp)).get("type") != "allocation":
                c.err(
                    ["analysis", "servqual", "importance"],
                    _("Name an allocation question of this instrument."),
                )
            else:
                dims_rows = [r.dimension for r in spec.rows(str(imp))]
                if sorted(dims_rows) != sorted({r.dimension for r in e_rows}):
                    c.err(
                        ["analysis", "servqual", "importance"],
                        _("The allocation needs one row per dimension."),
                    )
        reverse = sq.get("reverse_items", [])
        numbers = {r.item_no for r in e_rows}
        if not isinstance(reverse, list) or any(n not in numbers for n in reverse):
            c.err(
                ["analysis", "servqual", "reverse_items"],
                _("List statement numbers of this instrument."),
            )
    csi_conf = analysis.get("csi")
    if csi_conf is not None:
        weights = csi_conf.get("weights") if isinstance(csi_conf, Mapping) else None
        if not isinstance(weights, Mapping) or not weights:
            c.err(["analysis", "csi", "weights"], _("Give a weight per item."))
        else:
            for code, w in weights.items():
                scored_item(code, ["analysis", "csi", "weights", str(code)])
                if (
                    not isinstance(w, int | float)
                    or w < 0
                    or (isinstance(w, float) and math.isnan(w))
                ):
                    c.err(["analysis", "csi", "weights", str(code)], _("A weight is a number ≥ 0."))


# --- Answers --------------------------------------------------------------------------------


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str) and value.strip():
        try:
            return float(value.strip())
        except ValueError:
            return None
    return None


def answers_clean(spec: Spec, raw: Mapping[str, Any]) -> dict[str, Any]:
    """The answers, each checked against its item (range, option, length), every required item
    present; DomainError naming each bad item otherwise. Empty answers are left out."""
    errors: list[FieldError] = []
    items = spec.by_code
    clean: dict[str, Any] = {}
    for key in raw:
        if key not in items:
            errors.append(
                FieldError(loc=["answers", str(key)], msg=_("Not a question of this survey."))
            )
    for item in spec.items:
        value = raw.get(item.code)
        empty = value is None or value == "" or value == []
        loc: list[str | int] = ["answers", item.code]
        if empty:
            if item.required:
                errors.append(FieldError(loc=loc, msg=_("This question needs an answer.")))
            continue
        if item.type in ("likert", "nps", "allocation"):
            number = _number(value)
            low, high = item.scale if item.type != "allocation" else (0, item.points)
            if number is None or number != int(number) or not low <= number <= high:
                errors.append(
                    FieldError(
                        loc=loc,
                        msg=_("Choose a whole number from %(low)d to %(high)d.")
                        % {"low": low, "high": high},
                    )
                )
                continue
            clean[item.code] = int(number)
        elif item.type == "single":
            if not isinstance(value, str) or value not in item.options:
                errors.append(FieldError(loc=loc, msg=_("Choose one of the options.")))
                continue
            clean[item.code] = value
        elif item.type == "multiple":
            values = [value] if isinstance(value, str) else value
            if not isinstance(values, list) or any(v not in item.options for v in values):
                errors.append(FieldError(loc=loc, msg=_("Choose among the options.")))
                continue
            clean[item.code] = sorted(set(values), key=item.options.index)
        else:
            if not isinstance(value, str):
                errors.append(FieldError(loc=loc, msg=_("Expected text.")))
                continue
            if len(value) > MAX_TEXT:
                errors.append(
                    FieldError(loc=loc, msg=_("At most %(n)d characters.") % {"n": MAX_TEXT})
                )
                continue
            clean[item.code] = value.strip()
    for q in spec.data["questions"]:
        if q["type"] != "allocation":
            continue
        rows = spec.rows(q["code"])
        given = [clean[r.code] for r in rows if r.code in clean]
        if given and (len(given) != len(rows) or sum(given) != int(q.get("total", 100))):
            errors.append(
                FieldError(
                    loc=["answers", q["code"]],
                    msg=_("Share out exactly %(total)d points.")
                    % {"total": int(q.get("total", 100))},
                )
            )
    if errors:
        raise DomainError(
            code="invalid_answers",
            message=_("%(n)d answer(s) need attention.") % {"n": len(errors)},
            errors=errors,
        )
    return clean
