"""Excel exports: the summary table in the layout of seed 004's 《客户服务质量测评汇总表》 (one
row per person with each component's points, the total, grade and rank, then each unit's
mean — "综合平均成绩将作为各部(所)的整体服务成绩" — and the signature lines), and one person's
scorecard with every line's rule, inputs and points."""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from sqms.evaluations.labels import (
    component_labels,
    grade_labels,
    kind_label,
    note_label,
    outcome_label,
)
from sqms.evaluations.models import Run, Scorecard, UnitResult

THIN = Side(style="thin", color="999999")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
HEAD = PatternFill("solid", fgColor="DDE7F3")


def _num(v: Any) -> float:
    return float(Decimal(str(v)))


def _save(wb: Workbook) -> bytes:
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def summary_workbook(run: Run, cards: list[Scorecard], units: list[UnitResult]) -> bytes:
    spec = run.version.spec
    comps = spec.get("components", [])
    labels = component_labels(spec)
    grades = grade_labels(spec)
    wb = Workbook()
    ws = wb.active
    ws.title = "汇总表"
    headers = ["序号", "部(所)", "姓名", "岗位"]
    headers += [f"{labels[c['code']]}（{c['max']}分）" for c in comps]
    headers += ["测评总得分", "等级", "名次", "奖惩（元）", "服务明星", "备注"]
    width = len(headers)
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    ws.cell(1, 1, "客户服务质量测评汇总表").font = Font(bold=True, size=16)
    ws.cell(1, 1).alignment = Alignment(horizontal="center")
    ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=width)
    ws.cell(
        2,
        1,
        f"测评方案：{run.version.scheme.name_zh}（v{run.version.number}）　"
        f"测评期间：{run.period_label}（{run.period_start:%Y-%m-%d}至{run.period_end:%Y-%m-%d}）　"
        f"范围：{run.scope.name}　满分：{spec.get('scale', 100)}",
    )
    for col, text in enumerate(headers, start=1):
        cell = ws.cell(3, col, text)
        cell.font = Font(bold=True)
        cell.fill = HEAD
        cell.border = BOX
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    row = 4
    for i, c in enumerate(cards, start=1):
        points = {p["code"]: p["points"] for p in c.components}
        notes = []
        if c.vetoed:
            notes.append("一票否决")
        outcome = c.outcomes.get("ladder", {}).get("outcome")
        if outcome:
            notes.append(outcome_label(outcome))
        if "threshold" in c.outcomes:
            notes.append(
                f"未达{c.outcomes['threshold']['below']}分，考核扣{c.outcomes['threshold']['deduction']}分"
            )
        values: list[Any] = [
            i,
            c.unit.name,
            c.staff.name if c.staff else c.unit.name,
            str(c.staff.position) if c.staff else "",
        ]
        values += [_num(points.get(comp["code"], 0)) for comp in comps]
        values += [
            _num(c.total),
            grades.get(c.grade, c.grade),
            c.rank,
            _num(c.amount),
            "★" if c.star else "",
            "；".join(notes),
        ]
        for col, v in enumerate(values, start=1):
            ws.cell(row, col, v).border = BOX
        row += 1
    row += 1
    ws.cell(row, 1, "部(所)综合平均成绩").font = Font(bold=True)
    row += 1
    for col, text in enumerate(
        ["名次", "部(所)", "人数", "平均分", "等级", "负责人", "负责人考核扣分"], 1
    ):
        cell = ws.cell(row, col, text)
        cell.font = Font(bold=True)
        cell.fill = HEAD
        cell.border = BOX
    row += 1
    for u in units:
        values = [
            u.rank,
            u.unit.name + ("（上级汇总）" if u.level == 2 else ""),
            u.n,
            _num(u.mean),
            grades.get(u.grade, u.grade),
            u.head.name if u.head else "",
            _num(u.head_deduction) if u.head_deduction else "",
        ]
        for col, v in enumerate(values, start=1):
            ws.cell(row, col, v).border = BOX
        row += 1
    row += 1
    ws.cell(row, 1, "测评人：")
    ws.cell(row, 4, "审核人：")
    ws.cell(row, 7, "日期：")
    for col in range(1, width + 1):
        ws.column_dimensions[get_column_letter(col)].width = 12
    ws.column_dimensions["B"].width = 18
    ws.column_dimensions[get_column_letter(width)].width = 30
    ws.freeze_panes = "E4"
    return _save(wb)


def scorecard_workbook(card: Scorecard) -> bytes:
    run = card.run
    spec = run.version.spec
    labels = component_labels(spec)
    wb = Workbook()
    ws = wb.active
    ws.title = "测评明细"
    who = card.staff.name if card.staff else card.unit.name
    ws.cell(1, 1, f"客户服务质量测评明细表 — {who}").font = Font(bold=True, size=14)
    ws.cell(
        2,
        1,
        f"{run.version.scheme.name_zh} v{run.version.number}　{run.period_label}　{card.unit.name}",
    )
    ws.cell(
        3,
        1,
        f"总得分 {card.total}　等级 {grade_labels(spec).get(card.grade, card.grade)}"
        f"　名次 {card.rank}",
    )
    headers = ["考评项目", "规则", "来源", "数值", "样本数", "其他输入", "扣分", "说明", "依据"]
    for col, text in enumerate(headers, start=1):
        cell = ws.cell(5, col, text)
        cell.font = Font(bold=True)
        cell.fill = HEAD
        cell.border = BOX
    row = 6
    for ln in card.lines.all():
        extra = "；".join(f"{k}={v}" for k, v in ln.inputs.items() if k not in ("value", "n"))
        values = [
            labels.get(ln.component, ln.component),
            kind_label(ln.kind),
            ln.source,
            ln.inputs.get("value") or "",
            ln.inputs.get("n", ""),
            extra,
            _num(ln.points),
            note_label(ln.note),
            "、".join(str(r[2] or r[1]) for r in ln.refs),
        ]
        for col, v in enumerate(values, start=1):
            ws.cell(row, col, v).border = BOX
        row += 1
    for col, w in zip("ABCDEFGHI", (14, 14, 26, 10, 8, 36, 8, 30, 30), strict=True):
        ws.column_dimensions[col].width = w
    return _save(wb)
