"""The demo's inspections: a few months through the real services, with mystery-shopper visits
(the latest hidden from the store), sampling draws, one appeal upheld and one overturned, and
today's rounds for the daily QC report."""

import pytest
from django.core.management import call_command
from django.utils import timezone

from sqms.common.audit import audit_verify
from sqms.inspections import selectors
from sqms.inspections.models import Appeal, Inspection, Kind, SampleDraw, Status
from sqms.org.models import User


@pytest.mark.django_db
def test_demo_inspections(settings, tmp_path):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = tmp_path
    call_command("demo", "--months", "2", verbosity=0)
    submitted = Inspection.objects.filter(status=Status.SUBMITTED)
    assert submitted.count() >= 25
    assert submitted.filter(kind=Kind.MYSTERY).exists()
    assert set(Appeal.objects.values_list("outcome", flat=True)) == {"upheld", "overturned"}
    assert SampleDraw.objects.filter(plan__code="store-monthly-qc").count() >= 2
    store = User.objects.get(username="store")
    hidden = submitted.filter(kind=Kind.MYSTERY, published_at__isnull=True, unit__code="S001")
    assert hidden.exists()
    visible = set(selectors.inspection_queryset_for_user(store).values_list("pk", flat=True))
    assert not visible & set(hidden.values_list("pk", flat=True))
    today = timezone.localdate()
    assert any(
        timezone.localdate(i.visited_at) == today for i in submitted.filter(kind=Kind.QC_ROUND)
    ) or timezone.localtime().hour < 10
    assert Inspection.objects.filter(status=Status.DRAFT).count() == 1
    assert audit_verify()[1] == []
