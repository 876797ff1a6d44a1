"""Helpers for the complaint tests: Shanghai times, snapshots of everything a write could change
(so a refused write can be shown to have changed nothing), the timeline and audit trail of one
complaint, and a purchasing department that product and price complaints are routed to."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest

from sqms.common.models import AuditEntry, Notification
from sqms.complaints.models import (
    Attachment,
    Complaint,
    ComplaintEvent,
    Escalation,
    FollowUp,
    SlaClock,
    SlaPolicy,
)
from sqms.org import services as org_services
from sqms.org.models import OrgUnit, Staff, UnitKind, User
from sqms.org.roles import Role
from sqms.packs.loader import pack_load

SH = dt.timezone(dt.timedelta(hours=8))
H = dt.timedelta(hours=1)
# A Tuesday with no holiday near it: a desk complaint received now has its update clock due at
# 15:00 (4 working hours) and its reply due at 22:00 (12 hours).
NOW = dt.datetime(2026, 6, 9, 10, 0, tzinfo=SH)

COMPLAINT_FIELDS = (
    "status",
    "category_id",
    "urgency",
    "importance",
    "staff_id",
    "responsible_unit_id",
    "assignee_id",
    "substantiated",
    "finding",
    "reply",
    "improvement",
    "replied_at",
    "closed_at",
    "waiting_on",
    "escalation_level",
    "escalated_to_id",
    "merged_into_id",
    "end_reason",
    "reopen_count",
    "next_deadline",
    "breached",
)
CLOCK_FIELDS = (
    "pk",
    "kind",
    "deadline",
    "paused_remaining",
    "warned_at",
    "breached_at",
    "escalation_done",
    "stopped_at",
    "met",
)


def sh(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, second, tzinfo=SH)


def local(value: dt.datetime | None) -> dt.datetime | None:
    """A stored instant read in Shanghai time (the database hands back UTC)."""
    return value.astimezone(SH) if value is not None else None


def world() -> dict[str, Any]:
    """Everything a complaint write could touch: row counts of every complaint table, the audit
    log and the notices, and each complaint's and clock's fields."""
    return {
        "counts": {
            model.__name__: model.objects.count()
            for model in (
                Complaint,
                ComplaintEvent,
                SlaClock,
                Escalation,
                FollowUp,
                Attachment,
                AuditEntry,
                Notification,
            )
        },
        "complaints": list(Complaint.objects.order_by("pk").values_list("pk", *COMPLAINT_FIELDS)),
        "clocks": list(SlaClock.objects.order_by("pk").values_list(*CLOCK_FIELDS)),
    }


def fresh(complaint: Complaint) -> Complaint:
    return Complaint.objects.get(pk=complaint.pk)


def kinds(complaint: Complaint) -> list[str]:
    """The complaint's timeline, oldest first, as event kinds."""
    return list(complaint.events.order_by("at", "pk").values_list("kind", flat=True))


def actions(complaint: Complaint) -> list[str]:
    """The audit actions recorded against the complaint, oldest first."""
    return list(
        AuditEntry.objects.filter(target_type="complaints.complaint", target_id=str(complaint.pk))
        .order_by("seq")
        .values_list("action", flat=True)
    )


def clock(complaint: Complaint, kind: str) -> SlaClock:
    """The complaint's only clock of this kind that is not stopped."""
    return SlaClock.objects.get(complaint=complaint, kind=kind, stopped_at__isnull=True)


def notices(user: User) -> list[str]:
    return list(
        Notification.objects.filter(user=user).order_by("pk").values_list("title", flat=True)
    )


def only_resolution_clock(channel: str = "desk") -> None:
    """Keep one clock on the channel's policy, so escalation counts are per complaint."""
    SlaPolicy.objects.filter(channel=channel).update(
        first_response_amount=None, first_response_unit="", update_amount=None, update_unit=""
    )


@dataclass
class Purchasing:
    unit: OrgUnit
    manager: User
    buyer: Staff


@pytest.fixture(name="purchasing")
def purchasing_fixture(org: Any, people: Any, pack: None) -> Purchasing:
    """The business department (D-PUR, under HQ) that product and price complaints go to, with
    its manager; the pack is loaded again so that its categories route there."""
    unit = org_services.unit_create(
        actor=None, code="D-PUR", name="采购部", kind=UnitKind.DEPARTMENT, parent=org.hq
    )
    buyer = org_services.staff_create(
        actor=None,
        employee_no="P1",
        name="刘洋",
        unit=unit,
        position=org.manager_position,
        start_date=dt.date(2020, 1, 1),
        phone="13812340000",
    )
    manager = org_services.user_create(
        actor=None, username="purchasing", password="correct horse battery staple 42", staff=buyer
    )
    org_services.role_grant(actor=None, user=manager, role=Role.UNIT_MANAGER, unit=unit)
    pack_load("retail-chain")
    return Purchasing(unit, manager, buyer)
