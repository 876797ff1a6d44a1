"""Navigation for the base template: the modules, and which of them this user may open."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


def _sees_inspections(user: Any) -> bool:
    """Inspectors, those who see inspections, and staff members (their own results)."""
    from sqms.org.roles import Cap
    from sqms.org.selectors import access_for

    access = access_for(user)
    return (
        access.any_cap(Cap.INSPECTION_VIEW)
        or access.any_cap(Cap.INSPECTION_PERFORM)
        or access.staff_id is not None
    )


def _sees_evaluations(user: Any) -> bool:
    """The quality department, and everyone with a login tied to a staff member or a unit
    (his own scorecards and the published bulletins)."""
    from sqms.org.roles import Cap
    from sqms.org.selectors import access_for

    access = access_for(user)
    return (
        access.any_cap(Cap.EVALUATION_VIEW)
        or access.any_cap(Cap.ORG_VIEW)
        or access.staff_id is not None
    )


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    from sqms.org.roles import Cap
    from sqms.org.selectors import can

    current = request.path
    items: list[dict[str, Any]] = [
        {"label": _("Overview"), "url": reverse("home"), "ready": True},
        {
            "label": _("Complaints"),
            "url": reverse("complaints:list") if can(user, Cap.COMPLAINT_VIEW) else None,
            "ready": can(user, Cap.COMPLAINT_VIEW),
        },
        {
            "label": _("Inspections"),
            "url": reverse("inspections:list") if _sees_inspections(user) else None,
            "ready": _sees_inspections(user),
        },
        {
            "label": _("Surveys"),
            "url": reverse("surveys:list") if can(user, Cap.SURVEY_VIEW) else None,
            "ready": can(user, Cap.SURVEY_VIEW),
        },
        {
            "label": _("Evaluations"),
            "url": reverse("evaluations:list") if _sees_evaluations(user) else None,
            "ready": _sees_evaluations(user),
        },
        {"label": _("Work orders"), "url": None, "ready": False},
        {"label": _("Corrective actions"), "url": None, "ready": False},
        {"label": _("Reports"), "url": None, "ready": False},
    ]
    if can(user, Cap.ORG_VIEW):
        items.append({"label": _("Organisation"), "url": reverse("org:tree"), "ready": True})
    if can(user, Cap.CALENDAR_MANAGE) or can(user, Cap.ORG_VIEW):
        items.append({"label": _("Calendars"), "url": reverse("calendars"), "ready": True})
    if can(user, Cap.AUDIT_VIEW):
        items.append({"label": _("Audit log"), "url": reverse("audit"), "ready": True})
    for item in items:
        url = item["url"]
        item["active"] = bool(url) and (
            current == url if url == reverse("home") else current.startswith(url)
        )
    from sqms.common.models import Notification

    unread = Notification.objects.filter(user=user, read_at__isnull=True).count()
    return {"nav_items": items, "unread_notifications": unread}
