"""Every closed complaint invited to a satisfaction survey, once, with the staff member it named
as the one rated."""

from __future__ import annotations

from typing import Any

import pytest

from sqms.complaints import services as complaint_services
from sqms.complaints.models import Category, Complaint
from sqms.packs.loader import pack_load
from sqms.surveys import services
from sqms.surveys.models import Audience, Invitation


@pytest.fixture
def make_complaint(org: Any, instruments: Any) -> Any:
    pack_load("retail-chain")  # the categories (the survey section again changes nothing)

    def make(*, actor: Any, unit: Any) -> Complaint:
        data = complaint_services.Intake(
            channel="desk",
            unit=unit,
            description="收银员态度恶劣，结账时不理睬顾客。",
            complainant_name="王先生",
            complainant_phone="13912345678",
            category=Category.objects.get(code="attitude-rude"),
        )
        return complaint_services.complaint_create(actor=actor, data=data)

    return make


def _closed(make_complaint, people, **fields):  # type: ignore[no-untyped-def]
    c = make_complaint(actor=people.store, **fields)
    complaint_services.complaint_reply(complaint=c, actor=people.store, reply="已致歉并退款")
    complaint_services.complaint_follow_up(
        complaint=c, actor=people.store, satisfaction="basic", accepted=True, close=False
    )
    return complaint_services.complaint_close(complaint=c, actor=people.store, note="回访满意")


def test_closed_complaints_are_invited_once(make_campaign, make_complaint, people, org) -> None:
    campaign = make_campaign("csi-retail", audience=Audience.COMPLAINTS, unit=org.r1)
    closed = _closed(make_complaint, people, unit=org.s1)
    make_complaint(actor=people.store, unit=org.s1)  # still open: not invited
    assert services.invitations_for_closed_complaints() == 1
    inv = Invitation.objects.get()
    assert (inv.campaign, inv.unit, inv.source_ref) == (campaign, org.s1, closed.ref)
    assert services.invitations_for_closed_complaints() == 0  # the next night: nobody twice
    assert Invitation.objects.count() == 1


def test_a_store_manager_cannot_invite_for_the_region(
    make_campaign, make_complaint, people, org, client
) -> None:
    campaign = make_campaign("csi-retail", audience=Audience.COMPLAINTS, unit=org.r1)
    _closed(make_complaint, people, unit=org.s1)
    client.force_login(people.store)
    response = client.post(f"/surveys/{campaign.pk}/do/invite-complaints/")
    assert response.status_code == 403
    assert Invitation.objects.count() == 0
    client.force_login(people.quality)
    assert client.post(f"/surveys/{campaign.pk}/do/invite-complaints/").status_code == 302
    assert Invitation.objects.count() == 1
