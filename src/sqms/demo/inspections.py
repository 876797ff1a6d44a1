"""A few months of inspections for the demo chain, through the real services and "as of" the
times they happened (sqms.common.clock): the monthly QC rounds drawn by the retail-chain pack's
sampling plan, the stores' own self-checks, quarterly mystery-shopper visits of sampled cashiers
(the latest still unpublished, so the store cannot see them yet), one appeal upheld and one
overturned at 上海徐汇店, a duty manager's daily round, and today's rounds for the daily QC
report. Deterministic for a given seed."""

from __future__ import annotations

import datetime as dt
import io
import random
from zoneinfo import ZoneInfo

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from sqms.common import clock
from sqms.inspections import services
from sqms.inspections.models import (
    Appeal,
    ChecklistTemplate,
    Inspection,
    Kind,
    Photo,
    SampleEntry,
    SamplingPlan,
    Status,
)
from sqms.org.models import OrgUnit, User

SH = ZoneInfo("Asia/Shanghai")
NOTES = {
    "A2": "进店未问候",
    "A3": "3号收银台未唱收唱付",
    "B1": "高峰期排队7人，未加开收银台",
    "B4": "意见箱无纸笔",
    "C1": "生鲜区地面有积水",
    "C2": "乳品区价签与商品不符",
    "C3": "冷柜酸奶过期1天",
    "D1": "月记录未按时填写",
    "M1": "未微笑问候",
    "M3": "未主动提供小票",
    "M5": "未道别",
}
SCRIPTS = [
    "扮作普通顾客，购买两件日用品，结账时询问会员积分规则。",
    "询问某款牛奶是否有货，结账时用现金支付并要求开小票。",
    "结账后提出价签与收银价格不符的投诉，观察受理流程。",
]
COLOURS = [(214, 226, 240), (240, 226, 214), (226, 240, 214), (240, 214, 226)]


def _photo(rng: random.Random, name: str) -> SimpleUploadedFile:
    """A small stand-in photo (a coloured frame with a few shapes)."""
    from PIL import Image, ImageDraw

    img = Image.new("RGB", (320, 240), rng.choice(COLOURS))
    draw = ImageDraw.Draw(img)
    for _i in range(4):
        x, y = rng.randrange(20, 260), rng.randrange(20, 180)
        draw.rectangle(
            [x, y, x + rng.randrange(30, 80), y + rng.randrange(20, 60)],
            outline=(60, 60, 60),
            width=3,
        )
    out = io.BytesIO()
    img.save(out, format="JPEG", quality=70)
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/jpeg")


def _do(
    rng: random.Random,
    *,
    actor: User,
    template: ChecklistTemplate,
    at: dt.datetime,
    kind: str,
    unit: OrgUnit | None = None,
    staff: object = None,
    entry: SampleEntry | None = None,
    failures: int = 2,
    submit: bool = True,
    area: str = "",
    force: dict[str, int] | None = None,
) -> Inspection:
    with clock.as_of(at):
        inspection = services.inspection_start(
            actor=actor,
            template=template,
            unit=unit,
            staff=staff,  # type: ignore[arg-type]
            kind=kind,
            visited_at=at,
            sample_entry=entry,
            area=area,
            time_slot=f"{at:%H}:00-{(at + dt.timedelta(hours=1)):%H}:00",
            script=rng.choice(SCRIPTS) if kind == Kind.MYSTERY else "",
        )
        answers = list(inspection.answers.select_related("item"))
        candidates = [a for a in answers if a.item.veto == "" and a.item.points > 0]
        chosen = {
            a.item.code: rng.choice([1, 1, 1, 2])
            for a in rng.sample(candidates, k=min(failures, len(candidates)))
        }
        chosen.update(force or {})
        by_code = {a.item.code: a for a in answers}
        for code, n in chosen.items():
            a = by_code[code]
            services.inspection_answer(
                actor=actor,
                inspection=inspection,
                answer_id=a.pk,
                nonconformities=n,
                note=NOTES.get(code, ""),
            )
            if a.item.evidence_required:
                services.photo_add(
                    actor=actor,
                    inspection=inspection,
                    file=_photo(rng, f"{code}.jpg"),
                    answer_id=a.pk,
                )
        for a in answers:
            if a.item.na_allowed and a.item.code not in chosen and rng.random() < 0.15:
                services.inspection_answer(
                    actor=actor, inspection=inspection, answer_id=a.pk, not_applicable=True
                )
        if kind == Kind.MYSTERY:
            services.photo_add(
                actor=actor,
                inspection=inspection,
                file=_photo(rng, "receipt.jpg"),
                role=Photo.Role.RECEIPT,
            )
            services.inspection_update(
                actor=actor, inspection=inspection, visit_end=at + dt.timedelta(minutes=18)
            )
        if submit:
            services.inspection_answer_rest(actor=actor, inspection=inspection)
            inspection = services.inspection_submit(actor=actor, inspection=inspection)
    return inspection


def load_demo_inspections(
    *, seed: int = 2026, months: int = 4, now: dt.datetime | None = None
) -> dict[str, int]:
    """Replay `months` months of inspections up to `now` (the retail-chain pack loaded)."""
    rng = random.Random(seed + 4)
    now = (now or timezone.now()).astimezone(SH)
    quality = User.objects.get(username="quality")
    inspector = User.objects.get(username="inspector")
    store_template = ChecklistTemplate.objects.get(code="store-service")
    mystery_template = ChecklistTemplate.objects.get(code="store-mystery")
    stores = list(OrgUnit.objects.filter(kind="store", is_active=True).order_by("code"))
    managers = {
        s.pk: User.objects.filter(grants__unit=s, grants__role="unit_manager").first()
        for s in stores
    }
    qc_plan = SamplingPlan.objects.get(code="store-monthly-qc")
    mystery_plan = SamplingPlan.objects.get(code="cashier-mystery")
    home = stores[0]
    services.schedule_save(
        actor=quality,
        template=store_template,
        unit=home,
        frequency="day",
        kind=Kind.SELF_CHECK,
        assignee=managers.get(home.pk),
        starts_on=(now - dt.timedelta(days=14)).date(),
    )
    for store in stores[1:4]:
        services.schedule_save(
            actor=quality,
            template=store_template,
            unit=store,
            frequency="month",
            kind=Kind.JOINT,
            starts_on=(now - dt.timedelta(days=60)).date(),
        )
    first_month = (now.replace(day=1) - dt.timedelta(days=31 * (months - 1))).replace(day=1)
    month = first_month
    made = 0
    home_qc: list[Inspection] = []
    while month <= now:
        draw_at = month.replace(day=1, hour=9, minute=0, second=0, microsecond=0)
        with clock.as_of(max(draw_at, month)):
            draw = services.sample_draw(actor=quality, plan=qc_plan, day=month.date())
        for entry in draw.entries.select_related("unit"):
            at = month.replace(
                day=rng.randrange(3, 27),
                hour=rng.randrange(9, 20),
                minute=rng.choice([0, 15, 30, 45]),
            )
            if at >= now - dt.timedelta(days=1):
                continue  # this month's remaining rounds are still to do (completion < quota)
            home_qc.append(
                _do(
                    rng,
                    actor=inspector,
                    template=store_template,
                    at=at,
                    kind=Kind.QC_ROUND,
                    entry=entry,
                    failures=rng.randrange(0, 4),
                    area="卖场",
                )
            )
            made += 1
        for store in rng.sample(stores, k=3):
            at = month.replace(day=rng.randrange(2, 28), hour=rng.randrange(9, 20), minute=0)
            if at < now - dt.timedelta(days=1):
                _do(
                    rng,
                    actor=inspector,
                    template=store_template,
                    at=at,
                    kind=Kind.QC_ROUND,
                    unit=store,
                    failures=rng.randrange(0, 5),
                    area="收银区",
                )
                made += 1
        # The stores' own weekly self-checks.
        for store in stores:
            manager = managers.get(store.pk)
            if manager is None:
                continue
            for week in range(0, 28, 7):
                at = month.replace(day=1 + week, hour=8, minute=30) + dt.timedelta(
                    days=rng.randrange(0, 3)
                )
                if at >= now - dt.timedelta(hours=2) or rng.random() < 0.5:
                    continue
                _do(
                    rng,
                    actor=manager,
                    template=store_template,
                    at=at,
                    kind=Kind.SELF_CHECK,
                    unit=store,
                    failures=rng.randrange(0, 3),
                    area="全店",
                )
                made += 1
        if month.month in (1, 4, 7, 10) or month == first_month:
            with clock.as_of(draw_at):
                mdraw = services.sample_draw(actor=quality, plan=mystery_plan, day=month.date())
            for entry in mdraw.entries.select_related("staff"):
                at = month.replace(
                    day=rng.randrange(5, 25),
                    hour=rng.randrange(10, 21),
                    minute=rng.choice([5, 20, 40]),
                )
                if at >= now - dt.timedelta(days=1):
                    continue
                inspection = _do(
                    rng,
                    actor=inspector,
                    template=mystery_template,
                    at=at,
                    kind=Kind.MYSTERY,
                    entry=entry,
                    failures=rng.randrange(0, 3),
                )
                made += 1
                if at < now - dt.timedelta(days=20):
                    with clock.as_of(at + dt.timedelta(days=2)):
                        services.inspection_publish(actor=quality, inspection=inspection)
        nxt = (month.replace(day=28) + dt.timedelta(days=5)).replace(day=1)
        month = nxt
    # A covert visit at 上海徐汇店 last week, not yet published: hidden from the store.
    cashier = (
        home.staff.filter(position__code="cashier", end_date__isnull=True).order_by("pk").first()
    )
    if cashier is not None:
        _do(
            rng,
            actor=inspector,
            template=mystery_template,
            at=now - dt.timedelta(days=6, hours=3),
            kind=Kind.MYSTERY,
            staff=cashier,
            failures=2,
        )
        made += 1
    # Two appeals at 上海徐汇店: one overturned, one upheld.
    store_user = managers.get(home.pk)
    appealed = 0
    for outcome, item, statement, reason in (
        (
            Appeal.Outcome.OVERTURNED,
            "B1",
            "检查时段正逢系统故障，收银台暂停，已有店员疏导排队，见监控截图。",
            "核实监控属实，系统故障期间不计扣分。",
        ),
        (
            Appeal.Outcome.UPHELD,
            "C2",
            "价签是当天上午刚换的，检查时尚未全部更新。",
            "价签应在调价生效前更换完毕，扣分维持。",
        ),
    ):
        at = now - dt.timedelta(days=24 + 8 * appealed, hours=5)
        inspection = _do(
            rng,
            actor=inspector,
            template=store_template,
            at=at,
            kind=Kind.QC_ROUND,
            unit=home,
            failures=1,
            force={item: 2},
            area="收银区",
        )
        answer = inspection.answers.get(item__code=item)
        if store_user is not None:
            with clock.as_of(at + dt.timedelta(days=1)):
                appeal = services.appeal_file(
                    actor=store_user,
                    answer=answer,
                    statement=statement,
                    evidence=_photo(rng, "evidence.jpg"),
                )
            with clock.as_of(at + dt.timedelta(days=2, hours=3)):
                services.appeal_decide(actor=quality, appeal=appeal, outcome=outcome, reason=reason)
            appealed += 1
        made += 1
    # Today's rounds, for the daily QC report, and a draft the inspector is filling in.
    today = now.replace(hour=9, minute=10, second=0, microsecond=0)
    for hours, store in ((0, home), (2, stores[1]), (4, stores[4])):
        at = today + dt.timedelta(hours=hours)
        if at < now:
            _do(
                rng,
                actor=inspector,
                template=store_template,
                at=at,
                kind=Kind.QC_ROUND,
                unit=store,
                failures=2,
                force={"C1": 1},
                area="生鲜区",
            )
            made += 1
    _do(
        rng,
        actor=inspector,
        template=store_template,
        at=now - dt.timedelta(minutes=20),
        kind=Kind.QC_ROUND,
        unit=stores[2],
        failures=1,
        submit=False,
        area="收银区",
    )
    return {
        "inspections": Inspection.objects.filter(status=Status.SUBMITTED).count(),
        "mystery": Inspection.objects.filter(kind=Kind.MYSTERY).count(),
        "appeals": Appeal.objects.count(),
        "made": made,
    }
