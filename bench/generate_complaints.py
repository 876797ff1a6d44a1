"""A year of complaints for the national chain, for the benchmark only.

    python bench/generate_complaints.py --complaints 1000000 --seed 1 [--manifest out.json]

into a database that bench/generate.py has filled (the org) and that has no complaints yet:

1. loads the `retail-chain` pack if no category exists (categories, time limits);
2. one login per store manager (role unit manager on the store, linked to the store's manager),
   so that intake notifies somebody as it would in production (an in-app notice; no e-mail
   address, so no mail task is queued);
3. `--intake-users` hotline logins `bench-intake-NN` (roles staff and inspector on the company:
   they register complaints for any store and may name its employees) with one API token
   each, through the real services;
4. `--complaints` complaints over the 12 months before now: stores weighted by their staff and
   a random popularity, channels, categories (product and price ones routed to the purchasing
   department), statuses by age (most older ones closed, a few withdrawn or voided; the recent
   ones received/assigned/investigating/replied; open ones past their deadline are late and
   breached), substantiated or not once verified, the staff member concerned for service and
   attitude complaints, the assignee, reply/closing times;
5. time-limit clocks (`SlaClock`) for every open complaint, per its channel's policy, with
   `next_deadline` and `breached` kept consistent with them.

Like bench/generate.py it writes straight into the tables (complaints and clocks with one
multi-row INSERT per batch on SQLite and COPY on PostgreSQL), bypassing the services: no
timeline events and no audit entries for the bulk data. Only the hotline logins and tokens go
through the services. Deterministic for a given seed and day: times are drawn relative to
today 00:00 (local), so open/late complaints are open/late when the benchmark runs.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import random
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from django.contrib.auth.hashers import make_password  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.db.models import Count, Q  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench.generate import BENCH_REGION_CODE, _name, _phone  # noqa: E402  (sets Django up)
from sqms.common.memo import bump  # noqa: E402
from sqms.common.tokens import token_create  # noqa: E402
from sqms.complaints.models import (  # noqa: E402
    OPEN_STATUSES,
    Category,
    Complaint,
    SlaClock,
    SlaPolicy,
)
from sqms.org import services  # noqa: E402
from sqms.org.models import OrgUnit, RoleGrant, Staff, UnitKind, User  # noqa: E402
from sqms.org.roles import Role  # noqa: E402
from sqms.packs.loader import pack_load  # noqa: E402

PACK = "retail-chain"
INTAKE_USER = "bench-intake-{:02d}"
PURCHASING_CODE = "D-PUR"
BATCH = 20_000
REF_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
REF_SPACE = 32**8
REF_MULTIPLIER = 0x2545F491  # odd, so i -> i * M mod 32**8 is a bijection: unique refs
INTAKE_STORE_SAMPLE = 1000  # stores (with one employee each) the intake load posts to

CHANNELS = [("desk", 35), ("hotline", 25), ("slip", 15), ("web", 15), ("api", 5), ("email", 5)]
CATEGORY_WEIGHTS = {
    "service-speed": 12,
    "service-error": 8,
    "service-procedure": 6,
    "attitude-rude": 10,
    "attitude-ignore": 6,
    "environment-clean": 6,
    "environment-facility": 4,
    "merchandise": 22,
    "price": 14,
    "other": 12,
}
# (status, weight) by age of the complaint in days: the older, the more likely it is done.
STATUS_BY_AGE: list[tuple[float, list[tuple[str, float]]]] = [
    (1, [("received", 50), ("assigned", 30), ("investigating", 20)]),
    (3, [("received", 8), ("assigned", 15), ("investigating", 30), ("replied", 35),
         ("closed", 12)]),
    (14, [("investigating", 5), ("replied", 20), ("follow_up", 10), ("closed", 65)]),
    (
        math.inf,
        [
            ("closed", 93),
            ("replied", 1),
            ("investigating", 0.5),
            ("withdrawn", 3),
            ("voided", 2.5),
        ],
    ),
]  # fmt: skip
VERIFIED = {"replied", "follow_up", "closed"}
WHAT = {
    "service": ["排队结账等了二十多分钟", "收银员多收了钱", "没有按规定开小票", "退货手续办了很久"],
    "attitude": ["服务员态度很差，说话很冲", "问了三次都没人理", "保安对顾客大声呵斥"],
    "environment": ["地面很滑差点摔倒", "卫生间很脏", "空调不制冷", "购物车都是坏的"],
    "merchandise": ["买的牛奶已经过期", "水果里面是烂的", "包装破损", "买到的面包有异味"],
    "price": ["标价和结账价格不一致", "促销价没有生效", "会员折扣没有打"],
    "other": ["停车场收费不合理", "希望增加营业时间", "建议增加自助收银"],
}
TAILS = ["，希望尽快处理。", "，请给个说法。", "。", "，已经不是第一次了。", "，要求退款。"]
HOURS = [(9, 4), (10, 6), (11, 9), (12, 9), (13, 7), (14, 6), (15, 6), (16, 7), (17, 9)]
HOURS += [(18, 10), (19, 10), (20, 8), (21, 5)]


@dataclass
class Org:
    """What the complaints are drawn from."""

    stores: list[tuple[int, str, str]] = field(default_factory=list)  # (id, code, path)
    store_weights: list[float] = field(default_factory=list)
    store_staff: dict[int, list[int]] = field(default_factory=dict)
    store_manager: dict[int, int] = field(default_factory=dict)  # store id -> staff id
    purchasing: int = 0
    purchasing_staff: list[int] = field(default_factory=list)
    categories: dict[str, tuple[int, int | None, str]] = field(default_factory=dict)
    policies: dict[str, SlaPolicy] = field(default_factory=dict)


def load_org() -> Org:
    org = Org()
    stores = list(
        OrgUnit.objects.filter(kind=UnitKind.STORE).order_by("pk").values_list("pk", "code", "path")
    )
    if not stores:
        raise RuntimeError("no stores: run bench/generate.py first")
    org.stores = stores
    for sid, uid, pos in Staff.objects.filter(
        unit__kind=UnitKind.STORE, end_date__isnull=True
    ).values_list("pk", "unit_id", "position__code"):
        org.store_staff.setdefault(uid, []).append(sid)
        if pos == "store_manager":
            org.store_manager[uid] = sid
    purchasing = OrgUnit.objects.get(code=PURCHASING_CODE)
    org.purchasing = purchasing.pk
    org.purchasing_staff = list(Staff.objects.filter(unit=purchasing).values_list("pk", flat=True))
    for cat in Category.objects.select_related("parent"):
        if cat.code in CATEGORY_WEIGHTS:
            top = cat.parent.code if cat.parent else cat.code
            org.categories[cat.code] = (cat.pk, cat.route_to_id, top)
    missing = set(CATEGORY_WEIGHTS) - set(org.categories)
    if missing:
        raise RuntimeError(f"categories missing from the pack: {sorted(missing)}")
    for p in SlaPolicy.objects.filter(urgency__isnull=True):
        org.policies[p.channel] = p
    return org


def make_managers(org: Org) -> int:
    """One login per store manager, with the unit-manager role on the store (bulk: no audit)."""
    unusable = make_password(None)
    users = [
        User(username=f"sm-{code.lower()}", password=unusable, staff_id=org.store_manager[pk])
        for pk, code, _path in org.stores
        if pk in org.store_manager
    ]
    User.objects.bulk_create(users, batch_size=2000)
    by_name = dict(User.objects.filter(username__startswith="sm-").values_list("username", "pk"))
    grants = [
        RoleGrant(user_id=by_name[f"sm-{code.lower()}"], role=Role.UNIT_MANAGER, unit_id=pk)
        for pk, code, _path in org.stores
        if pk in org.store_manager
    ]
    RoleGrant.objects.bulk_create(grants, batch_size=2000)
    return len(users)


def make_intake_users(n: int) -> list[str]:
    """`n` hotline logins on the company with one API token each; returns the tokens."""
    root = OrgUnit.objects.get(parent__isnull=True)
    tokens = []
    for i in range(1, n + 1):
        user = services.user_create(actor=None, username=INTAKE_USER.format(i), password=None)
        services.role_grant(actor=None, user=user, role=Role.STAFF, unit=root)
        # Org view too: naming the employee concerned needs to see the store's staff.
        services.role_grant(actor=None, user=user, role=Role.INSPECTOR, unit=root)
        _token, plain = token_create(actor=None, user=user, name="bench intake")
        tokens.append(plain)
    return tokens


def _ref(i: int, at: dt.datetime) -> str:
    n = (i * REF_MULTIPLIER) % REF_SPACE
    tail = []
    for _ in range(8):
        n, r = divmod(n, 32)
        tail.append(REF_ALPHABET[r])
    return f"{timezone.localtime(at):%y%m}-{''.join(tail)}"


def _limit(amount: Any, unit: str) -> dt.timedelta:
    """A time limit as elapsed time, roughly (bench data, not the working-calendar arithmetic:
    a working day is taken as 1.4 calendar days, a working hour as 2.6 hours)."""
    a = float(amount)
    return {
        "calendar_hours": dt.timedelta(hours=a),
        "calendar_days": dt.timedelta(days=a),
        "working_hours": dt.timedelta(hours=a * 2.6),
        "working_days": dt.timedelta(days=a * 1.4),
    }[unit]


def sqlite_value(v: Any) -> Any:
    """A value as Django stores it in SQLite (datetimes in UTC, without offset)."""
    if isinstance(v, dt.datetime):
        return v.astimezone(dt.UTC).replace(tzinfo=None).isoformat(" ")
    if isinstance(v, dt.timedelta):
        return int(v.total_seconds() * 1_000_000)
    return v


class Writer:
    """Appends rows to one table as fast as the backend allows (COPY on PostgreSQL, multi-row
    INSERT on SQLite), with values already in the database's representation."""

    def __init__(self, model: Any) -> None:
        self.table = model._meta.db_table
        fields = [f for f in model._meta.concrete_fields if not f.primary_key]
        self.columns = [f.attname for f in fields]
        # Columns a step does not name get the model's default (the models may grow fields).
        self.defaults = {f.attname: f.get_default() for f in fields}
        self.pg = connection.vendor == "postgresql"

    def row(self, values: dict[str, Any]) -> tuple[Any, ...]:
        unknown = values.keys() - self.defaults.keys()
        if unknown:
            raise RuntimeError(f"{self.table} has no column(s) {sorted(unknown)}")
        return tuple(values[c] if c in values else self.defaults[c] for c in self.columns)

    def write(self, rows: list[tuple[Any, ...]]) -> None:
        if not rows:
            return
        cols = ", ".join(f'"{c}"' for c in self.columns)
        with connection.cursor() as cur:
            if self.pg:
                with cur.cursor.copy(f'COPY "{self.table}" ({cols}) FROM STDIN') as copy:
                    for row in rows:
                        copy.write_row(row)
                return
            # SQLite: at most 32,766 parameters per statement.
            per = max(1, 32_000 // len(self.columns))
            for start in range(0, len(rows), per):
                chunk = rows[start : start + per]
                marks = "(" + ", ".join("?" * len(self.columns)) + ")"
                sql = f'INSERT INTO "{self.table}" ({cols}) VALUES ' + ", ".join(
                    [marks] * len(chunk)
                )
                flat = [sqlite_value(v) for row in chunk for v in row]
                cur.cursor.execute(sql, flat)


def _pick(rng: random.Random, table: list[tuple[str, float]]) -> str:
    x = rng.random() * sum(w for _s, w in table)
    for s, w in table:
        x -= w
        if x < 0:
            return s
    return table[-1][0]


def make_complaints(org: Org, n: int, seed: int, now: dt.datetime) -> dict[str, float]:
    """`n` complaints over the 365 days before `now`, written in batches. Returns timings."""
    rng = random.Random(f"sqms-bench:{seed}:complaints")
    timings: dict[str, float] = {}
    store_w = [
        len(org.store_staff.get(pk, [])) * rng.lognormvariate(0, 0.6) + 0.5
        for pk, _c, _p in org.stores
    ]
    cum_store = _cumulative(store_w)
    cats = list(CATEGORY_WEIGHTS.items())
    cum_cat = _cumulative([w for _c, w in cats])
    cum_chan = _cumulative([w for _c, w in CHANNELS])
    cum_hour = _cumulative([w for _h, w in HOURS])
    # Days back, 0..364: complaints grew by ~40 % over the year, weekends ~30 % busier.
    today = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    day_w = []
    for back in range(365):
        day = today - dt.timedelta(days=back)
        day_w.append((1.4 - 0.4 * back / 364) * (1.3 if day.weekday() >= 5 else 1.0))
    cum_day = _cumulative(day_w)
    writer = Writer(Complaint)
    t0 = time.perf_counter()
    batch: list[tuple[Any, ...]] = []
    draw_s = 0.0
    for i in range(n):
        back = _bisect(cum_day, rng.random())
        hour = HOURS[_bisect(cum_hour, rng.random())][0]
        received = (
            today - dt.timedelta(days=back) + dt.timedelta(hours=hour, seconds=rng.randrange(3600))
        )
        if received > now:  # today's complaints cannot be in the future
            received = now - dt.timedelta(seconds=rng.randrange(1, 6 * 3600))
        store_id, _code, _path = org.stores[_bisect(cum_store, rng.random())]
        channel = CHANNELS[_bisect(cum_chan, rng.random())][0]
        cat_code = cats[_bisect(cum_cat, rng.random())][0]
        cat_id, route_to, top = org.categories[cat_code]
        responsible = route_to or store_id
        age_days = (now - received).total_seconds() / 86400
        status = _pick(rng, next(t for limit, t in STATUS_BY_AGE if age_days < limit))
        anonymous = channel == "slip" and rng.random() < 0.4
        phone = "" if anonymous else _phone(rng)
        name = "" if anonymous else _name(rng)[0] + rng.choice("先生女士")
        staff_list = org.store_staff.get(store_id, [])
        staff = (
            rng.choice(staff_list)
            if top in ("service", "attitude") and staff_list and rng.random() < 0.6
            else None
        )
        assignee = None
        if status != "received":
            assignee = (
                rng.choice(org.purchasing_staff) if route_to else org.store_manager.get(store_id)
            )
        replied_at = closed_at = verified_at = None
        substantiated = None
        finding = reply = improvement = end_reason = ""
        if status in VERIFIED:
            replied_at = received + dt.timedelta(hours=rng.uniform(1, min(72, age_days * 24)))
            replied_at = min(replied_at, now)
            verified_at = replied_at - dt.timedelta(minutes=rng.randrange(10, 120))
            substantiated = rng.random() < 0.55
            finding = "经调查情况属实" if substantiated else "经核实与事实不符"
            reply = "已向顾客致歉并说明处理结果"
            improvement = "加强员工培训" if substantiated else ""
            if status == "closed":
                closed_at = min(replied_at + dt.timedelta(days=rng.uniform(0.2, 5)), now)
        elif status in ("withdrawn", "voided"):
            closed_at = received + dt.timedelta(days=rng.uniform(0.1, 3))
            end_reason = "顾客撤回投诉" if status == "withdrawn" else "重复登记"
        policy = org.policies.get(channel)
        has_contact = bool(phone)
        text = rng.choice(WHAT[top]) + rng.choice(TAILS)
        row = {
            "ref": _ref(i + 1, received),
            "channel": channel,
            "received_at": received,
            "complainant_name": name,
            "complainant_phone": phone,
            "complainant_email": "",
            "contact_preference": "none" if anonymous else "phone",
            "anonymous": anonymous,
            "unit_id": store_id,
            "staff_id": staff,
            "category_id": cat_id,
            "urgency": int(_pick(rng, [("1", 15), ("2", 75), ("3", 10)])),
            "importance": int(_pick(rng, [("1", 20), ("2", 70), ("3", 10)])),
            "title": "",
            "description": text,
            "status": status,
            "responsible_unit_id": responsible,
            "assignee_id": assignee,
            "substantiated": substantiated,
            "finding": finding,
            "verified_at": verified_at,
            "reply": reply,
            "improvement": improvement,
            "replied_at": replied_at,
            "closed_at": closed_at,
            "follow_up_required": (policy.follow_up_required if policy else True) and has_contact,
            "waiting_on": "",
            "escalation_level": 0,
            "escalated_to_id": None,
            "merged_into_id": None,
            "end_reason": end_reason,
            "reopen_count": 0,
            "next_deadline": None,  # set with the clocks, for open complaints
            "breached": False,
            "created_by_id": None,
            "created_at": received,
            "updated_at": closed_at or replied_at or received,
        }
        batch.append(writer.row(row))
        if len(batch) >= BATCH:
            t1 = time.perf_counter()
            writer.write(batch)
            draw_s += time.perf_counter() - t1
            batch = []
    writer.write(batch)
    timings["complaints_total"] = time.perf_counter() - t0
    timings["complaints_write"] = draw_s
    return timings


def make_clocks(org: Org, now: dt.datetime) -> int:
    """Clocks for every open complaint, per its channel's policy; then `next_deadline` (earliest
    running deadline) and `breached` on the complaints."""
    rows: list[tuple[Any, ...]] = []
    writer = Writer(SlaClock)
    updates: list[tuple[int, dt.datetime | None, bool]] = []
    open_rows = Complaint.objects.filter(status__in=OPEN_STATUSES).values_list(
        "pk", "channel", "received_at", "status", "replied_at"
    )
    for pk, channel, received, status, replied_at in open_rows.iterator(chunk_size=5000):
        policy = org.policies.get(channel)
        if policy is None:
            continue
        running: list[dt.datetime] = []
        breached = False
        for kind in ("first_response", "update", "resolution"):
            amount = getattr(policy, f"{kind}_amount")
            unit = getattr(policy, f"{kind}_unit")
            if amount is None or not unit:
                continue
            deadline = received + _limit(amount, unit)
            stopped_at = None
            if kind == "first_response" and status != "received":
                stopped_at = received + (deadline - received) / 2
            elif kind in ("update", "resolution") and status in VERIFIED:
                stopped_at = replied_at
            met = None if stopped_at is None else stopped_at <= deadline
            breached_at = None
            if stopped_at is None and deadline < now:
                breached_at = deadline
                breached = True
            if stopped_at is None:
                running.append(deadline)
            clock = {
                "complaint_id": pk,
                "kind": kind,
                "target_amount": amount,
                "target_unit": unit,
                "started_at": received,
                "deadline": deadline,
                "paused_remaining": None,
                "warned_at": None,
                "breached_at": breached_at,
                "stopped_at": stopped_at,
                "met": met,
                "owner_unit_id": None,
            }
            rows.append(writer.row(clock))
        updates.append((pk, min(running) if running else None, breached))
        if len(rows) >= BATCH:
            writer.write(rows)
            rows = []
    writer.write(rows)
    # One UPDATE per distinct deadline would be many; update by pk in executemany batches.
    with connection.cursor() as cur:
        table = Complaint._meta.db_table
        sql = f'UPDATE "{table}" SET next_deadline = %s, breached = %s WHERE id = %s'
        pg = connection.vendor == "postgresql"
        params = [(d if pg else sqlite_value(d), b, pk) for pk, d, b in updates]
        for start in range(0, len(params), 5000):
            cur.executemany(sql, params[start : start + 5000])
    return len(updates)


def _cumulative(weights: list[float]) -> list[float]:
    total = sum(weights)
    acc, out = 0.0, []
    for w in weights:
        acc += w / total
        out.append(acc)
    out[-1] = 1.0
    return out


def _bisect(cum: list[float], x: float) -> int:
    lo, hi = 0, len(cum) - 1
    while lo < hi:
        mid = (lo + hi) // 2
        if cum[mid] <= x:
            lo = mid + 1
        else:
            hi = mid
    return lo


def manifest(org: Org, tokens: list[str], seed: int, timings: dict[str, float]) -> dict[str, Any]:
    """Ids, counts and tokens a load run needs (counts let it check it measured real answers)."""
    region = OrgUnit.objects.get(code=BENCH_REGION_CODE)
    in_region = Q(unit__path__startswith=region.path) | Q(
        responsible_unit__path__startswith=region.path
    )
    qs = Complaint.objects.all()
    rng = random.Random(f"sqms-bench:{seed}:intake-stores")
    with_staff = [s for s in org.stores if org.store_staff.get(s[0])]
    sample = rng.sample(with_staff, min(INTAKE_STORE_SAMPLE, len(with_staff)))
    employee = dict(
        Staff.objects.filter(
            pk__in=[rng.choice(org.store_staff[s[0]]) for s in sample]
        ).values_list("unit_id", "employee_no")
    )
    by_status = dict(qs.values_list("status").annotate(n=Count("pk")).values_list("status", "n"))
    return {
        "seed": seed,
        "counts": {
            "complaints": qs.count(),
            "open": qs.filter(status__in=OPEN_STATUSES).count(),
            "late": qs.filter(status__in=OPEN_STATUSES, next_deadline__lt=timezone.now()).count(),
            "region": qs.filter(in_region).count(),
            "region_open": qs.filter(in_region, status__in=OPEN_STATUSES).count(),
            "clocks": SlaClock.objects.count(),
            "by_status": by_status,
        },
        "region": {"id": region.pk, "code": region.code, "path": region.path},
        "intake": {
            "tokens": tokens,
            # [store code, an employee number there or ""]
            "stores": [[code, employee.get(pk, "")] for pk, code, _p in sample],
            "categories": sorted(CATEGORY_WEIGHTS),
        },
        "timings_s": {k: round(v, 2) for k, v in timings.items()},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--complaints", type=int, default=1_000_000)
    parser.add_argument("--intake-users", type=int, default=32)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--manifest", type=Path)
    args = parser.parse_args(argv)
    if Complaint.objects.exists():
        print("error: the database already has complaints", file=sys.stderr)
        return 1
    timings: dict[str, float] = {}
    started = time.perf_counter()
    t0 = time.perf_counter()
    if not Category.objects.exists():
        pack_load(PACK)
    timings["pack"] = time.perf_counter() - t0
    org = load_org()
    now = timezone.now()
    with transaction.atomic():
        t0 = time.perf_counter()
        managers = make_managers(org)
        tokens = make_intake_users(args.intake_users)
        timings["logins"] = time.perf_counter() - t0
        timings.update(make_complaints(org, args.complaints, args.seed, now))
        t0 = time.perf_counter()
        clocked = make_clocks(org, now)
        timings["clocks"] = time.perf_counter() - t0
        bump()  # bulk_create sends no signal: a running server must forget what it remembered
    if connection.vendor == "sqlite":
        # What each server process's checkpoint thread does ten minutes after it starts: a
        # sampled ANALYZE (sqms.common.sqlite). Measured lists must not depend on when.
        t0 = time.perf_counter()
        with connection.cursor() as cur:
            cur.execute("PRAGMA analysis_limit=1000")
            cur.execute("ANALYZE")
        timings["analyze"] = time.perf_counter() - t0
    if connection.vendor == "postgresql":
        # As bench/generate.py, no plans without statistics; VACUUM too, because setting
        # next_deadline left a dead row behind for every open complaint.
        t0 = time.perf_counter()
        with connection.cursor() as cur:
            cur.execute("VACUUM ANALYZE")
        timings["analyze"] = time.perf_counter() - t0
    timings["total"] = time.perf_counter() - started
    info = manifest(org, tokens, args.seed, timings)
    c = info["counts"]
    print(
        f"generated {c['complaints']} complaints ({c['open']} open, {c['late']} late, "
        f"{clocked} with clocks: {c['clocks']} clocks), {managers} store-manager logins, "
        f"{len(tokens)} intake tokens in {timings['total']:.1f} s "
        f"(complaints {timings['complaints_total']:.1f} s, of which writing "
        f"{timings['complaints_write']:.1f} s)"
    )
    if args.manifest:
        args.manifest.parent.mkdir(parents=True, exist_ok=True)
        args.manifest.write_text(json.dumps(info, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
