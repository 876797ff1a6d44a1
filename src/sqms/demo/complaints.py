"""A few months of realistic complaints for the demo chain, replayed through the real services
"as of" the instants they happened (sqms.common.clock), so every timeline, deadline, breach,
escalation, reopening and follow-up visit is what the product itself would have recorded.
Deterministic for a given seed."""

from __future__ import annotations

import contextlib
import datetime as dt
import heapq
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.utils import timezone

from sqms.common import clock
from sqms.common.errors import DomainError
from sqms.complaints import registers, services
from sqms.complaints.models import OPEN_STATUSES, Category, Complaint
from sqms.org.models import OrgUnit, Staff, UnitKind, User

SH = ZoneInfo("Asia/Shanghai")

TEXTS: dict[str, list[str]] = {
    "service-speed": [
        "周六下午只开了两个收银台，排队二十多分钟，没有人来加开通道。",
        "晚上八点结账排长队，收银员动作很慢，还在和同事聊天。",
    ],
    "service-error": [
        "买了两盒牛奶被扫成三盒，回家核对小票才发现多收了钱。",
        "会员积分没有累计上，收银员说系统问题让我自己找客服。",
        "找零少给了十元，当场指出后收银员态度不耐烦。",
    ],
    "service-procedure": [
        "收银员没有唱收唱付，直接把零钱丢在台面上。",
        "购物袋收费没有提前告知，结账后才发现多了两元。",
    ],
    "attitude-rude": [
        "收银员态度恶劣，我问能不能用优惠券，她说看不懂就别用。",
        "询问商品位置时店员翻白眼，说自己找。",
        "退货时服务台员工语气很冲，让我在顾客面前很难堪。",
    ],
    "attitude-ignore": [
        "在服务台等了十分钟没有人理，员工一直在看手机。",
        "结账时收银员一直打电话，全程没有看我一眼。",
    ],
    "environment-clean": [
        "生鲜区地面湿滑有积水，老人差点摔倒。",
        "卫生间很脏，没有纸巾，也没有清洁记录。",
    ],
    "environment-facility": [
        "停车场出口道闸坏了一周还没修，每次都要等人工开闸。",
        "购物车很多轮子坏了，推起来很费劲。",
    ],
    "merchandise": [
        "昨天买的面包今天打开发现有霉点，生产日期是前天。",
        "冷柜里的酸奶已经过期两天还在销售。",
        "买的苹果里面烂了一半，外观看不出来。",
    ],
    "price": [
        "货架标价9.9元，结账按12.8元收费，价签和系统不一致。",
        "促销海报写买一送一，结账时说活动已结束但海报没撤。",
    ],
    "other": ["希望门店增加无糖食品的品种。", "建议延长营业时间到晚上十点。"],
}
CATEGORY_WEIGHTS = [
    ("service-speed", 10),
    ("service-error", 12),
    ("service-procedure", 6),
    ("attitude-rude", 14),
    ("attitude-ignore", 8),
    ("environment-clean", 7),
    ("environment-facility", 5),
    ("merchandise", 12),
    ("price", 9),
    ("other", 4),
]
CHANNEL_WEIGHTS = [("desk", 35), ("hotline", 25), ("slip", 15), ("web", 20), ("email", 5)]
REPLIES = [
    "已向顾客当面致歉，退还多收款项并赠送购物券。",
    "已电话联系顾客说明情况并致歉，相关员工已批评教育。",
    "已核实并整改，感谢顾客的监督。",
    "已更换商品并退款，门店加强了临期商品检查。",
]
IMPROVEMENTS = [
    "高峰时段增开收银通道，店长现场督导。",
    "组织收银员服务规范培训并考核。",
    "每日开店前检查价签与系统价格一致。",
    "生鲜区每小时巡检地面并记录。",
]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"


@dataclass(order=True)
class Step:
    at: dt.datetime
    seq: int
    run: Callable[[], None] = field(compare=False)


def _pick(rng: random.Random, weighted: list[tuple[str, int]]) -> str:
    return rng.choices([k for k, _w in weighted], [w for _k, w in weighted])[0]


def load_demo_complaints(
    *, seed: int = 2026, months: int = 4, now: dt.datetime | None = None
) -> dict[str, int]:
    """Replay `months` months of complaints up to `now` across the demo stores."""
    rng = random.Random(seed)
    now = now or timezone.now()
    stores = list(OrgUnit.objects.filter(kind=UnitKind.STORE, is_active=True).order_by("code"))
    cats = {c.code: c for c in Category.objects.all()}
    managers: dict[int, User] = {}
    for store in stores:
        user = User.objects.filter(grants__unit=store, grants__role="unit_manager").first()
        managers[store.pk] = user or User.objects.get(username="quality")
    quality = User.objects.get(username="quality")
    region_users = {
        u.grants.first().unit_id: u  # type: ignore[union-attr]
        for u in User.objects.filter(
            grants__unit__kind=UnitKind.REGION, grants__role="unit_manager"
        )
    }
    hotline = User.objects.filter(username="hotline").first() or quality
    start = (
        (now - dt.timedelta(days=30 * months))
        .astimezone(SH)
        .replace(hour=0, minute=0, second=0, microsecond=0)
    )
    queue: list[Step] = []
    seq = iter(range(10**9))

    def later(at: dt.datetime, run: Callable[[], None]) -> None:
        if at < now:
            heapq.heappush(queue, Step(at, next(seq), run))

    def hours(h: float) -> dt.timedelta:
        return dt.timedelta(hours=h)

    def plan(store: OrgUnit, at: dt.datetime) -> None:
        category = _pick(rng, CATEGORY_WEIGHTS)
        channel = _pick(rng, CHANNEL_WEIGHTS)
        staff_pool = list(
            Staff.objects.filter(unit=store, end_date__isnull=True, position__code="cashier")
        )
        staff = (
            rng.choice(staff_pool)
            if staff_pool and category.startswith(("service", "attitude"))
            else None
        )
        anonymous = channel == "slip" and rng.random() < 0.4
        phone = (
            ""
            if anonymous
            else rng.choice(["138", "139", "186", "152"]) + f"{rng.randrange(10**8):08d}"
        )
        name = "" if anonymous else rng.choice(SURNAMES) + rng.choice(["先生", "女士"])
        manager = managers[store.pk]
        actor = hotline if channel == "hotline" else (None if channel == "web" else manager)
        holder: dict[str, Complaint] = {}
        fate = rng.random()

        def create() -> None:
            holder["c"] = services.complaint_create(
                actor=actor,
                check_scope=actor is not None,
                data=services.Intake(
                    channel=channel,
                    unit=store,
                    description=rng.choice(TEXTS[category]),
                    complainant_name=name,
                    complainant_phone=phone,
                    contact_preference="none" if anonymous else "phone",
                    anonymous=anonymous,
                    staff=staff,
                    category=cats.get(category),
                    urgency=3 if rng.random() < 0.08 else 2,
                ),
            )

        later(at, create)

        def c() -> Complaint:
            return Complaint.objects.get(pk=holder["c"].pk)

        handler_user = manager
        handler_staff = Staff.objects.filter(unit=store, position__code="store_manager").first()
        if category in ("merchandise", "price"):
            handler_user = quality
            handler_staff = Staff.objects.filter(unit__code="D-PUR").order_by("pk").first()
        if fate < 0.03:
            later(
                at + hours(2),
                lambda: _safe(
                    lambda: services.complaint_void(complaint=c(), actor=quality, reason="重复登记")
                ),
            )
            return
        if fate < 0.06:
            later(
                at + hours(5),
                lambda: _safe(
                    lambda: services.complaint_withdraw(
                        complaint=c(),
                        actor=handler_user,
                        reason="顾客来电表示问题已自行解决，撤回投诉",
                    )
                ),
            )
            return
        late = rng.random() < 0.15
        # Some recent complaints are still being handled, and some of those are late.
        # The first store's manager (the `store` login) always has some of these in his list.
        stuck = now - at < dt.timedelta(days=10) and (rng.random() < 0.35 or store.code == "S001")
        t = at + hours(rng.uniform(0.3, 3))
        if handler_staff is not None:
            later(
                t,
                lambda: _safe(
                    lambda: services.complaint_assign(
                        complaint=c(), actor=handler_user, assignee=handler_staff
                    )
                ),
            )
        t += hours(rng.uniform(0.5, 4))
        later(
            t,
            lambda: _safe(
                lambda: services.complaint_investigate(complaint=c(), actor=handler_user)
            ),
        )
        if stuck:
            if rng.random() < 0.5:  # beyond the store's authority: waiting for the region
                later(
                    t + hours(1),
                    lambda: _safe(
                        lambda: services.complaint_escalate(
                            complaint=c(),
                            actor=manager,
                            reason="顾客要求的赔偿超出门店权限，请区域经理决定。",
                        )
                    ),
                )
            return
        if rng.random() < 0.1:
            region = region_users.get(store.parent_id)
            t += hours(1)
            later(
                t,
                lambda: _safe(
                    lambda: services.complaint_escalate(
                        complaint=c(),
                        actor=manager,
                        reason="涉及退款金额超出门店权限，请区域经理决定。",
                    )
                ),
            )
            if region is not None and rng.random() < 0.8:
                t += hours(rng.uniform(2, 10))

                def answer() -> None:
                    esc = c().escalations.filter(answered_at__isnull=True, automatic=False).first()
                    if esc is not None:
                        services.escalation_answer(
                            escalation=esc,
                            actor=region,
                            answer="同意全额退款并赠送50元购物券，由门店执行。",
                        )

                later(t, lambda: _safe(answer))
        substantiated = rng.random() < 0.7
        t += hours(rng.uniform(1, 6))
        later(
            t,
            lambda: _safe(
                lambda: services.complaint_verify(
                    complaint=c(),
                    actor=handler_user,
                    substantiated=substantiated,
                    finding="经调查属实，员工存在过错。"
                    if substantiated
                    else "经调取监控核实，与顾客描述不符。",
                )
            ),
        )
        reply_after = rng.uniform(26, 90) if late else rng.uniform(2, 10)
        t = max(t + hours(0.5), at + hours(reply_after))
        later(
            t,
            lambda: _safe(
                lambda: services.complaint_reply(
                    complaint=c(),
                    actor=handler_user,
                    reply=rng.choice(REPLIES),
                    improvement=rng.choice(IMPROVEMENTS),
                )
            ),
        )
        if anonymous:
            later(
                t + hours(1),
                lambda: _safe(
                    lambda: services.complaint_close(
                        complaint=c(), actor=handler_user, note="匿名意见，无法回访"
                    )
                ),
            )
            return
        t += hours(rng.uniform(20, 50))
        mood = rng.random()
        if mood < 0.08:
            later(
                t,
                lambda: _safe(
                    lambda: services.complaint_follow_up(
                        complaint=c(),
                        actor=quality,
                        satisfaction="dissatisfied",
                        accepted=False,
                        note="顾客认为补偿不足",
                    )
                ),
            )
            t += hours(rng.uniform(4, 30))
            later(
                t,
                lambda: _safe(
                    lambda: services.complaint_reply(
                        complaint=c(),
                        actor=handler_user,
                        reply="再次致歉并按顾客要求全额退款。",
                        improvement="",
                    )
                ),
            )
            t += hours(rng.uniform(20, 40))
            later(
                t,
                lambda: _safe(
                    lambda: services.complaint_follow_up(
                        complaint=c(), actor=quality, satisfaction="basic", accepted=True
                    )
                ),
            )
        else:
            satisfaction = "satisfied" if mood < 0.85 else "basic"
            later(
                t,
                lambda: _safe(
                    lambda: services.complaint_follow_up(
                        complaint=c(), actor=quality, satisfaction=satisfaction, accepted=True
                    )
                ),
            )

    day = start
    while day < now:
        for store in stores:
            rate = 0.12 if store.code in ("S001", "S005", "S009") else 0.07
            if rng.random() < rate * 2:
                at = day + dt.timedelta(hours=rng.uniform(9, 21))
                if at < now:
                    plan(store, at)
        day += dt.timedelta(days=1)

    sweep_at = start + dt.timedelta(hours=1)
    while queue:
        step = heapq.heappop(queue)
        while sweep_at <= step.at:
            with clock.as_of(sweep_at):
                services.sla_sweep(sweep_at)
            sweep_at += dt.timedelta(hours=4)
        with clock.as_of(step.at):
            step.run()
    with clock.as_of(now):
        services.sla_sweep(now)
    _replay_registers(rng, start, now, stores, managers)
    return {
        "complaints": Complaint.objects.count(),
        "open": Complaint.objects.filter(status__in=OPEN_STATUSES).count(),
        "breached": Complaint.objects.filter(breached=True).count(),
    }


def _safe(run: Callable[[], object]) -> None:
    """A planned step that no longer applies (the complaint moved on) is skipped, as a real
    operator would skip it."""
    with contextlib.suppress(DomainError, KeyError):
        run()


def _replay_registers(
    rng: random.Random,
    start: dt.datetime,
    now: dt.datetime,
    stores: list[OrgUnit],
    managers: dict[int, User],
) -> None:
    """Each month's registers: most stores submit a few days before the 13th, one submits late,
    one has not submitted last month's at all (and is flagged to its region)."""
    month = registers.next_month(registers.month_start(start.astimezone(SH).date()))
    last = registers.previous_month(registers.month_start(now.astimezone(SH).date()))
    while month <= last:
        for i, store in enumerate(stores):
            reg = registers.register_compile(store, month)
            if month == last and i == 5:
                continue  # never submitted: the daily check flags it
            day = 9 + rng.randrange(4) if not (i == 2 and month != last) else 15
            at = dt.datetime.combine(reg.due_date.replace(day=day), dt.time(10), SH)
            if at >= now:
                continue
            with clock.as_of(at):
                _safe(
                    lambda r=reg, m=managers[store.pk]: registers.register_submit(
                        actor=m, register=r
                    )
                )
        month = registers.next_month(month)
    with clock.as_of(now):
        registers.register_flag_overdue(now.astimezone(SH).date())
