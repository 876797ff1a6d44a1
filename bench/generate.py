"""Synthetic data at national-chain scale, for the benchmark only.

    python bench/generate.py --stores 5000 --staff 50000 --seed 1 [--manifest out.json]

builds, in an empty database:

    company (HQ)
    ├── 8 back-office departments, the QA and hotline ones with teams
    └── ~30 provinces (kind "region"), each with a province QA office (back_office)
        └── ~300 cities/districts in all (kind "region")
            └── 5,000 stores
    50,000 staff with Chinese names (most in stores, ~4 % of store staff have left),
    16 positions, and two logins (password BENCH_PASSWORD):
      bench-admin   superuser, system administrator on the company
      bench-region  unit manager on one province (BENCH_REGION_CODE), linked to its manager

This is a benchmark FIXTURE, not product code: it writes with `bulk_create` straight into the
tables, bypassing `sqms.org.services` and therefore the audit log, because the services write one
row at a time with an audit entry each, which would take far too long for 50,000 rows. Only the
two logins go through the services. It is deterministic: the same scale and seed give the same
rows (the same ids, too, in a fresh database).

To add an entity later (complaints, inspections, surveys…), write `make_<entity>(ctx)` that reads
what it needs from the `Context` (units, staff ids, positions) and draws its randomness from
`ctx.rng("<entity>")`, then append it to `STEPS`. Each step has its own random stream, so adding
a step does not change the rows of the steps before it.

Importing this module sets Django up from the environment (DJANGO_SETTINGS_MODULE defaults to
sqms.settings) if it is not set up yet.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sqms.settings")
django.setup()

# Model imports need the app registry, which django.setup() above has just filled.
from django.db import connection, transaction  # noqa: E402
from django.db.models import CharField, OuterRef, Subquery, Value  # noqa: E402
from django.db.models.functions import Cast, Coalesce, Concat  # noqa: E402

from sqms.common.calendars import default_calendar  # noqa: E402
from sqms.common.memo import bump  # noqa: E402
from sqms.org import services  # noqa: E402
from sqms.org.models import OrgUnit, Position, Staff, UnitKind, User  # noqa: E402
from sqms.org.roles import Role  # noqa: E402

BENCH_PASSWORD = "bench-pass-2026"
BENCH_ADMIN = "bench-admin"
BENCH_REGION_USER = "bench-region"
# 浙江: a large-but-not-the-largest province (~5 % of the stores), so the scoped queries of the
# region user are neither trivial nor the whole table.
BENCH_REGION_CODE = "P03"
COMPANY_NAME = "华联优选全国连锁股份有限公司"
# Dates are drawn relative to a fixed day, never today, so the data do not depend on the clock.
REFERENCE_DAY = dt.date(2026, 3, 31)
FIRST_HIRE = dt.date(2008, 1, 1)
LAST_HIRE = dt.date(2025, 12, 31)
LEAVER_SHARE = 0.04
STORE_SAMPLE = 200  # store ids the manifest lists, for page targets that pick a random store

# The codes match the demo's positions, so filters such as ?position=cashier mean the same.
POSITIONS: list[tuple[str, str, str, bool]] = [
    ("general_manager", "总经理", "General manager", True),
    ("department_head", "部门经理", "Department head", True),
    ("regional_manager", "区域经理", "Regional manager", True),
    ("store_manager", "店长", "Store manager", True),
    ("duty_manager", "值班经理", "Duty manager (MOD)", True),
    ("quality_specialist", "质量专员", "Quality specialist", False),
    ("inspector", "督察员", "Inspector", False),
    ("cashier", "收银员", "Cashier", False),
    ("service_desk_clerk", "服务台文员", "Service desk clerk", False),
    ("sales_associate", "营业员", "Sales associate", False),
    ("clerk", "文员", "Clerk", False),
    ("customer_manager", "客户经理", "Customer manager", False),
    ("monopoly_administrator", "专管员", "Monopoly administrator", False),
    ("delivery_staff", "送货员", "Delivery staff", False),
    ("technician", "技术员", "Technician", False),
    ("hotline_operator", "热线坐席", "Hotline operator", False),
]

# (short name, relative weight ≈ share of the chain's stores)
PROVINCES: list[tuple[str, int]] = [
    ("广东", 10), ("江苏", 8), ("浙江", 7), ("山东", 7), ("河南", 6), ("四川", 6),
    ("湖北", 5), ("湖南", 5), ("河北", 5), ("福建", 4), ("上海", 4), ("北京", 4),
    ("安徽", 4), ("辽宁", 3), ("陕西", 3), ("江西", 3), ("重庆", 3), ("广西", 3),
    ("云南", 3), ("山西", 2), ("天津", 2), ("黑龙江", 2), ("吉林", 2), ("贵州", 2),
    ("内蒙古", 2), ("新疆", 2), ("甘肃", 1), ("海南", 1), ("宁夏", 1), ("青海", 1),
]  # fmt: skip
DISTRICTS = (
    "中心城区 东城 西城 南城 北城 高新区 经开区 新区 滨江 港区 老城 东郊 西郊 南郊 北郊 临空区 "
    "湖滨 河西 河东 开发区 县域 沿海 城北新区 城南新区"
).split()
ROADS = (
    "人民路 解放路 中山路 建设路 和平路 新华路 胜利路 朝阳路 光明路 长江路 黄河路 文化路 青年路 "
    "幸福路 友谊路 东风路 健康路 南京路 北京路 花园路 工业路 学府路 滨河路 环城路 站前路 金桥路 "
    "银河路 育才路 振兴路 团结路"
).split()
# (code, name, position of its members, teams under it)
HQ_DEPARTMENTS: list[tuple[str, str, str, int]] = [
    ("D-OPS", "运营部", "clerk", 0),
    ("D-QA", "质量管理部（督察考评中心）", "quality_specialist", 4),
    ("D-PUR", "采购部", "clerk", 0),
    ("D-HR", "人力资源部", "clerk", 0),
    ("D-FIN", "财务部", "clerk", 0),
    ("D-IT", "信息技术部", "technician", 0),
    ("D-LOG", "物流配送中心", "delivery_staff", 0),
    ("D-CS", "客服中心（热线）", "hotline_operator", 3),
]
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余于杜叶程魏苏吕丁任"
    "沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫"
)
GIVEN_CHARS = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英玉华建东海燕志婷雪梅红文博子涵浩然雨欣思远佳怡"
    "国庆春立新俊梦琪宇航鹏飞晓振慧嘉瑞晨阳宁安康乐诗雅睿泽昊天一鸣凯旭锦程昕悦若彤家豪子轩梓萱欣妍"
)
STORE_FLOOR = ("cashier", "sales_associate", "customer_manager", "delivery_staff")
STORE_FLOOR_WEIGHTS = (5.0, 4.0, 1.0, 0.5)


@dataclass(frozen=True)
class Scale:
    """How big the chain is. Provinces and cities follow the number of stores unless given."""

    stores: int = 5000
    staff: int = 50000
    provinces: int = 0  # 0: min(30, stores)
    cities: int = 0  # 0: about 16 stores per city, at least one per province, at most 300

    def resolved(self) -> Scale:
        """The same scale with provinces and cities filled in; raises ValueError if impossible."""
        if self.stores < 1:
            raise ValueError("at least one store is needed")
        provinces = self.provinces or min(len(PROVINCES), self.stores)
        if provinces > len(PROVINCES):
            raise ValueError(f"at most {len(PROVINCES)} provinces")
        cities = self.cities or min(300, max(provinces, self.stores // 16))
        if cities < provinces:
            raise ValueError("need at least one city per province")
        return Scale(stores=self.stores, staff=self.staff, provinces=provinces, cities=cities)


@dataclass
class Context:
    """What the steps share: the scale, the seed, and the rows made so far (pks filled in)."""

    scale: Scale
    seed: int
    positions: dict[str, Position] = field(default_factory=dict)
    root: OrgUnit | None = None
    provinces: list[OrgUnit] = field(default_factory=list)
    cities: list[OrgUnit] = field(default_factory=list)
    stores: list[OrgUnit] = field(default_factory=list)
    offices: list[OrgUnit] = field(default_factory=list)  # back-office departments and teams
    staff_count: int = 0
    users: dict[str, User] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)

    def rng(self, step: str) -> random.Random:
        """A random stream of its own for `step`: the same for the same seed, whatever other
        steps draw. (A str seed is hashed with SHA-512, so PYTHONHASHSEED does not matter.)"""
        return random.Random(f"sqms-bench:{self.seed}:{step}")

    def unit_by_code(self, code: str) -> OrgUnit:
        for unit in self.provinces:
            if unit.code == code:
                return unit
        return OrgUnit.objects.get(code=code)


def _create_units(units: list[OrgUnit]) -> list[OrgUnit]:
    """Insert units whose parents already exist (or are None) and fill in `path` and `depth`.

    Guarantees the tree invariant the selectors rely on: path = parent path + own pk + "/" ("/1/"
    for a root), depth = parent depth + 1, in the database and on the returned objects alike.
    Needs bulk_create to return pks, which PostgreSQL and SQLite ≥ 3.35 do."""
    for u in units:
        u.path = ""  # placeholder until the pk is known; no finished unit has an empty path
        u.depth = u.parent.depth + 1 if u.parent else 0
    OrgUnit.objects.bulk_create(units, batch_size=1000)
    # One UPDATE for the whole batch: bulk_update's CASE per row takes seconds for 5,000 rows.
    parent_path = OrgUnit.objects.filter(pk=OuterRef("parent_id")).values("path")[:1]
    updated = OrgUnit.objects.filter(path="").update(
        path=Concat(
            Coalesce(Subquery(parent_path, output_field=CharField()), Value("/")),
            Cast("pk", CharField()),
            Value("/"),
            output_field=CharField(),
        )
    )
    if updated != len(units):
        raise RuntimeError(f"path update touched {updated} units, expected {len(units)}")
    for u in units:
        if u.pk is None:
            raise RuntimeError("bulk_create returned no primary keys; SQLite ≥ 3.35 is needed")
        u.path = f"{u.parent.path if u.parent else '/'}{u.pk}/"
    return units


def _apportion(total: int, weights: list[float], minimum: int = 0) -> list[int]:
    """Split `total` into whole shares proportional to `weights` (largest remainder), each at
    least `minimum`; the shares add up to exactly `total`."""
    rest = total - minimum * len(weights)
    if rest < 0:
        raise ValueError("total too small for the minimum share")
    wsum = sum(weights)
    exact = [rest * w / wsum for w in weights]
    shares = [int(x) for x in exact]
    by_remainder = sorted(range(len(weights)), key=lambda i: (shares[i] - exact[i], i))
    for i in by_remainder[: rest - sum(shares)]:
        shares[i] += 1
    return [s + minimum for s in shares]


# --- Steps ------------------------------------------------------------------------------------


def make_positions(ctx: Context) -> None:
    """The 16 positions, keyed by code in `ctx.positions`."""
    Position.objects.bulk_create(
        [Position(code=c, name_zh=zh, name_en=en, is_manager=m) for c, zh, en, m in POSITIONS]
    )
    ctx.positions = {p.code: p for p in Position.objects.all()}


def make_units(ctx: Context) -> None:
    """The company, its back office, provinces, cities and stores (see the module docstring)."""
    rng = ctx.rng("units")
    scale = ctx.scale
    default_calendar()  # created now, not by the first request that needs it
    (root,) = _create_units([OrgUnit(code="HQ", name=COMPANY_NAME, kind=UnitKind.COMPANY)])
    ctx.root = root

    provinces = PROVINCES[: scale.provinces]
    level1 = [
        OrgUnit(code=f"P{i + 1:02d}", name=f"{name}区域公司", kind=UnitKind.REGION, parent=root)
        for i, (name, _w) in enumerate(provinces)
    ]
    departments = [
        OrgUnit(code=code, name=name, kind=UnitKind.BACK_OFFICE, parent=root)
        for code, name, _pos, _teams in HQ_DEPARTMENTS
    ]
    _create_units(level1 + departments)
    ctx.provinces = level1
    ctx.offices = list(departments)

    city_counts = _apportion(scale.cities, [float(w) for _n, w in provinces], minimum=1)
    cities: list[OrgUnit] = []
    city_weights: list[float] = []
    level2: list[OrgUnit] = []
    for (pname, weight), province, n in zip(provinces, level1, city_counts, strict=True):
        for j in range(n):
            district = DISTRICTS[j % len(DISTRICTS)]
            suffix = "" if j < len(DISTRICTS) else str(j // len(DISTRICTS) + 1)
            cities.append(
                OrgUnit(
                    code=f"{province.code}-C{j + 1:02d}",
                    name=f"{pname}{district}{suffix}片区",
                    kind=UnitKind.REGION,
                    parent=province,
                )
            )
            # Cities of a province differ in size; the province's weight is shared among them.
            city_weights.append(weight / n * rng.uniform(0.4, 1.6))
        level2.append(
            OrgUnit(
                code=f"{province.code}-QA",
                name=f"{pname}质量督察科",
                kind=UnitKind.BACK_OFFICE,
                parent=province,
            )
        )
    for dept, (_code, _name, _pos, teams) in zip(departments, HQ_DEPARTMENTS, strict=True):
        for t in range(teams):
            level2.append(
                OrgUnit(
                    code=f"{dept.code}-T{t + 1}",
                    name=f"{dept.name.split('（')[0]}第{'一二三四五六七八九'[t]}组",
                    kind=UnitKind.TEAM,
                    parent=dept,
                )
            )
    _create_units(cities + level2)
    ctx.cities = cities
    ctx.offices += level2

    # Every city gets a store first (when there are enough), the rest go by city weight.
    first = cities[: scale.stores]
    rest = rng.choices(cities, weights=city_weights, k=scale.stores - len(first))
    per_city: dict[int, int] = {}
    for city in first + rest:
        per_city[city.pk] = per_city.get(city.pk, 0) + 1
    stores: list[OrgUnit] = []
    for city in cities:
        short = city.name.removesuffix("片区")
        roads = rng.sample(ROADS, len(ROADS))
        for k in range(per_city.get(city.pk, 0)):
            road = roads[k % len(roads)]
            number = "" if k < len(roads) else f"{k // len(roads) + 1}号"
            stores.append(
                OrgUnit(
                    code=f"S{len(stores) + 1:05d}",
                    name=f"{short}{road}{number}店",
                    kind=UnitKind.STORE,
                    parent=city,
                )
            )
    ctx.stores = _create_units(stores)


def _staff_plan(ctx: Context, rng: random.Random) -> list[tuple[OrgUnit, str]]:
    """(unit, position code) for every member of staff: offices by a fixed pattern, the rest
    spread over the stores (each store has a manager; bigger stores have more floor staff)."""
    scale = ctx.scale
    assert ctx.root is not None
    plan: list[tuple[OrgUnit, str]] = [(ctx.root, "general_manager")]
    per_dept = max(2, scale.staff // 2500)
    per_team = max(2, scale.staff // 5000)
    dept_position = {code: pos for code, _n, pos, _t in HQ_DEPARTMENTS}
    for unit in ctx.offices:
        if unit.kind == UnitKind.TEAM:
            plan += [(unit, "inspector")] * per_team
        elif unit.code in dept_position:
            plan += [(unit, "department_head")] + [(unit, dept_position[unit.code])] * per_dept
        else:  # a province QA office
            plan += [(unit, "department_head")] + [(unit, "inspector")] * 3
    for province in ctx.provinces:
        plan += [(province, "regional_manager"), (province, "clerk"), (province, "clerk")]
    for city in ctx.cities:
        plan += [(city, "regional_manager"), (city, "quality_specialist")]
    floor = scale.staff - len(plan) - len(ctx.stores)
    if floor < 0:
        raise ValueError(
            f"--staff {scale.staff} is too small: the offices and one manager per store "
            f"need {len(plan) + len(ctx.stores)}"
        )
    # Store size varies (a mall flagship vs a community shop): weight 1–4.
    size_weight = [rng.choice((1.0, 1.0, 2.0, 2.0, 2.0, 3.0, 4.0)) for _s in ctx.stores]
    extra = [0] * len(ctx.stores)
    for i in rng.choices(range(len(ctx.stores)), weights=size_weight, k=floor):
        extra[i] += 1
    for store, n in zip(ctx.stores, extra, strict=True):
        plan.append((store, "store_manager"))
        if n >= 3:
            plan.append((store, "duty_manager"))
            n -= 1
        if n >= 5:
            plan.append((store, "service_desk_clerk"))
            n -= 1
        plan += [(store, p) for p in rng.choices(STORE_FLOOR, weights=STORE_FLOOR_WEIGHTS, k=n)]
    return plan


def _name(rng: random.Random) -> str:
    given_len = 1 if rng.random() < 0.3 else 2
    return rng.choice(SURNAMES) + "".join(rng.choices(GIVEN_CHARS, k=given_len))


def _phone(rng: random.Random) -> str:
    return (
        rng.choice(("138", "139", "136", "158", "186", "177", "199"))
        + f"{rng.randrange(10**8):08d}"
    )


def make_staff(ctx: Context) -> None:
    """`scale.staff` staff members. Employee numbers are shuffled so that ordering by number (the
    lists' order) does not group people by unit, as real hiring over years would not."""
    rng = ctx.rng("staff")
    plan = _staff_plan(ctx, rng)
    numbers = list(range(1, len(plan) + 1))
    rng.shuffle(numbers)
    hire_days = (LAST_HIRE - FIRST_HIRE).days
    rows: list[Staff] = []
    for (unit, position), number in zip(plan, numbers, strict=True):
        start = FIRST_HIRE + dt.timedelta(days=rng.randrange(hire_days))
        end = None
        leaves = unit.kind == UnitKind.STORE and position != "store_manager"
        if leaves and rng.random() < LEAVER_SHARE:
            end = min(start + dt.timedelta(days=rng.randrange(60, 2500)), REFERENCE_DAY)
        rows.append(
            Staff(
                employee_no=f"E{number:06d}",
                name=_name(rng),
                unit=unit,
                position=ctx.positions[position],
                phone=_phone(rng),
                start_date=start,
                end_date=end,
            )
        )
    Staff.objects.bulk_create(rows, batch_size=2000)
    ctx.staff_count = len(rows)


def make_logins(ctx: Context) -> None:
    """The two benchmark logins, through the real services (so they get audit entries)."""
    assert ctx.root is not None
    admin = services.user_create(
        actor=None, username=BENCH_ADMIN, password=BENCH_PASSWORD, is_superuser=True
    )
    services.role_grant(actor=None, user=admin, role=Role.SYSTEM_ADMIN, unit=ctx.root)
    region = ctx.unit_by_code(BENCH_REGION_CODE)
    manager = (
        Staff.objects.filter(unit=region, position__code="regional_manager")
        .order_by("employee_no")
        .first()
    )
    user = services.user_create(
        actor=None, username=BENCH_REGION_USER, password=BENCH_PASSWORD, staff=manager
    )
    services.role_grant(actor=None, user=user, role=Role.UNIT_MANAGER, unit=region)
    ctx.users = {BENCH_ADMIN: admin, BENCH_REGION_USER: user}


Step = Callable[[Context], None]
STEPS: list[tuple[str, Step]] = [
    ("positions", make_positions),
    ("units", make_units),
    ("staff", make_staff),
    ("logins", make_logins),
]


# --- Entry points -----------------------------------------------------------------------------


def generate(scale: Scale | None = None, seed: int = 1, *, verbose: bool = True) -> Context:
    """Run every step of `STEPS` in one transaction on an empty organisation and return the
    context. Raises RuntimeError if the database already has org units (nothing is written)."""
    ctx = Context(scale=(scale or Scale()).resolved(), seed=seed)
    if OrgUnit.objects.exists():
        raise RuntimeError("the database already has an organisation; generate into an empty one")
    started = time.perf_counter()
    with transaction.atomic():
        for name, step in STEPS:
            t0 = time.perf_counter()
            step(ctx)
            ctx.timings[name] = time.perf_counter() - t0
            if verbose:
                print(f"  {name:<10} {ctx.timings[name]:6.1f} s", flush=True)
    if connection.vendor == "postgresql":
        # Autovacuum would analyse the new tables within a minute or so; a benchmark started
        # right away must not measure plans made without statistics. SQLite keeps no statistics
        # unless asked, as in production, so it is left alone.
        t0 = time.perf_counter()
        with connection.cursor() as cur:
            cur.execute("ANALYZE")
        ctx.timings["analyze"] = time.perf_counter() - t0
    ctx.timings["total"] = time.perf_counter() - started
    return ctx


def manifest(ctx: Context) -> dict[str, Any]:
    """What a load run needs to know about the data: ids to request and the counts the answers
    must report (so a benchmark can check it measured real pages, not errors)."""
    assert ctx.root is not None
    region = ctx.unit_by_code(BENCH_REGION_CODE)
    sample = ctx.rng("manifest").sample(ctx.stores, min(STORE_SAMPLE, len(ctx.stores)))
    return {
        "seed": ctx.seed,
        "scale": {
            "stores": ctx.scale.stores,
            "staff": ctx.scale.staff,
            "provinces": ctx.scale.provinces,
            "cities": ctx.scale.cities,
        },
        "counts": {
            "units": OrgUnit.objects.count(),
            "staff": Staff.objects.count(),
            "staff_active": Staff.objects.filter(end_date__isnull=True).count(),
            "region_staff_active": Staff.objects.filter(
                unit__path__startswith=region.path, end_date__isnull=True
            ).count(),
            "region_stores": OrgUnit.objects.filter(
                path__startswith=region.path, kind=UnitKind.STORE
            ).count(),
        },
        "root": {"id": ctx.root.pk, "code": ctx.root.code, "name": ctx.root.name},
        "region": {"id": region.pk, "code": region.code, "name": region.name},
        "stores": [{"id": s.pk, "code": s.code} for s in sorted(sample, key=lambda s: s.pk)],
        "logins": {"admin": BENCH_ADMIN, "region": BENCH_REGION_USER, "password": BENCH_PASSWORD},
        "timings_s": {k: round(v, 2) for k, v in ctx.timings.items()},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stores", type=int, default=Scale.stores)
    parser.add_argument("--staff", type=int, default=Scale.staff)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--manifest", type=Path, help="write the ids and counts here as JSON")
    args = parser.parse_args(argv)
    scale = Scale(stores=args.stores, staff=args.staff)
    db = connection.settings_dict
    print(
        f"generating {scale.stores} stores, {scale.staff} staff, seed {args.seed} "
        f"into {connection.vendor} {db['NAME']}"
    )
    try:
        ctx = generate(scale, args.seed)
        bump()  # bulk_create sends no signal: a running server must forget what it remembered
    except (RuntimeError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    info = manifest(ctx)
    c = info["counts"]
    print(
        f"generated {c['units']} units, {c['staff']} staff ({c['staff_active']} current) "
        f"in {ctx.timings['total']:.1f} s"
    )
    if args.manifest:
        args.manifest.parent.mkdir(parents=True, exist_ok=True)
        args.manifest.write_text(json.dumps(info, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
