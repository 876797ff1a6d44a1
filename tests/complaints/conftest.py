"""Complaint fixtures: the retail-chain pack loaded over the shared small organisation, and a
factory that registers complaints through the real service."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from sqms.complaints import services
from sqms.complaints.models import Category, Complaint
from sqms.packs.loader import pack_load

SH = dt.timezone(dt.timedelta(hours=8))


@pytest.fixture
def pack(org: Any) -> None:
    pack_load("retail-chain")


@pytest.fixture
def make_complaint(org: Any, pack: None) -> Callable[..., Complaint]:
    def make(
        *,
        channel: str = "desk",
        unit: Any = None,
        actor: Any = None,
        category: str | None = "attitude-rude",
        received_at: dt.datetime | None = None,
        **fields: Any,
    ) -> Complaint:
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
        return services.complaint_create(actor=actor, data=data)

    return make
