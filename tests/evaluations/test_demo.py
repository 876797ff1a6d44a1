"""The demo's evaluations: the month before last published with service stars, last month open
for appeals with the cashier's appeal pending, the store managers' month a draft."""

import datetime as dt

import pytest
import time_machine
from django.core.management import call_command

from sqms.common.audit import audit_verify
from sqms.evaluations.models import Appeal, Run, RunStatus, Scorecard
from sqms.evaluations.services import run_recompute_check
from sqms.org.models import User

SH = dt.timezone(dt.timedelta(hours=8))


@pytest.mark.django_db
def test_demo_evaluations(settings) -> None:  # type: ignore[no-untyped-def]
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    with time_machine.travel(dt.datetime(2026, 12, 1, 10, 0, tzinfo=SH), tick=False):
        call_command("demo", "--months", "3", verbosity=0)
    runs = {
        (r.version.scheme.code, r.period_label): r
        for r in Run.objects.select_related("version__scheme")
    }
    published = runs[("cashier-monthly", "2026-10")]
    assert published.status == RunStatus.PUBLISHED
    assert published.audience == "all"
    stars = Scorecard.objects.filter(run=published, star=True)
    assert stars.count() >= 1
    assert all(c.outcomes["star"]["eligible"] for c in stars)
    assert run_recompute_check(published) == []
    open_run = runs[("cashier-monthly", "2026-11")]
    assert open_run.status == RunStatus.APPEALS
    appeal = Appeal.objects.get()
    assert (appeal.state, appeal.filed_by.username, appeal.line.component) == (
        "pending",
        "cashier",
        "complaints",
    )
    cashier = User.objects.get(username="cashier")
    mine = Scorecard.objects.get(run=open_run, staff=cashier.staff)
    assert mine.outcomes["ladder"]["count"] >= 1
    assert runs[("store-manager-monthly", "2026-11")].status == RunStatus.DRAFT
    assert audit_verify()[1] == []
