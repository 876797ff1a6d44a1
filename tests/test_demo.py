"""The demo organisation that `make run` loads on first start."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from sqms.common.audit import audit_verify
from sqms.complaints.models import OPEN_STATUSES, Complaint, Status
from sqms.org.models import OrgUnit, RoleGrant, Staff, UnitKind, User
from sqms.org.roles import Role


@pytest.mark.django_db
def test_demo_loads_a_realistic_chain_once(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("demo", "--months", "2", verbosity=0)
    assert OrgUnit.objects.filter(kind=UnitKind.REGION).count() == 3
    assert OrgUnit.objects.filter(kind=UnitKind.STORE).count() == 12
    assert OrgUnit.objects.filter(kind=UnitKind.BACK_OFFICE).count() == 8
    current = Staff.objects.filter(end_date__isnull=True).count()
    assert 140 <= current <= 165
    assert Staff.objects.filter(end_date__isnull=False).count() == 1
    roles = set(RoleGrant.objects.values_list("role", flat=True))
    assert roles == set(Role.values)
    cashier = User.objects.get(username="cashier")
    assert cashier.staff.position.code == "cashier"
    assert audit_verify()[1] == []
    # Two months of complaints, replayed through the services: every store, several channels,
    # some still open, some late and escalated, some reopened after a follow-up visit.
    complaints = Complaint.objects.all()
    assert complaints.count() >= 60
    assert set(complaints.values_list("channel", flat=True)) == {
        "desk",
        "hotline",
        "slip",
        "web",
        "email",
    }
    assert complaints.values("unit").distinct().count() == 12
    assert complaints.filter(status__in=OPEN_STATUSES).exists()
    assert complaints.filter(breached=True).exists()
    assert complaints.filter(escalation_level__gt=0).exists()
    assert complaints.filter(reopen_count__gt=0).exists()
    assert complaints.filter(status=Status.CLOSED).exists()
    # Surveys: two SERVQUAL waves with the reliability gap the largest, the anonymous employee
    # survey answered from personal links, opinion cards rating the delivery crew.
    from sqms.surveys import analysis
    from sqms.surveys.models import Campaign as SurveyCampaign

    campaigns = {c.instrument.code: c for c in SurveyCampaign.objects.filter(status="open")}
    assert sorted(campaigns) == ["employee-satisfaction", "opinion-card", "servqual-22"]
    quality = User.objects.get(username="quality")
    sq = analysis.campaign_results(quality, campaigns["servqual-22"]).figures["servqual"]
    worst = min(sq["dimensions"], key=lambda d: d["gap"]["value"])
    assert worst["code"] == "reliability"
    assert analysis.campaign_results(quality, campaigns["employee-satisfaction"]).n >= 80
    assert campaigns["opinion-card"].responses.exclude(subject_staff=None).count() >= 80
    with pytest.raises(CommandError, match="already has an organisation"):
        call_command("demo", verbosity=0)
