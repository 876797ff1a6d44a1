"""What the staff complaint browser tests share: a frozen Shanghai clock on a quiet Tuesday,
complaints registered through the real service, and the steps a user takes on a complaint's
page (open an action, fill it in, send it) with what the page then shows."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import translation

from sqms.complaints import services
from sqms.complaints.models import Category, Complaint

SH = dt.timezone(dt.timedelta(hours=8))
# A Tuesday with no holiday near it (as in tests/complaints): the standard calendar works
# 09:00-12:00 and 13:00-18:00 on weekdays.
NOW = dt.datetime(2026, 6, 9, 10, 0, tzinfo=SH)
H = dt.timedelta(hours=1)


def sh(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=SH)


def zh(text: Any, **values: Any) -> str:
    """A source string (or a lazy label, such as a choice's) as a Chinese user reads it, its
    placeholders filled in."""
    with translation.override("zh-hans"):
        out = translation.gettext(text) if isinstance(text, str) else str(text)
    return out % values if values else out


def left(hours: int = 0, minutes: int = 0, *, days: int = 0, late: bool = False) -> str:
    """A remaining time as the lists and the time-limit table show it."""
    if days:
        text = zh("%(d)d d %(h)d h", d=days, h=hours)
    elif hours:
        text = zh("%(h)d h %(m)d min", h=hours, m=minutes)
    else:
        text = zh("%(m)d min", m=minutes)
    return zh("late by %(t)s" if late else "%(t)s left", t=text)


def register(
    org: Any,
    *,
    channel: str = "desk",
    unit: Any = None,
    category: str | None = "attitude-rude",
    received_at: dt.datetime | None = None,
    **fields: Any,
) -> Complaint:
    """A complaint registered through the real service, as the desk would."""
    data = services.Intake(
        channel=channel,
        unit=unit or org.s1,
        description=fields.pop("description", "收银员态度恶劣，结账时不理睬顾客。"),
        complainant_name=fields.pop("complainant_name", "王先生"),
        complainant_phone=fields.pop("complainant_phone", "13912345678"),
        category=Category.objects.get(code=category) if category else None,
        received_at=received_at,
        **fields,
    )
    return services.complaint_create(actor=None, data=data)


def page_width(page: Any) -> int:
    return int(page.evaluate("document.documentElement.scrollWidth"))


def inner_width(page: Any) -> int:
    return int(page.evaluate("window.innerWidth"))


def messages(page: Any) -> list[str]:
    """The flash messages at the top of the page."""
    return [t.strip() for t in page.locator("main ul.messages li").all_inner_texts()]


def action(page: Any, name: str) -> Any:
    """The form of one action on a complaint's page, its <details> opened as a user would."""
    details = page.locator("details.action").filter(has=page.locator(f"form[action$='/do/{name}']"))
    form = details.locator("form")
    if details.get_attribute("open") is None:
        details.locator("summary").click()
    form.wait_for(state="visible")
    return form


def act(page: Any, name: str, **values: Any) -> list[str]:
    """Fill in and send an action: text for inputs, textareas and selects (by label for a
    select given as ("label", text)), True/False for a checkbox, ("radio", value) for radios.
    Returns the messages of the page it lands on."""
    form = action(page, name)
    for field, value in values.items():
        target = form.locator(f"[name={field}]")
        if isinstance(value, bool):
            target.set_checked(value)
        elif isinstance(value, tuple) and value[0] == "radio":
            form.locator(f"input[name={field}][value='{value[1]}']").check()
        elif isinstance(value, tuple) and value[0] == "label":
            target.select_option(label=value[1])
        elif target.evaluate("e => e.tagName") == "SELECT":
            target.select_option(value)
        else:
            target.fill(value)
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    return messages(page)


def timeline(page: Any) -> list[str]:
    """The complaint's timeline as shown: each step's title, oldest first."""
    return page.locator("ol.timeline li strong").all_inner_texts()


def clocks(page: Any) -> dict[str, list[str]]:
    """The time-limit table: clock name → [limit, deadline, state], as shown."""
    rows = {}
    for row in page.locator("table.clocks tbody tr").all():
        cells = [c.strip() for c in row.locator("td").all_inner_texts()]
        rows[cells[0]] = cells[1:]
    return rows


def status_badge(page: Any) -> str:
    return page.locator("main h1 .badge").first.inner_text()


def active_id(page: Any) -> str:
    """The id (else the name) of the element that has the focus."""
    return str(page.evaluate("(e => e ? e.id || e.name || '' : '')(document.activeElement)"))
