"""The demo chain's monthly cashier evaluations under the retail-chain pack, through the real
services and "as of" the times they happened (sqms.common.clock):

- the month before last: evaluated on the 3rd of last month, opened for appeals, reviewed once
  the appeal window closed, approved and published to everyone in the stores — the bulletin with
  its service stars (last month's cannot be published yet: its appeal window is still open);
- last month: evaluated today and open for appeals, with the `cashier` login's appeal against
  her complaint line pending (she had a desk complaint, verified as substantiated);
- the store managers' evaluation of last month, still a draft only the quality department sees.

Before each month is evaluated, every member of a store's staff casts one service-star vote for
a cashier of his store with no complaint on record that month (the pack's KPI
`service-star-votes`, entered as the stores report them). Deterministic for a given seed."""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from sqms.common import clock
from sqms.complaints import services as complaint_services
from sqms.complaints.facts import complaint_counts
from sqms.complaints.models import Category
from sqms.core.periods import Period, PeriodKind, period_parse, period_previous
from sqms.evaluations import services
from sqms.evaluations.models import Run, SchemeVersion, Scorecard
from sqms.metrics.models import Kpi, Measurement
from sqms.metrics.services import measurement_record
from sqms.org.models import OrgUnit, Staff, UnitKind, User

SH = ZoneInfo("Asia/Shanghai")


def _at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=SH)


def _votes(rng: random.Random, period: Period) -> int:
    kpi = Kpi.objects.get(code="service-star-votes")
    cashiers = list(
        Staff.objects.filter(position__code="cashier", unit__kind=UnitKind.STORE)
        .exclude(end_date__lt=period.start)
        .order_by("pk")
    )
    on_record = complaint_counts(
        period.start, period.end, by="staff", ids=[c.pk for c in cashiers], what="recorded"
    )
    by_store: dict[int, list[Staff]] = defaultdict(list)
    for c in cashiers:
        by_store[c.unit_id].append(c)
    made = 0
    for store_id, members in sorted(by_store.items()):
        eligible = [c for c in members if on_record[c.pk].count == 0]
        voters = Staff.objects.filter(unit_id=store_id).exclude(end_date__lt=period.start).count()
        tally = {c.pk: 0 for c in members}
        for _voter in range(voters):
            if eligible:
                tally[rng.choice(eligible).pk] += 1
        for c in members:
            Measurement.objects.filter(kpi=kpi, staff=c, period_start=period.start).delete()
            measurement_record(
                actor=None,
                kpi=kpi,
                period_start=period.start,
                period_end=period.end,
                numerator=Decimal(tally[c.pk]),
                staff=c,
                note="门店全体员工投票",
                origin=Measurement.Origin.IMPORTED,
            )
            made += 1
    return made


def _cashier_complaint(period: Period) -> None:
    """A desk complaint about the `cashier` login in the month, verified as substantiated."""
    cashier = User.objects.select_related("staff__unit").get(username="cashier").staff
    assert cashier is not None
    store = cashier.unit
    manager_user = User.objects.filter(grants__unit=store, grants__role="unit_manager").first()
    manager = Staff.objects.filter(unit=store, position__code="store_manager").first()
    day = period.start + dt.timedelta(days=11)
    with clock.as_of(_at(day, 18, 20)):
        complaint = complaint_services.complaint_create(
            actor=manager_user,
            data=complaint_services.Intake(
                channel="desk",
                unit=store,
                description="结账时收银员态度生硬，顾客询问会员积分时不予理睬。",
                complainant_name="周女士",
                complainant_phone="13912345678",
                contact_preference="phone",
                staff=cashier,
                category=Category.objects.filter(code="attitude-ignore").first(),
            ),
        )
    if manager is not None:
        with clock.as_of(_at(day, 18, 40)):
            complaint_services.complaint_assign(
                complaint=complaint, actor=manager_user, assignee=manager
            )
    with clock.as_of(_at(day, 19, 0)):
        complaint_services.complaint_investigate(complaint=complaint, actor=manager_user)
    with clock.as_of(_at(day, 21, 0)):
        complaint_services.complaint_verify(
            complaint=complaint,
            actor=manager_user,
            substantiated=True,
            finding="调取监控核实：顾客两次询问积分，收银员未作回应。",
        )
    with clock.as_of(_at(day, 21, 30)):
        complaint_services.complaint_reply(
            complaint=complaint,
            actor=manager_user,
            reply="已向顾客致歉并补登积分。",
            improvement="收银员服务用语再培训。",
        )


def _version(code: str) -> SchemeVersion:
    return SchemeVersion.objects.get(scheme__code=code, state=SchemeVersion.State.ACTIVE)


def load_demo_evaluations(*, seed: int = 2026, now: dt.datetime | None = None) -> dict[str, int]:
    """Evaluate the month before last (published) and last month (open for appeals)."""
    rng = random.Random(seed + 6)
    now = now or timezone.now()
    today = now.astimezone(SH).date()
    last = period_previous(PeriodKind.MONTH, today)
    before = period_previous(PeriodKind.MONTH, last.start)
    company = OrgUnit.objects.filter(parent__isnull=True).order_by("pk").first()
    assert company is not None
    quality = User.objects.get(username="quality")
    cashier_user = User.objects.get(username="cashier")

    # The month before last, published.
    with transaction.atomic():
        votes = _votes(rng, before)
    opened_on = last.start + dt.timedelta(days=2)
    with clock.as_of(_at(opened_on, 9)):
        run = services.run_start(
            actor=quality,
            version=_version("cashier-monthly"),
            period=before.label,
            scope=company,
            enqueue=False,
        )
        run = services.run_compute(run.pk)
    with clock.as_of(_at(opened_on, 10)):
        run = services.run_open_appeals(actor=quality, run=run)
    appealed = 0
    closed_on = run.appeal_deadline.astimezone(SH).date() + dt.timedelta(days=1)  # type: ignore[union-attr]
    with clock.as_of(_at(closed_on, 9)):
        run = services.run_review(actor=quality, run=run)
    with clock.as_of(_at(closed_on, 14)):
        run = services.run_approve(actor=quality, run=run)
    with clock.as_of(_at(closed_on, 16)):
        run = services.run_publish(actor=quality, run=run, audience="all")
    published = run

    # Last month: her complaint, the votes, the evaluation opened for appeals, her appeal.
    with transaction.atomic():
        _cashier_complaint(last)
        votes += _votes(rng, last)
    moment = max(now - dt.timedelta(minutes=30), _at(today, 0, 5))
    with clock.as_of(moment):
        run = services.run_start(
            actor=quality,
            version=_version("cashier-monthly"),
            period=last.label,
            scope=company,
            enqueue=False,
        )
        run = services.run_compute(run.pk)
        run = services.run_open_appeals(actor=quality, run=run)
    mine = Scorecard.objects.get(run=run, staff_id=cashier_user.staff_id)
    line = mine.lines.filter(component="complaints", points__gt=0).first()
    if line is not None:
        with clock.as_of(moment + dt.timedelta(minutes=10)):
            services.appeal_file(
                actor=cashier_user,
                line=line,
                reason="顾客询问积分时我正在处理另一位顾客的退款，并非不予理睬，请调取完整监控。",
            )
        appealed += 1
    with clock.as_of(moment + dt.timedelta(minutes=15)):
        managers = services.run_start(
            actor=quality,
            version=_version("store-manager-monthly"),
            period=last.label,
            scope=company,
            enqueue=False,
        )
        services.run_compute(managers.pk)
    return {
        "runs": Run.objects.count(),
        "scorecards": Scorecard.objects.count(),
        "stars": Scorecard.objects.filter(run=published, star=True).count(),
        "votes": votes,
        "appeals": appealed,
        "published": int(period_parse(published.period_label).start.month),
    }
