"""Checklist templates as data: validating a template given as a nested mapping (a pack, the
API) or as flat rows (an Excel sheet, the editor page), turning a stored version into the pure
scorecard of `sqms.core.scorecard`, and the Excel layout for import and export.

Every problem is reported with its place — `["sections", 2, "items", 0, "points"]` for nested
input, `[row, column]` for rows — and a template with any problem is refused whole."""

from __future__ import annotations

import io
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _

from sqms.common.errors import DomainError, FieldError
from sqms.core import scorecard
from sqms.inspections.models import (
    FloorMode,
    Kind,
    NaPolicy,
    Rounding,
    Subject,
    TemplateVersion,
    Veto,
)

CODE_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,59}$")
PART_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$")
TRUE = {"1", "true", "yes", "y", "x", "是", "√", "✓"}
FALSE = {"", "0", "false", "no", "n", "否"}

# The Excel layout: one row per item; the section columns repeat on each row of the section.
COLUMNS = [
    ("section_code", "Section code"),
    ("section_title", "Section"),
    ("section_floor", "Floor (item/section)"),
    ("section_points", "Section points"),
    ("code", "Item code"),
    ("text", "Item"),
    ("points", "Points"),
    ("deduction", "Deduction per nonconformity"),
    ("evidence_required", "Photo required"),
    ("na_allowed", "N/A allowed"),
    ("veto", "Veto (section/inspection)"),
    ("guidance", "Guidance"),
]
SETTINGS_KEYS = (
    "code",
    "name_zh",
    "name_en",
    "subject",
    "kind",
    "description",
    "na_policy",
    "decimals",
    "rounding",
    "max_points",
)


def _decimal(raw: Any) -> Decimal | None:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    try:
        value = Decimal(str(raw).strip())
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def _bool(raw: Any, loc: list[str | int], errors: list[FieldError]) -> bool:
    if isinstance(raw, bool):
        return raw
    text = str(raw if raw is not None else "").strip().lower()
    if text in TRUE:
        return True
    if text in FALSE:
        return False
    errors.append(FieldError(loc=loc, msg=_("Write yes or no.")))
    return False


def _choice(
    raw: Any, choices: list[str], default: str, loc: list[str | int], errors: list[FieldError]
) -> str:
    value = str(raw if raw is not None else "").strip().lower() or default
    if value not in choices:
        errors.append(
            FieldError(
                loc=loc,
                msg=_("One of: %(choices)s.") % {"choices": ", ".join(c or "—" for c in choices)},
            )
        )
        return default
    return value


def spec_validate(data: Any, loc: list[str | int] | None = None) -> dict[str, Any]:
    """A template given as a mapping, checked and normalised (decimals as Decimal). Raises
    DomainError listing every problem with its place."""
    base: list[str | int] = list(loc or [])
    errors: list[FieldError] = []
    if not isinstance(data, dict):
        raise DomainError(
            code="invalid_template",
            message=_("A checklist must be a mapping."),
            errors=[FieldError(loc=base or ["template"], msg=_("Expected a mapping."))],
        )
    code = str(data.get("code") or "").strip()
    if not CODE_RE.match(code):
        errors.append(
            FieldError(
                loc=[*base, "code"],
                msg=_("A checklist code is lower-case letters, digits, '-' and '_'."),
            )
        )
    name_zh = str(data.get("name_zh") or data.get("zh") or "").strip()
    name_en = str(data.get("name_en") or data.get("en") or "").strip()
    if not name_zh and not name_en:
        errors.append(FieldError(loc=[*base, "name_zh"], msg=_("A name is required.")))
    spec: dict[str, Any] = {
        "code": code,
        "name_zh": name_zh[:120],
        "name_en": name_en[:120],
        "description": str(data.get("description") or "").strip(),
        "subject": _choice(
            data.get("subject"), Subject.values, Subject.UNIT, [*base, "subject"], errors
        ),
        "kind": _choice(data.get("kind"), Kind.values, Kind.QC_ROUND, [*base, "kind"], errors),
        "na_policy": _choice(
            data.get("na_policy"), NaPolicy.values, NaPolicy.REDUCE, [*base, "na_policy"], errors
        ),
        "rounding": _choice(
            data.get("rounding"), Rounding.values, Rounding.HALF_UP, [*base, "rounding"], errors
        ),
    }
    decimals = _decimal(data.get("decimals", 1))
    if decimals is None or decimals != decimals.to_integral_value() or not 0 <= decimals <= 4:
        errors.append(FieldError(loc=[*base, "decimals"], msg=_("Between 0 and 4.")))
        decimals = Decimal(1)
    spec["decimals"] = int(decimals)
    sections_raw = data.get("sections")
    if not isinstance(sections_raw, list) or not sections_raw:
        errors.append(
            FieldError(loc=[*base, "sections"], msg=_("A checklist needs at least one section."))
        )
        sections_raw = []
    sections: list[dict[str, Any]] = []
    seen_sections: set[str] = set()
    seen_items: set[str] = set()
    for si, s in enumerate(sections_raw):
        sloc: list[str | int] = [*base, "sections", si]
        if not isinstance(s, dict):
            errors.append(FieldError(loc=sloc, msg=_("Expected a mapping.")))
            continue
        scode = str(s.get("code") or "").strip()
        if not PART_RE.match(scode):
            errors.append(
                FieldError(
                    loc=[*sloc, "code"],
                    msg=_("A code is letters, digits, '.', '-' and '_' (at most 40)."),
                )
            )
        elif scode in seen_sections:
            errors.append(
                FieldError(
                    loc=[*sloc, "code"], msg=_("Section %(code)s appears twice.") % {"code": scode}
                )
            )
        seen_sections.add(scode)
        title = str(s.get("title") or "").strip()
        if not title:
            errors.append(FieldError(loc=[*sloc, "title"], msg=_("A title is required.")))
        floor = _choice(s.get("floor"), FloorMode.values, FloorMode.ITEM, [*sloc, "floor"], errors)
        points = None
        if s.get("points") not in (None, ""):
            points = _decimal(s.get("points"))
            if points is None or points < 0:
                errors.append(
                    FieldError(loc=[*sloc, "points"], msg=_("Points are a number, at least 0."))
                )
                points = None
        items_raw = s.get("items")
        if not isinstance(items_raw, list) or not items_raw:
            errors.append(
                FieldError(loc=[*sloc, "items"], msg=_("A section needs at least one item."))
            )
            items_raw = []
        items: list[dict[str, Any]] = []
        for ii, it in enumerate(items_raw):
            iloc: list[str | int] = [*sloc, "items", ii]
            if not isinstance(it, dict):
                errors.append(FieldError(loc=iloc, msg=_("Expected a mapping.")))
                continue
            icode = str(it.get("code") or "").strip()
            if not PART_RE.match(icode):
                errors.append(
                    FieldError(
                        loc=[*iloc, "code"],
                        msg=_("A code is letters, digits, '.', '-' and '_' (at most 40)."),
                    )
                )
            elif icode in seen_items:
                errors.append(
                    FieldError(
                        loc=[*iloc, "code"],
                        msg=_("Item %(code)s appears twice.") % {"code": icode},
                    )
                )
            seen_items.add(icode)
            text = str(it.get("text") or "").strip()
            if not text:
                errors.append(
                    FieldError(loc=[*iloc, "text"], msg=_("The item's text is required."))
                )
            ipoints = _decimal(it.get("points"))
            if ipoints is None or ipoints < 0 or ipoints > 1000:
                errors.append(
                    FieldError(loc=[*iloc, "points"], msg=_("Points are a number from 0 to 1000."))
                )
                ipoints = Decimal(0)
            deduction = _decimal(it.get("deduction", 1))
            if deduction is None or deduction <= 0 or deduction > 1000:
                errors.append(
                    FieldError(
                        loc=[*iloc, "deduction"],
                        msg=_("A deduction is a number above 0."),
                    )
                )
                deduction = Decimal(1)
            items.append(
                {
                    "code": icode,
                    "text": text[:500],
                    "guidance": str(it.get("guidance") or "").strip(),
                    "points": ipoints,
                    "deduction": deduction,
                    "evidence_required": _bool(
                        it.get("evidence_required", False), [*iloc, "evidence_required"], errors
                    ),
                    "na_allowed": _bool(it.get("na_allowed", False), [*iloc, "na_allowed"], errors),
                    "veto": _choice(it.get("veto"), Veto.values, "", [*iloc, "veto"], errors),
                }
            )
        sections.append(
            {"code": scode, "title": title[:200], "floor": floor, "points": points, "items": items}
        )
    spec["sections"] = sections
    if not errors:
        total = as_checklist(spec).max_points
        spec["max_points"] = total
        stated = data.get("max_points")
        if stated not in (None, ""):
            expected = _decimal(stated)
            if expected is None or expected != total:
                errors.append(
                    FieldError(
                        loc=[*base, "max_points"],
                        msg=_("The sections add up to %(total)s points, not %(stated)s.")
                        % {"total": total, "stated": stated},
                    )
                )
    if errors:
        raise DomainError(
            code="invalid_template",
            message=_("The checklist has errors; nothing was saved."),
            errors=errors,
        )
    return spec


def as_checklist(spec: dict[str, Any]) -> scorecard.Checklist:
    return scorecard.checklist_from_rows(
        spec["sections"],
        na_policy=spec.get("na_policy", NaPolicy.REDUCE),
        decimals=spec.get("decimals", 1),
        rounding=spec.get("rounding", Rounding.HALF_UP),
    )


def version_spec(version: TemplateVersion) -> dict[str, Any]:
    """A stored version as the same mapping `spec_validate` returns (two queries)."""
    template = version.template
    sections: dict[int, dict[str, Any]] = {}
    for s in version.sections.order_by("order"):
        sections[s.pk] = {
            "code": s.code,
            "title": s.title,
            "floor": s.floor,
            "points": s.points,
            "items": [],
        }
    for it in version.items.order_by("order"):
        sections[it.section_id]["items"].append(
            {
                "code": it.code,
                "text": it.text,
                "guidance": it.guidance,
                "points": it.points,
                "deduction": it.deduction,
                "evidence_required": it.evidence_required,
                "na_allowed": it.na_allowed,
                "veto": it.veto,
            }
        )
    return {
        "code": template.code,
        "name_zh": template.name_zh,
        "name_en": template.name_en,
        "description": template.description,
        "subject": template.subject,
        "kind": template.kind,
        "na_policy": version.na_policy,
        "decimals": version.decimals,
        "rounding": version.rounding,
        "max_points": version.max_points,
        "sections": list(sections.values()),
    }


def content_key(spec: dict[str, Any]) -> Any:
    """What makes two versions the same checklist (names and description aside)."""

    def num(v: Decimal | None) -> str | None:
        return None if v is None else str(Decimal(v).normalize())

    return (
        spec["na_policy"],
        int(spec["decimals"]),
        spec["rounding"],
        tuple(
            (
                s["code"],
                s["title"],
                s["floor"],
                num(s["points"]),
                tuple(
                    (
                        i["code"],
                        i["text"],
                        i["guidance"],
                        num(i["points"]),
                        num(i["deduction"]),
                        bool(i["evidence_required"]),
                        bool(i["na_allowed"]),
                        i["veto"] or "",
                    )
                    for i in s["items"]
                ),
            )
            for s in spec["sections"]
        ),
    )


# --- rows (Excel and the editor page) ----------------------------------------------------------


def rows_to_spec(
    rows: list[dict[str, Any]], settings: dict[str, Any], *, first_row: int = 2
) -> dict[str, Any]:
    """Flat item rows (one per item, section columns repeated) plus the settings, validated.
    Errors name the spreadsheet row (`first_row` is the number of the first data row) and
    column."""
    columns = [key for key, _label in COLUMNS]
    sections: list[dict[str, Any]] = []
    by_code: dict[str, dict[str, Any]] = {}
    origin: list[tuple[int, int]] = []  # (section index, item index) → row number
    row_of: dict[tuple[int, int], int] = {}
    section_row: dict[int, int] = {}
    for n, row in enumerate(rows):
        number = first_row + n
        if not any(str(row.get(k) or "").strip() for k in columns):
            continue
        scode = str(row.get("section_code") or "").strip()
        section = by_code.get(scode)
        if section is None:
            section = {
                "code": scode,
                "title": row.get("section_title"),
                "floor": row.get("section_floor"),
                "points": row.get("section_points"),
                "items": [],
            }
            by_code[scode] = section
            sections.append(section)
            section_row[len(sections) - 1] = number
        si = sections.index(section)
        section["items"].append({k: row.get(k) for k in columns[4:]})
        row_of[(si, len(section["items"]) - 1)] = number
        origin.append((si, len(section["items"]) - 1))
    data = {**settings, "sections": sections}
    try:
        return spec_validate(data)
    except DomainError as exc:
        column_of = {
            "code": "section_code",
            "title": "section_title",
            "floor": "section_floor",
            "points": "section_points",
        }
        placed: list[FieldError] = []
        for err in exc.errors:
            loc = err.loc
            if len(loc) >= 5 and loc[0] == "sections" and loc[2] == "items":
                number = row_of.get((int(loc[1]), int(loc[3])), first_row)
                placed.append(FieldError(loc=[number, str(loc[4])], msg=err.msg))
            elif len(loc) >= 3 and loc[0] == "sections" and loc[2] != "items":
                number = section_row.get(int(loc[1]), first_row)
                placed.append(
                    FieldError(loc=[number, column_of.get(str(loc[2]), str(loc[2]))], msg=err.msg)
                )
            elif len(loc) >= 2 and loc[0] == "sections":
                number = section_row.get(int(loc[1]), first_row)
                placed.append(FieldError(loc=[number, "code"], msg=err.msg))
            else:
                placed.append(err)
        raise DomainError(code=exc.code, message=exc.message, errors=placed) from None


def spec_to_rows(spec: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for s in spec["sections"]:
        for it in s["items"]:
            rows.append(
                {
                    "section_code": s["code"],
                    "section_title": s["title"],
                    "section_floor": s["floor"],
                    "section_points": s["points"],
                    **{k: it[k] for k in ("code", "text", "points", "deduction", "guidance")},
                    "evidence_required": "yes" if it["evidence_required"] else "no",
                    "na_allowed": "yes" if it["na_allowed"] else "no",
                    "veto": it["veto"],
                }
            )
    return rows


def workbook_export(spec: dict[str, Any]) -> bytes:
    """The template as an Excel workbook: sheet "checklist" (one row per item) and sheet
    "settings" (key, value)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = "checklist"
    ws.append([key for key, _label in COLUMNS])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in spec_to_rows(spec):
        ws.append(
            [
                float(v) if isinstance(v, Decimal) else v
                for v in (row.get(key) for key, _label in COLUMNS)
            ]
        )
    for col, width in zip(
        "ABCDEFGHIJKL", (10, 18, 10, 10, 10, 50, 8, 10, 8, 8, 12, 40), strict=True
    ):
        ws.column_dimensions[col].width = width
    st = wb.create_sheet("settings")
    st.append(["key", "value"])
    for key in SETTINGS_KEYS:
        value = spec.get(key, "")
        st.append([key, float(value) if isinstance(value, Decimal) else value])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def workbook_import(content: bytes, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Read a checklist workbook (the layout `workbook_export` writes). Every bad row is
    reported with its row number and column; nothing is taken unless all rows are valid."""
    from openpyxl import load_workbook

    try:
        wb = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a file that is not a workbook
        raise DomainError(
            code="invalid_file",
            message=_("The file is not an Excel workbook (.xlsx)."),
            errors=[FieldError(loc=["file"], msg=_("The file is not an Excel workbook (.xlsx)."))],
        ) from None
    if "checklist" not in wb.sheetnames:
        raise DomainError(
            code="invalid_file",
            message=_("The workbook has no sheet named 'checklist'."),
            errors=[
                FieldError(loc=["file"], msg=_("The workbook has no sheet named 'checklist'."))
            ],
        )
    ws = wb["checklist"]
    raw = list(ws.iter_rows(values_only=True))
    if not raw:
        raise DomainError(
            code="invalid_file",
            message=_("The checklist sheet is empty."),
            errors=[FieldError(loc=[1, "section_code"], msg=_("The checklist sheet is empty."))],
        )
    header = [str(h or "").strip() for h in raw[0]]
    known = [key for key, _label in COLUMNS]
    missing = [
        k for k in ("section_code", "section_title", "code", "text", "points") if k not in header
    ]
    if missing:
        raise DomainError(
            code="invalid_file",
            message=_("Row 1 lacks the columns %(cols)s.") % {"cols": ", ".join(missing)},
            errors=[FieldError(loc=[1, m], msg=_("Missing column.")) for m in missing],
        )
    rows = [
        {header[i]: value for i, value in enumerate(r) if i < len(header) and header[i] in known}
        for r in raw[1:]
    ]
    settings: dict[str, Any] = {}
    if "settings" in wb.sheetnames:
        for r in list(wb["settings"].iter_rows(values_only=True))[1:]:
            if r and r[0]:
                settings[str(r[0]).strip()] = r[1] if len(r) > 1 else None
    settings.update({k: v for k, v in (overrides or {}).items() if v not in (None, "")})
    return rows_to_spec(rows, settings)
