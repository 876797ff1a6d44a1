"""Scoped reads of complaints. A user sees a complaint when one of his grants holding the right
covers the unit where it arose or the unit responsible for it; anything else is "not found".
Pages, the API, exports and the dashboard all read through here."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from sqms.common.audit import personal_data_view_record
from sqms.common.errors import NotFound, PermissionDenied
from sqms.common.memo import memo
from sqms.complaints.models import (
    OPEN_STATUSES,
    Category,
    ClockKind,
    Complaint,
    Escalation,
    SlaClock,
    Status,
)
from sqms.org.models import OrgUnit
from sqms.org.roles import Cap
from sqms.org.selectors import AnyUser, access_for, covers_whole_tree, mask_phone


def _scope_q(user: AnyUser, cap: str) -> Q | None:
    """The filter for complaints the user holds `cap` on; None means everything."""
    access = access_for(user)
    if covers_whole_tree(access, cap):
        return None
    prefixes = access.prefixes(cap)
    if not prefixes:
        return Q(pk__in=[])
    # Unit ids from a subquery rather than a join on the org tree: the planner can then use the
    # (unit, received_at) and (responsible_unit, received_at) indexes of the big table.
    paths = Q()
    for p in prefixes:
        paths |= Q(path__startswith=p)
    units = OrgUnit.objects.filter(paths).values("pk")
    return Q(unit_id__in=units) | Q(responsible_unit_id__in=units)


def complaint_queryset_for_user(
    user: AnyUser, cap: str = Cap.COMPLAINT_VIEW
) -> QuerySet[Complaint]:
    q = _scope_q(user, cap)
    qs = Complaint.objects.all()
    return qs if q is None else qs.filter(q)


def complaint_get_for_user(
    user: AnyUser, complaint_id: int, cap: str = Cap.COMPLAINT_VIEW
) -> Complaint:
    """The complaint if the user may see it (else NotFound, whatever the reason); with a `cap`
    other than viewing, PermissionDenied when he may see it but not do that."""
    complaint = (
        complaint_queryset_for_user(user)
        .select_related(
            "unit",
            "responsible_unit",
            "staff",
            "staff__position",
            "category",
            "assignee",
            "escalated_to",
            "merged_into",
        )
        .filter(pk=complaint_id)
        .first()
    )
    if complaint is None:
        raise NotFound(_("Complaint not found."))
    if cap != Cap.COMPLAINT_VIEW and not can_on(user, cap, complaint):
        raise PermissionDenied()
    return complaint


def complaint_get_by_ref_for_user(user: AnyUser, ref: str) -> Complaint:
    found = complaint_queryset_for_user(user).filter(ref=ref.strip().upper()).values("pk").first()
    if found is None:
        raise NotFound(_("Complaint not found."))
    return complaint_get_for_user(user, found["pk"])


def can_on(user: AnyUser, cap: str, complaint: Complaint) -> bool:
    access = access_for(user)
    return access.covers(cap, complaint.unit.path) or access.covers(
        cap, complaint.responsible_unit.path
    )


@dataclass
class ComplaintFilter:
    status: str = ""  # a status, or "open", "late", "due_soon", "ended"
    channel: str = ""
    category: str = ""  # a category code: that category and its children
    unit: OrgUnit | None = None  # that unit's subtree (where it arose or who handles it)
    staff_id: int | None = None
    received_from: dt.date | None = None
    received_to: dt.date | None = None
    substantiated: bool | None = None
    q: str = ""
    order: str = ""
    extra: dict[str, str] = field(default_factory=dict)


# The shape of a tracking code ("2612-UJMYNHYL": year and month, 8 letters or digits), in any case.
TRACKING_CODE = re.compile(r"\d{4}-[0-9A-Z]{8}", re.IGNORECASE)

ORDERS = {
    "received": "received_at",
    "-received": "-received_at",
    "deadline": "next_deadline",
    "ref": "ref",
}


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


# "Open" written out in the SQL, not bound as parameters: SQLite uses a partial index (the open
# complaints by deadline, by responsible unit) only when the query's own text implies the
# index's condition, and a bound parameter is unknown when the query is planned. The values
# are the model's constants, spelled as the indexes spell them.
_OPEN_SQL = '"complaints_complaint"."status" IN ({})'.format(
    ", ".join(f"'{s}'" for s in OPEN_STATUSES)
)
assert all(str(s).isidentifier() for s in OPEN_STATUSES)  # nothing to escape in them


def _open_only(qs: QuerySet[Complaint]) -> QuerySet[Complaint]:
    return qs.extra(where=[_OPEN_SQL])  # noqa: S610 - a constant, no input in it


def complaint_list_for_user(user: AnyUser, f: ComplaintFilter | None = None) -> QuerySet[Complaint]:
    f = f or ComplaintFilter()
    qs = complaint_queryset_for_user(user).select_related(
        "unit", "responsible_unit", "category", "staff", "assignee"
    )
    now = timezone.now()
    if f.status == "open":
        qs = _open_only(qs)
    elif f.status == "late":
        qs = _open_only(qs).filter(next_deadline__lt=now)
    elif f.status == "due_soon":
        qs = _open_only(qs).filter(
            next_deadline__gte=now,
            next_deadline__lt=now + dt.timedelta(hours=24),
        )
    elif f.status == "breached":
        qs = qs.filter(breached=True)
    elif f.status == "ended":
        qs = qs.exclude(status__in=OPEN_STATUSES)
    elif f.status == Status.CLOSED:
        # Most complaints are closed: "not any other status" lets the newest be read first
        # along the time received, where "status = closed" took the status index and sorted
        # nine tenths of the table (3 s over a million complaints on SQLite, now 20 ms).
        qs = qs.exclude(status__in=[s for s in Status.values if s != Status.CLOSED])
    elif f.status in Status.values:
        qs = qs.filter(status=f.status)
    if f.channel:
        qs = qs.filter(channel=f.channel)
    # Ids from subqueries, not joins: the big table's indexes then serve the filters.
    if f.category:
        cats = Category.objects.filter(Q(code=f.category) | Q(parent__code=f.category))
        qs = qs.filter(category_id__in=cats.values("pk"))
    if f.unit is not None:
        units = OrgUnit.objects.filter(path__startswith=f.unit.path).values("pk")
        qs = qs.filter(Q(unit_id__in=units) | Q(responsible_unit_id__in=units))
    if f.staff_id is not None:
        qs = qs.filter(staff_id=f.staff_id)
    if f.received_from is not None:
        qs = qs.filter(received_at__gte=_day_start(f.received_from))
    if f.received_to is not None:
        qs = qs.filter(received_at__lt=_day_start(f.received_to + dt.timedelta(days=1)))
    if f.substantiated is not None:
        qs = qs.filter(substantiated=f.substantiated)
    term = f.q.strip()
    if TRACKING_CODE.fullmatch(term):
        # A tracking code read out by a customer is looked up by the unique index; searched
        # in the texts as well it took every row's description (4–36 s over a million).
        qs = qs.filter(ref=term.upper())
    elif term:
        qs = qs.filter(
            Q(title__icontains=term) | Q(description__icontains=term) | Q(staff__name=term)
        )
    default = "deadline" if f.status in ("open", "late", "due_soon") else "-received"
    order = ORDERS.get(f.order or default, "-received_at")
    # Ties broken in the order's own direction: an index on the column (which carries the row
    # id after it) then yields the rows already sorted.
    return qs.order_by(order, "-pk" if order.startswith("-") else "pk")


def reply_deadline(complaint: Complaint) -> dt.datetime | None:
    """When the customer is promised the reply: the running reply clock's deadline (seed 000:
    "within 3 days" on the hotline), else the complaint's next deadline."""
    deadline = (
        complaint.clocks.filter(kind=ClockKind.RESOLUTION, stopped_at__isnull=True)
        .values_list("deadline", flat=True)
        .first()
    )
    return deadline or complaint.next_deadline


def clocks_for(complaint: Complaint) -> list[SlaClock]:
    return list(complaint.clocks.order_by("started_at", "pk"))


def escalations_for(complaint: Complaint) -> list[Escalation]:
    return list(complaint.escalations.select_related("to_unit").order_by("at", "pk"))


def escalations_to_answer(user: AnyUser) -> QuerySet[Escalation]:
    """Open manual escalations addressed to units where the user handles complaints."""
    access = access_for(user)
    qs = Escalation.objects.filter(
        automatic=False, answered_at__isnull=True, complaint__status__in=OPEN_STATUSES
    ).select_related("complaint", "to_unit")
    if access.superuser:
        return qs
    prefixes = access.prefixes(Cap.COMPLAINT_HANDLE)
    if not prefixes:
        return qs.none()
    q = Q()
    for p in prefixes:
        q |= Q(to_unit__path__startswith=p)
    return qs.filter(q)


def category_by_code(code: str) -> Category | None:
    """The category (with the unit it routes to), remembered per process under the
    configuration revision (sqms.common.memo): read it, do not change it."""
    return memo(
        "complaint-category",
        code,
        lambda: Category.objects.select_related("route_to").filter(code=code).first(),
    )


def category_tree() -> list[Category]:
    """Active categories, parents before their children."""
    cats = list(Category.objects.filter(is_active=True).select_related("parent"))
    by_parent: dict[int | None, list[Category]] = {}
    for c in cats:
        by_parent.setdefault(c.parent_id, []).append(c)
    out: list[Category] = []

    def walk(parent: int | None, depth: int) -> None:
        for c in by_parent.get(parent, []):
            c.depth = depth  # type: ignore[attr-defined]
            out.append(c)
            walk(c.pk, depth + 1)

    walk(None, 0)
    return out


# --- Personal data --------------------------------------------------------------------------


def mask_name(name: str) -> str:
    """张** / Z***: the surname or first letter, nothing more."""
    name = name.strip()
    if not name:
        return ""
    return name[0] + "*" * max(1, len(name) - 1)


def may_see_personal_data(user: AnyUser, complaint: Complaint) -> bool:
    return can_on(user, Cap.PERSONAL_DATA, complaint)


@dataclass
class Contact:
    name: str
    phone: str
    email: str
    masked: bool


def complaint_contact(user: AnyUser, complaint: Complaint, *, reveal: bool = False) -> Contact:
    """The complainant's contact details: masked unless the user holds the personal-data right
    on the complaint and asks to `reveal` them, which is logged."""
    if reveal:
        if not may_see_personal_data(user, complaint):
            raise PermissionDenied()
        personal_data_view_record(
            actor=user,  # type: ignore[arg-type]
            target=complaint,
            fields=["complainant_name", "complainant_phone", "complainant_email"],
        )
        return Contact(
            complaint.complainant_name,
            complaint.complainant_phone,
            complaint.complainant_email,
            masked=False,
        )
    email = complaint.complainant_email
    masked_email = (email[0] + "***@" + email.split("@", 1)[1]) if "@" in email else ""
    return Contact(
        mask_name(complaint.complainant_name),
        mask_phone(complaint.complainant_phone) if complaint.complainant_phone else "",
        masked_email,
        masked=True,
    )


def public_lookup(ref: str, phone_last4: str) -> Complaint | None:
    """The complaint a customer asks about with its tracking code and the last 4 digits of his
    phone; None when either does not match (the caller does not learn which)."""
    ref = (ref or "").strip().upper()
    digits = "".join(ch for ch in (phone_last4 or "") if ch.isdigit())
    if len(digits) != 4 or not ref:
        return None
    complaint = Complaint.objects.select_related("unit").filter(ref=ref).first()
    if complaint is None:
        return None
    phone_digits = "".join(ch for ch in complaint.complainant_phone if ch.isdigit())
    if not phone_digits.endswith(digits):
        return None
    return complaint


def complaint_counts_for_user(user: AnyUser) -> dict[str, int]:
    """The figures of the overview page: open, late, due within 24 h, and received in the
    last 7 days. Two queries, each on an index: the open complaints (a few percent of the
    table) and the week's; one query counting all four read every complaint ever received
    (0.5 s over a million)."""
    from django.db.models import Count

    now = timezone.now()
    qs = complaint_queryset_for_user(user)
    counts = _open_only(qs).aggregate(
        open=Count("pk"),
        late=Count("pk", filter=Q(next_deadline__lt=now)),
        due_soon=Count(
            "pk", filter=Q(next_deadline__gte=now, next_deadline__lt=now + dt.timedelta(hours=24))
        ),
    )
    counts["week"] = qs.filter(received_at__gte=now - dt.timedelta(days=7)).count()
    return counts


def complaints_closed_between(
    *, unit_path: str, start: dt.datetime, end: dt.datetime
) -> QuerySet[Complaint]:
    """System read (no user): complaints closed in [start, end) under a subtree, oldest first —
    what the surveys app invites to a satisfaction survey. Only the fields it needs."""
    return (
        Complaint.objects.filter(
            unit__path__startswith=unit_path,
            status=Status.CLOSED,
            closed_at__gte=start,
            closed_at__lt=end,
        )
        .only("pk", "ref", "unit_id", "staff_id", "closed_at")
        .order_by("closed_at", "pk")
    )
