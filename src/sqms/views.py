"""Pages of the shell: home, login/logout, API tokens, audit log, health checks."""

from __future__ import annotations

import calendar as pycal
import datetime as dt
import logging

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.paginator import Paginator
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from django_ratelimit.core import is_ratelimited

from sqms.common.calendars import (
    calendar_create,
    calendar_override_set,
    format_hours,
    official_day_set,
    parse_hours,
    working_calendar,
)
from sqms.common.errors import DomainError
from sqms.common.forms import (
    WEEKDAYS,
    CalendarForm,
    OfficialDayForm,
    OverrideForm,
    TokenForm,
    form_errors,
)
from sqms.common.models import ApiToken, AuditEntry, OfficialDay, WorkCalendar
from sqms.common.tokens import token_create, token_revoke
from sqms.core.holidays import holiday_name, official_years_known

log = logging.getLogger(__name__)


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """The process is up; touches nothing else."""
    return JsonResponse({"status": "ok"})


@require_GET
@never_cache
def readyz(request: HttpRequest) -> JsonResponse:
    """The database and the task queue answer."""
    checks: dict[str, str] = {}
    ok = True
    try:
        with connection.cursor() as cur:
            cur.execute("SELECT 1")
            cur.fetchone()
        checks["database"] = "ok"
    except Exception as exc:
        log.warning("readyz: database: %s", exc)
        checks["database"] = "unreachable"
        ok = False
    try:
        from huey.contrib.djhuey import HUEY

        HUEY.pending_count()
        checks["queue"] = "ok"
    except Exception as exc:
        log.warning("readyz: queue: %s", exc)
        checks["queue"] = "unreachable"
        ok = False
    return JsonResponse(
        {"status": "ok" if ok else "unavailable", "checks": checks}, status=200 if ok else 503
    )


@never_cache
def login_view(request: HttpRequest) -> HttpResponse:
    """Log in. Failures are counted per user name and address by django-axes (lockout after
    SQMS_LOGIN_FAILURE_LIMIT); a per-address rate limit also slows down password spraying."""
    if request.user.is_authenticated:
        return redirect("home")
    form = AuthenticationForm(request, data=request.POST or None)
    if request.method == "POST":
        if is_ratelimited(
            request, group="login", key="ip", rate="30/m", method="POST", increment=True
        ):
            return render(
                request, "registration/login.html", {"form": form, "rate_limited": True}, status=429
            )
        if form.is_valid():
            login(request, form.get_user())
            target = request.POST.get("next") or request.GET.get("next") or ""
            if url_has_allowed_host_and_scheme(
                target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
            ):
                return redirect(target)
            return redirect(settings.LOGIN_REDIRECT_URL)
        if getattr(request, "axes_locked_out", False):
            return render(request, "registration/locked_out.html", status=429)
    return render(request, "registration/login.html", {"form": form})


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    return redirect("login")


@login_required
def home(request: HttpRequest) -> HttpResponse:
    from sqms.complaints.selectors import complaint_counts_for_user, escalations_to_answer
    from sqms.org.roles import Cap
    from sqms.org.selectors import access_for, can, unit_roots_for_user

    access = access_for(request.user)
    grants = request.user.grants.select_related("unit").order_by("unit__path")  # type: ignore[union-attr]
    complaints = None
    if can(request.user, Cap.COMPLAINT_VIEW):
        complaints = complaint_counts_for_user(request.user)
        complaints["escalations"] = escalations_to_answer(request.user).count()
    return render(
        request,
        "common/home.html",
        {
            "grants": grants,
            "roots": unit_roots_for_user(request.user),
            "is_super": access.superuser,
            "complaints": complaints,
        },
    )


@login_required
def tokens(request: HttpRequest) -> HttpResponse:
    """The user's own API tokens; a new token is shown once, right after creation."""
    form = TokenForm(request.POST or None)
    new_token = None
    if request.method == "POST" and form.is_valid():
        try:
            _token, new_token = token_create(
                actor=request.user,
                user=request.user,
                name=form.cleaned_data["name"],
                expires_at=form.cleaned_data.get("expires_at"),
            )
            form = TokenForm()
        except DomainError as exc:
            form.add_error(None, exc.message)
    rows = ApiToken.objects.filter(user=request.user).order_by("-created_at")
    return render(
        request, "common/tokens.html", {"form": form, "tokens": rows, "new_token": new_token}
    )


@login_required
@require_POST
def token_revoke_view(request: HttpRequest, token_id: int) -> HttpResponse:
    try:
        token_revoke(actor=request.user, token_id=token_id)
        messages.success(request, _("The token was revoked."))
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("tokens")


@login_required
def audit_log(request: HttpRequest) -> HttpResponse:
    from sqms.org.roles import Cap
    from sqms.org.selectors import can

    if not can(request.user, Cap.AUDIT_VIEW):
        raise DjangoPermissionDenied(_("You do not have permission to read the audit log."))
    qs = AuditEntry.objects.select_related("actor").order_by("-id")
    action = request.GET.get("action", "").strip()
    if action:
        qs = qs.filter(action__startswith=action)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(request, "common/audit_log.html", {"page": page, "action": action})


# --- Working calendars ------------------------------------------------------------------------


def _calendar_month(wc: WorkCalendar, year: int, month: int) -> list[list[dict[str, object]]]:
    """Weeks of the month, each day with its working hours as the calendar will count them."""
    cal = working_calendar(wc, dt.date(year, month, 1))
    own = {o.date: o for o in wc.overrides.filter(date__year=year, date__month=month)}
    weeks = []
    for week in pycal.Calendar(firstweekday=0).monthdatescalendar(year, month):
        row = []
        for day in week:
            intervals = cal.intervals_on(day)
            hours = tuple(
                (a.timetz().replace(tzinfo=None), b.timetz().replace(tzinfo=None))
                for a, b in intervals
            )
            usual = bool(cal.weekly.get(day.weekday()))
            row.append(
                {
                    "date": day,
                    "in_month": day.month == month,
                    "working": bool(hours),
                    "hours": format_hours(hours),
                    "changed": bool(hours) != usual,
                    "name": holiday_name(day) or "",
                    "own": own.get(day),
                }
            )
        weeks.append(row)
    return weeks


@login_required
def calendar_list(request: HttpRequest) -> HttpResponse:
    from sqms.org.roles import Cap
    from sqms.org.selectors import can

    if not (can(request.user, Cap.ORG_VIEW) or can(request.user, Cap.CALENDAR_MANAGE)):
        raise DjangoPermissionDenied(_("You do not have permission to see working calendars."))
    form = CalendarForm(request.POST or None)
    if request.method == "POST":
        if not can(request.user, Cap.CALENDAR_MANAGE):
            raise DjangoPermissionDenied(_("You do not have permission to edit working calendars."))
        if form.is_valid():
            try:
                wc = calendar_create(actor=request.user, **form.service_kwargs())
                return redirect("calendar-detail", calendar_id=wc.pk)
            except DomainError as exc:
                form_errors(form, exc, field_map={"weekly_hours": "hours"})
    known = official_years_known()
    return render(
        request,
        "common/calendar_list.html",
        {
            "calendars": WorkCalendar.objects.order_by("code"),
            "form": form,
            "can_edit": can(request.user, Cap.CALENDAR_MANAGE),
            "known_first": known.start,
            "known_last": known.stop - 1,
        },
    )


@login_required
def calendar_detail(request: HttpRequest, calendar_id: int) -> HttpResponse:
    from sqms.org.roles import Cap
    from sqms.org.selectors import can

    if not (can(request.user, Cap.ORG_VIEW) or can(request.user, Cap.CALENDAR_MANAGE)):
        raise DjangoPermissionDenied(_("You do not have permission to see working calendars."))
    wc = get_object_or_404(WorkCalendar, pk=calendar_id)
    today = timezone.localdate()
    try:
        year = int(request.GET.get("year", today.year))
        month = int(request.GET.get("month", today.month))
        dt.date(year, month, 1)
        if not 1900 <= year <= 2200:  # the calendar builds a few years around the month shown
            raise ValueError(year)
    except ValueError:
        year, month = today.year, today.month
    form = OverrideForm(request.POST or None)
    if request.method == "POST":
        if not can(request.user, Cap.CALENDAR_MANAGE):
            raise DjangoPermissionDenied(_("You do not have permission to edit working calendars."))
        if form.is_valid():
            try:
                calendar_override_set(actor=request.user, calendar=wc, **form.service_kwargs())
                messages.success(request, _("Saved."))
                d = form.cleaned_data["date"]
                return redirect(f"{request.path}?year={d.year}&month={d.month}")
            except DomainError as exc:
                form_errors(form, exc)
    first = dt.date(year, month, 1)
    prev_m = (first - dt.timedelta(days=1)).replace(day=1)
    next_m = (first + dt.timedelta(days=32)).replace(day=1)
    return render(
        request,
        "common/calendar_detail.html",
        {
            "cal": wc,
            "weeks": _calendar_month(wc, year, month),
            "month": first,
            "prev": prev_m,
            "next": next_m,
            "form": form,
            "weekly": [
                (WEEKDAYS[d], format_hours(parse_hours(wc.weekly_hours.get(str(d), []))))
                for d in range(7)
            ],
            "overrides": wc.overrides.order_by("-date")[:50],
            "can_edit": can(request.user, Cap.CALENDAR_MANAGE),
        },
    )


@login_required
def official_days(request: HttpRequest) -> HttpResponse:
    """Official holidays entered by hand, for years the package does not know yet."""
    from sqms.org.roles import Cap
    from sqms.org.selectors import can

    if not can(request.user, Cap.CALENDAR_MANAGE):
        raise DjangoPermissionDenied(_("You do not have permission to edit working calendars."))
    form = OfficialDayForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        official_day_set(actor=request.user, **form.cleaned_data)
        messages.success(request, _("Saved."))
        return redirect("official-days")
    known = official_years_known()
    return render(
        request,
        "common/official_days.html",
        {
            "form": form,
            "days": OfficialDay.objects.order_by("-date")[:200],
            "known_first": known.start,
            "known_last": known.stop - 1,
        },
    )
