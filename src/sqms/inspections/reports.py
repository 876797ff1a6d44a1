"""Reports over inspections, read through the scoped selectors: the daily QC report 《质检日报》
of a site (what was checked, the findings with photos, the scores) as data, Excel and PDF; and
the analysis dashboard's figures (score distribution, monthly trend per unit, most frequent
failed items, inspector coverage against the sampling plans)."""

from __future__ import annotations

import datetime as dt
import io
from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.db.models import Avg, Count, F, Prefetch, Q, Sum
from django.db.models.functions import Floor, TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _

from sqms.inspections.models import Answer, Photo, SampleDraw, SampleEntry, Status
from sqms.inspections.selectors import draw_progress, inspection_queryset_for_user
from sqms.org.models import OrgUnit
from sqms.org.selectors import AnyUser


def _day_bounds(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    lo = timezone.make_aware(dt.datetime.combine(start, dt.time.min))
    hi = timezone.make_aware(dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min))
    return lo, hi


def _visible(user: AnyUser, unit: OrgUnit | None, start: dt.date, end: dt.date) -> Any:
    lo, hi = _day_bounds(start, end)
    qs = inspection_queryset_for_user(user).filter(
        status=Status.SUBMITTED, visited_at__gte=lo, visited_at__lt=hi
    )
    if unit is not None:
        qs = qs.filter(unit__path__startswith=unit.path)
    return qs


def daily_report(user: AnyUser, unit: OrgUnit | None, day: dt.date) -> dict[str, Any]:
    """What was checked on `day` under `unit`, the findings with their photos, and the scores
    (four queries)."""
    inspections = list(
        _visible(user, unit, day, day)
        .select_related("unit", "staff", "inspector", "version__template")
        .order_by("visited_at", "pk")
    )
    findings = list(
        Answer.objects.filter(inspection__in=[i.pk for i in inspections], deducted__gt=0)
        .select_related("item", "item__section")
        .prefetch_related(Prefetch("photos", queryset=Photo.objects.order_by("pk")))
        .order_by("inspection_id", "order")
    )
    by_inspection: dict[int, list[Answer]] = defaultdict(list)
    for f in findings:
        by_inspection[f.inspection_id].append(f)
    rows = [{"inspection": i, "findings": by_inspection.get(i.pk, [])} for i in inspections]
    percents = [i.percent for i in inspections if i.percent is not None]
    return {
        "unit": unit,
        "day": day,
        "rows": rows,
        "count": len(inspections),
        "findings": len(findings),
        "lost": sum((f.deducted for f in findings), Decimal(0)),
        "mean_percent": (sum(percents, Decimal(0)) / len(percents)).quantize(Decimal("0.1"))
        if percents
        else None,
        "units": len({i.unit_id for i in inspections}),
        "vetoed": sum(1 for i in inspections if i.vetoed),
    }


def _title(report: dict[str, Any]) -> str:
    where = report["unit"].name if report["unit"] is not None else _("All units")
    return _("Daily QC report · %(unit)s · %(day)s") % {
        "unit": where,
        "day": report["day"].isoformat(),
    }


def daily_report_xlsx(report: dict[str, Any]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    wb = Workbook()
    ws = wb.active
    ws.title = _("Inspections")[:31]
    ws.append([_title(report)])
    ws["A1"].font = Font(bold=True, size=14)
    ws.append(
        [
            _("Inspections"),
            report["count"],
            _("Findings"),
            report["findings"],
            _("Mean score (%)"),
            float(report["mean_percent"]) if report["mean_percent"] is not None else None,
        ]
    )
    ws.append([])
    header = [
        _("Time"),
        _("Unit"),
        _("Checklist"),
        _("Kind"),
        _("Area"),
        _("Staff member"),
        _("Inspector"),
        _("Score"),
        _("Maximum"),
        _("Score (%)"),
        _("Findings"),
    ]
    ws.append(header)
    for cell in ws[4]:
        cell.font = Font(bold=True)
    for r in report["rows"]:
        i = r["inspection"]
        ws.append(
            [
                timezone.localtime(i.visited_at).strftime("%H:%M"),
                i.unit.name,
                i.version.template.name,
                i.get_kind_display(),
                i.area,
                i.staff.name if i.staff else "",
                i.inspector.get_username(),
                float(i.score or 0),
                float(i.max_points or 0),
                float(i.percent or 0),
                len(r["findings"]),
            ]
        )
    for col, width in zip("ABCDEFGHIJK", (8, 18, 22, 14, 12, 12, 12, 8, 8, 9, 8), strict=True):
        ws.column_dimensions[col].width = width
    fs = wb.create_sheet(_("Findings")[:31])
    fs.append(
        [
            _("Time"),
            _("Unit"),
            _("Item"),
            _("Nonconformities"),
            _("Deducted"),
            _("Note"),
            _("Photos"),
        ]
    )
    for cell in fs[1]:
        cell.font = Font(bold=True)
    for r in report["rows"]:
        i = r["inspection"]
        for f in r["findings"]:
            fs.append(
                [
                    timezone.localtime(i.visited_at).strftime("%H:%M"),
                    i.unit.name,
                    f"{f.item.code} {f.item.text}",
                    f.nonconformities,
                    float(f.deducted),
                    f.note,
                    len(f.photos.all()),
                ]
            )
    fs.column_dimensions["C"].width = 50
    for row in fs.iter_rows(min_row=2):
        row[2].alignment = Alignment(wrap_text=True)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def daily_report_pdf(report: dict[str, Any]) -> bytes:
    """The report as a PDF. reportlab's built-in CID font STSong-Light renders Chinese without
    any font file; the findings' photos are embedded, scaled down."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Image, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    body = ParagraphStyle("body", fontName="STSong-Light", fontSize=9, leading=12)
    head = ParagraphStyle("head", fontName="STSong-Light", fontSize=15, leading=20)
    sub = ParagraphStyle("sub", fontName="STSong-Light", fontSize=11, leading=15)

    def p(text: Any, style: ParagraphStyle = body) -> Paragraph:
        safe = str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        return Paragraph(safe, style)

    story: list[Any] = [p(_title(report), head), Spacer(1, 3 * mm)]
    mean = report["mean_percent"]
    story.append(
        p(
            _("%(n)d inspections of %(u)d units, %(f)d findings, mean score %(m)s%%.")
            % {
                "n": report["count"],
                "u": report["units"],
                "f": report["findings"],
                "m": mean if mean is not None else "—",
            },
            sub,
        )
    )
    story.append(Spacer(1, 4 * mm))
    table = [
        [
            p(_("Time")),
            p(_("Unit")),
            p(_("Checklist")),
            p(_("Area")),
            p(_("Inspector")),
            p(_("Score")),
            p(_("Findings")),
        ]
    ]
    for r in report["rows"]:
        i = r["inspection"]
        table.append(
            [
                p(timezone.localtime(i.visited_at).strftime("%H:%M")),
                p(i.unit.name),
                p(i.version.template.name),
                p(i.area or "—"),
                p(i.inspector.get_username()),
                p(f"{i.score:.1f} / {i.max_points:.0f}"),
                p(len(r["findings"])),
            ]
        )
    grid = Table(
        table,
        repeatRows=1,
        colWidths=[14 * mm, 32 * mm, 44 * mm, 22 * mm, 22 * mm, 24 * mm, 16 * mm],
    )
    grid.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.3, colors.grey),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e0ecfa")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    story.append(grid)
    story.append(Spacer(1, 5 * mm))
    if report["findings"]:
        story.append(p(_("Findings"), sub))
    for r in report["rows"]:
        i = r["inspection"]
        for f in r["findings"]:
            story.append(
                p(
                    f"{timezone.localtime(i.visited_at):%H:%M} · {i.unit.name} · "
                    f"{f.item.code} {f.item.text} · −{f.deducted:.1f}"
                    + (f" · {f.note}" if f.note else "")
                )
            )
            images = []
            for photo in list(f.photos.all())[:3]:
                try:
                    with photo.file.open("rb") as fh:
                        data = io.BytesIO(fh.read())
                    images.append(Image(data, width=30 * mm, height=22 * mm, kind="proportional"))
                except (OSError, ValueError):
                    continue  # a missing or unreadable file must not stop the report
            if images:
                story.append(Table([images]))
            story.append(Spacer(1, 2 * mm))
    out = io.BytesIO()
    SimpleDocTemplate(
        out,
        pagesize=A4,
        title=_title(report),
        leftMargin=12 * mm,
        rightMargin=12 * mm,
        topMargin=12 * mm,
        bottomMargin=12 * mm,
    ).build(story)
    return out.getvalue()


# --- the analysis dashboard -------------------------------------------------------------------


def dashboard_data(
    user: AnyUser, unit: OrgUnit | None, start: dt.date, end: dt.date, template: str = ""
) -> dict[str, Any]:
    """The dashboard's figures for the inspections the user sees (a handful of aggregate
    queries, none per inspection)."""
    qs = _visible(user, unit, start, end)
    if template:
        qs = qs.filter(version__template__code=template)
    totals = qs.aggregate(
        n=Count("pk"), mean=Avg("percent"), vetoed=Count("pk", filter=Q(vetoed=True))
    )
    buckets = {
        int(r["b"]): r["n"]
        for r in qs.annotate(b=Floor(F("percent") / 10))
        .values("b")
        .annotate(n=Count("pk"))
        .order_by()
        if r["b"] is not None
    }
    distribution = [buckets.get(b, 0) for b in range(10)]
    distribution[9] += buckets.get(10, 0)  # 100% goes into the top bucket
    # The trend is drawn per child unit of the scope (regions of the company, stores of a region).
    parent = unit
    children = list(
        OrgUnit.objects.filter(parent=parent, is_active=True).order_by("code")
        if parent is not None
        else OrgUnit.objects.filter(depth=1, is_active=True).order_by("code")
    )[:12]
    trend_rows = list(
        qs.annotate(month=TruncMonth("visited_at"))
        .values("month", "unit__path")
        .annotate(mean=Avg("percent"), n=Count("pk"))
        .order_by("month")
    )
    months = sorted(
        {r["month"].date() if hasattr(r["month"], "date") else r["month"] for r in trend_rows}
    )
    series = []
    for child in children:
        by_month: dict[Any, list[tuple[Decimal, int]]] = defaultdict(list)
        for r in trend_rows:
            if r["unit__path"].startswith(child.path):
                m = r["month"].date() if hasattr(r["month"], "date") else r["month"]
                by_month[m].append((Decimal(str(r["mean"])), r["n"]))
        if not by_month:
            continue
        values = []
        for m in months:
            pairs = by_month.get(m)
            if not pairs:
                values.append(None)
                continue
            total = sum(n for _v, n in pairs)
            values.append(float(sum(v * n for v, n in pairs) / total))
        series.append({"unit": child, "values": values})
    failed = list(
        Answer.objects.filter(inspection__in=qs.values("pk"), deducted__gt=0)
        .values("item__code", "item__text", "item__version__template__code")
        .annotate(n=Count("pk"), lost=Sum("deducted"))
        .order_by("-n", "-lost")[:10]
    )
    by_inspector = list(
        qs.values("inspector__username").annotate(n=Count("pk"), mean=Avg("percent")).order_by("-n")
    )
    draws = list(
        SampleDraw.objects.filter(period_start__lte=end, period_end__gte=start)
        .select_related("plan")
        .order_by("plan__code", "-drawn_at")
    )
    latest: dict[int, SampleDraw] = {}
    for d in draws:
        latest.setdefault(d.plan_id, d)
    progress = draw_progress(list(latest.values()))
    doers = defaultdict(int)
    for r in (
        SampleEntry.objects.filter(
            draw__in=list(latest.values()), inspections__status=Status.SUBMITTED
        )
        .values("draw_id", "inspections__inspector__username")
        .annotate(n=Count("inspections"))
    ):
        doers[(r["draw_id"], r["inspections__inspector__username"])] += r["n"]
    coverage = [
        {
            "draw": d,
            "done": progress.get(d.pk, (0, 0))[0],
            "quota": progress.get(d.pk, (0, 0))[1],
            "by": sorted(
                ((who, n) for (draw_id, who), n in doers.items() if draw_id == d.pk),
                key=lambda x: -x[1],
            ),
        }
        for d in latest.values()
    ]
    return {
        "start": start,
        "end": end,
        "unit": unit,
        "count": totals["n"],
        "mean": totals["mean"],
        "vetoed": totals["vetoed"],
        "distribution": distribution,
        "months": months,
        "series": series,
        "failed": failed,
        "inspectors": by_inspector,
        "coverage": coverage,
    }


def dashboard_xlsx(data: dict[str, Any]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = _("Distribution")[:31]
    ws.append([_("Score (%)"), _("Inspections")])
    for b, n in enumerate(data["distribution"]):
        ws.append([f"{b * 10}–{b * 10 + 10}", n])
    tr = wb.create_sheet(_("Trend")[:31])
    tr.append([_("Unit"), *[m.strftime("%Y-%m") for m in data["months"]]])
    for s in data["series"]:
        tr.append([s["unit"].name, *s["values"]])
    fi = wb.create_sheet(_("Failed items")[:31])
    fi.append([_("Checklist"), _("Item"), _("Findings"), _("Deducted")])
    for r in data["failed"]:
        fi.append(
            [
                r["item__version__template__code"],
                f"{r['item__code']} {r['item__text']}",
                r["n"],
                float(r["lost"] or 0),
            ]
        )
    co = wb.create_sheet(_("Coverage")[:31])
    co.append([_("Plan"), _("Period"), _("Done"), _("Quota"), _("Inspectors")])
    for c in data["coverage"]:
        co.append(
            [
                c["draw"].plan.name,
                f"{c['draw'].period_start} – {c['draw'].period_end}",
                c["done"],
                c["quota"],
                ", ".join(f"{who} {n}" for who, n in c["by"]),
            ]
        )
    for sheet in wb.worksheets:
        for cell in sheet[1]:
            cell.font = Font(bold=True)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
