"""Public complaint pages (no login) at /c/, and the QR poster page for staff.

A customer scans the QR code on a store's poster, lands on /c/<store code>/ and tells us on his
phone, in Chinese or English, what happened. He gets a tracking code; with it and the last 4
digits of his phone he follows the complaint on /c/status/. Every POST on these pages counts
against a per-address rate limit; the form's other spam guards are in public_forms.py."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
from typing import Any

import segno
from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods
from django_ratelimit.core import is_ratelimited

from sqms.common.errors import DomainError, NotFound
from sqms.common.http import scoped
from sqms.complaints import selectors, services
from sqms.complaints.models import UNANSWERED_STATUSES, Complaint, ComplaintEvent
from sqms.complaints.public_forms import (
    HONEYPOT,
    STAMP_FIELD,
    PublicComplaintForm,
    StampError,
    StatusLookupForm,
    stamp_claim,
    stamp_issue,
    stamp_read,
    stamp_result,
)
from sqms.org.models import OrgUnit
from sqms.org.roles import Cap
from sqms.org.selectors import unit_get_for_user

LOOKUP_RATE = "20/h"  # per address: guessing a code and 4 digits takes far more tries
RECEIPT_KEY = "sqms_public_receipt"
T = "complaints/public/"


def _rate_limited(request: HttpRequest, group: str, rate: str) -> bool:
    limited = is_ratelimited(
        request, group=group, key="ip", rate=rate, method="POST", increment=True
    )
    return bool(limited)


def _public_unit(code: str) -> OrgUnit | None:
    # No user to scope by: any active unit's form is public, an inactive one's is gone.
    return OrgUnit.objects.filter(code=code, is_active=True).first()


def _public_url(unit: OrgUnit) -> str:
    base = str(settings.SQMS_BASE_URL).rstrip("/")
    return base + reverse("public:form", args=[unit.code])


# --- The complaint form ---------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Receipt:
    """What the thank-you page shows, kept in the visitor's session: no database read, and
    nobody else can open it."""

    unit_code: str
    ref: str
    deadline: str  # ISO 8601; "" when no clock runs
    can_look_up: bool  # a phone number was given

    @classmethod
    def of(cls, complaint: Complaint) -> Receipt:
        deadline = selectors.reply_deadline(complaint)
        return cls(
            unit_code=complaint.unit.code,
            ref=complaint.ref,
            deadline=deadline.isoformat() if deadline else "",
            can_look_up=bool(complaint.complainant_phone),
        )


def _form_page(
    request: HttpRequest,
    unit: OrgUnit,
    form: PublicComplaintForm,
    *,
    problem: str = "",
    status: int = 200,
) -> HttpResponse:
    # Each rendering gets a fresh stamp: its clock starts when the visitor sees the form.
    context = {"unit": unit, "form": form, "stamp": stamp_issue(unit.code), "problem": problem}
    return render(request, T + "complaint_form.html", context, status=status)


def _to_thanks(request: HttpRequest, receipt: Receipt) -> HttpResponse:
    request.session[RECEIPT_KEY] = dataclasses.asdict(receipt)
    return redirect("public:thanks", code=receipt.unit_code)


def _place_errors(form: PublicComplaintForm, exc: DomainError) -> None:
    """The service's field errors beside the form's fields; the rest at the top."""
    rename = {"attachments": "photos"}
    placed = False
    for err in exc.errors:
        name = next((str(part) for part in err.loc if isinstance(part, str)), "")
        name = rename.get(name, name)
        if name in form.fields:
            form.add_error(name, err.msg)
            placed = True
    if not placed:
        form.add_error(None, exc.message)


@never_cache
@require_http_methods(["GET", "POST"])
def complaint_form(request: HttpRequest, code: str) -> HttpResponse:
    unit = _public_unit(code)
    if unit is None:
        return render(request, T + "store_not_found.html", {"code": code}, status=404)
    if request.method != "POST":
        return _form_page(request, unit, PublicComplaintForm())
    if _rate_limited(request, "public-complaint", settings.SQMS_PUBLIC_RATE):
        return render(request, T + "rate_limited.html", {"unit": unit}, status=429)
    if request.POST.get(HONEYPOT):
        return _form_page(
            request,
            unit,
            PublicComplaintForm(),
            problem=_("Your message could not be accepted. Leave the hidden field empty."),
            status=400,
        )
    form = PublicComplaintForm(request.POST, request.FILES)
    try:
        stamp_key = stamp_read(request.POST.get(STAMP_FIELD, ""), unit.code)
    except StampError as exc:
        return _form_page(request, unit, form, problem=exc.message, status=400)
    if not form.is_valid():
        return _form_page(request, unit, form)
    if not stamp_claim(stamp_key):
        # The same form sent twice (a double tap): the first one counts, and whoever holds
        # the stamp (it was on his page) sees its receipt.
        first = stamp_result(stamp_key)
        if first is not None:
            return _to_thanks(request, Receipt(**first))
        return _form_page(
            request,
            unit,
            form,
            problem=_("This form was already sent. Wait a moment for your tracking code."),
            status=409,
        )
    try:
        # complaint_create records its audit entry in the caller's transaction.
        with transaction.atomic():
            complaint = services.complaint_create(
                actor=None,
                data=form.intake(unit),
                attachments=form.cleaned_data["photos"],
                check_scope=False,
            )
    except DomainError as exc:
        _place_errors(form, exc)
        return _form_page(request, unit, form)
    receipt = Receipt.of(complaint)
    stamp_result(stamp_key, dataclasses.asdict(receipt))
    return _to_thanks(request, receipt)


@never_cache
@require_GET
def thanks(request: HttpRequest, code: str) -> HttpResponse:
    try:
        receipt = Receipt(**request.session.get(RECEIPT_KEY, {}))
    except TypeError:  # none in this session (or from an older version of the page)
        receipt = None
    if receipt is None or receipt.unit_code != code:
        return redirect("public:form", code=code)
    unit = _public_unit(code)
    deadline = dt.datetime.fromisoformat(receipt.deadline) if receipt.deadline else None
    return render(
        request,
        T + "thanks.html",
        {"receipt": receipt, "unit": unit, "deadline": deadline},
    )


# --- The status lookup ----------------------------------------------------------------------


def _public_steps(complaint: Complaint) -> list[dict[str, Any]]:
    """The steps the customer may see: what happened when, and the reply's text."""
    events = complaint.events.filter(public=True).order_by("at", "pk")
    return [
        {
            "label": ev.get_kind_display(),
            "kind": ev.kind,
            "at": ev.at,
            "reply": ev.note if ev.kind == ComplaintEvent.Kind.REPLIED else "",
        }
        for ev in events
    ]


@never_cache
@require_http_methods(["GET", "POST"])
def status_lookup(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        form = StatusLookupForm(initial={"ref": request.GET.get("ref", "")[:20]})
        return render(request, T + "status.html", {"form": form})
    form = StatusLookupForm(request.POST)
    if _rate_limited(request, "public-lookup", LOOKUP_RATE):
        return render(request, T + "status.html", {"form": form, "rate_limited": True}, status=429)
    context: dict[str, Any] = {"form": form}
    if form.is_valid():
        d = form.cleaned_data
        complaint = selectors.public_lookup(d["ref"], d["phone_last4"])
        if complaint is None:
            context["not_found"] = True
        else:
            context.update(
                complaint=complaint,
                steps=_public_steps(complaint),
                waiting=complaint.status in UNANSWERED_STATUSES,
                reply_due=selectors.reply_deadline(complaint),
            )
    return render(request, T + "status.html", context)


# --- The QR poster (staff) ------------------------------------------------------------------


def _poster_unit(request: HttpRequest, unit_id: int) -> OrgUnit:
    unit = unit_get_for_user(request.user, unit_id, Cap.COMPLAINT_INTAKE)
    if not unit.is_active:
        raise NotFound(_("A deactivated unit has no complaint form."))
    return unit


def _qr(unit: OrgUnit) -> segno.QRCode:
    # Level M survives a scuffed or partly covered poster; never a Micro QR (phones miss them).
    return segno.make(_public_url(unit), error="m", micro=False)


@scoped
@require_GET
def poster(request: HttpRequest, unit_id: int) -> HttpResponse:
    unit = _poster_unit(request, unit_id)
    # segno writes the SVG from the URL's bits alone (no title, no text of ours), so it is safe.
    svg = _qr(unit).svg_inline(scale=1, border=4, omitsize=True, svgclass="qr", lineclass=None)
    return render(
        request,
        T + "poster.html",
        {"unit": unit, "url": _public_url(unit), "qr_svg": mark_safe(svg)},  # noqa: S308
    )


@scoped
@require_GET
def poster_png(request: HttpRequest, unit_id: int) -> HttpResponse:
    unit = _poster_unit(request, unit_id)
    out = io.BytesIO()
    _qr(unit).save(out, kind="png", scale=20, border=4)
    response = HttpResponse(out.getvalue(), content_type="image/png")
    response["Content-Disposition"] = f'attachment; filename="qr-{unit.code}.png"'
    return response


# Mounted at /c/ under the "public" namespace: no login. "status" comes before the store codes.
urlpatterns: list[URLPattern] = [
    path("status/", status_lookup, name="status"),
    path("<str:code>/", complaint_form, name="form"),
    path("<str:code>/thanks/", thanks, name="thanks"),
]
# Mounted under /complaints/ in the "complaints" namespace: staff pages (the QR poster).
staff_urlpatterns: list[URLPattern] = [
    path("poster/<int:unit_id>/", poster, name="poster"),
    path("poster/<int:unit_id>/qr.png", poster_png, name="poster-png"),
]
