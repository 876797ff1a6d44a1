"""The demo organisation: a retail chain (华联优选) with 3 regions, 12 stores, back-office
departments and about 150 staff, plus one login per role. Deterministic: the same seed gives the
same people, so screenshots and tests can name them."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from sqms.org import services
from sqms.org.models import OrgUnit, Position, Staff, UnitKind, User
from sqms.org.roles import Role

DEMO_PASSWORD = "sqms-demo-2026"

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

SURNAMES = (  # the 50 most common surnames
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余于杜叶程魏苏吕丁任沈姚卢"
)
GIVEN = (
    "伟 芳 娜 敏 静 丽 强 磊 军 洋 勇 艳 杰 娟 涛 明 超 秀兰 霞 平 刚 桂英 玉兰 建华 晓东 "
    "海燕 志强 婷婷 雪梅 小红 文博 子涵 浩然 雨欣 思远 佳怡 国庆 春燕 立新 俊杰 梦琪 "
    "宇航 欣怡 鹏飞 丽娟 晓明 建国 红梅 振华 慧敏"
).split()

REGIONS = [
    ("R01", "华东区", ["上海徐汇店", "上海浦东店", "杭州西湖店", "南京新街口店"]),
    ("R02", "华南区", ["广州天河店", "深圳福田店", "佛山禅城店", "东莞南城店"]),
    ("R03", "华北区", ["北京朝阳店", "北京海淀店", "天津和平店", "石家庄长安店"]),
]
BACK_OFFICE = [
    ("D-OPS", "运营部", [("department_head", 1), ("clerk", 3)]),
    (
        "D-QA",
        "质量管理部（督察考评中心）",
        [("department_head", 1), ("quality_specialist", 2), ("inspector", 3)],
    ),
    ("D-PUR", "采购部", [("department_head", 1), ("clerk", 3)]),
    ("D-HR", "人力资源部", [("department_head", 1), ("clerk", 2)]),
    ("D-FIN", "财务部", [("department_head", 1), ("clerk", 2)]),
    ("D-IT", "信息技术部", [("department_head", 1), ("technician", 2)]),
    ("D-LOG", "物流配送中心", [("department_head", 1), ("delivery_staff", 4)]),
    ("D-CS", "客服中心（热线）", [("department_head", 1), ("hotline_operator", 3)]),
]
STORE_STAFF = [
    ("store_manager", 1),
    ("duty_manager", 1),
    ("service_desk_clerk", 1),
    ("cashier", 4),
    ("sales_associate", 2),
]

DEMO_LOGINS: list[tuple[str, Any]] = [
    ("admin", _("system administrator (superuser)")),
    ("quality", _("quality manager, whole company")),
    ("region", _("regional manager, 华东区")),
    ("store", _("store manager, 上海徐汇店")),
    ("store2", _("store manager, 广州天河店")),
    ("inspector", _("inspector, whole company")),
    ("cashier", _("cashier, 上海徐汇店 (sees only her own record)")),
    ("hotline", _("hotline operator, head office (registers calls for every store)")),
    ("auditor", _("auditor, read-only")),
]


class NameMaker:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.used: set[str] = set()

    def __call__(self) -> str:
        while True:
            name = self.rng.choice(SURNAMES) + self.rng.choice(GIVEN)
            if name not in self.used or len(self.used) > 2000:
                self.used.add(name)
                return name


def _phone(rng: random.Random) -> str:
    return rng.choice(["138", "139", "136", "158", "186", "177"]) + f"{rng.randrange(10**8):08d}"


@transaction.atomic
def load_demo(seed: int = 2026) -> dict[str, int]:
    """Create the demo organisation in an empty database; returns counts."""
    if OrgUnit.objects.exists():
        raise RuntimeError(
            "the database already has an organisation; the demo loads only into an empty one"
        )
    rng = random.Random(seed)
    name = NameMaker(rng)
    positions = {}
    for code, zh, en, mgr in POSITIONS:
        positions[code] = services.position_upsert(
            actor=None, code=code, name_zh=zh, name_en=en, is_manager=mgr
        )
    company = services.unit_create(
        actor=None, code="HL", name="华联优选连锁有限公司", kind=UnitKind.COMPANY, parent=None
    )
    counter = iter(range(10001, 99999))
    staff_by_role: dict[str, Staff] = {}

    def hire(unit: OrgUnit, position: str, n: int = 1) -> list[Staff]:
        hired = []
        for _i in range(n):
            start = dt.date(2015, 1, 1) + dt.timedelta(days=rng.randrange(3650))
            hired.append(
                services.staff_create(
                    actor=None,
                    employee_no=f"E{next(counter)}",
                    name=name(),
                    unit=unit,
                    position=positions[position],
                    start_date=start,
                    phone=_phone(rng),
                )
            )
        return hired

    staff_by_role["gm"] = hire(company, "general_manager")[0]
    for code, dept_name, roles in BACK_OFFICE:
        dept = services.unit_create(
            actor=None, code=code, name=dept_name, kind=UnitKind.BACK_OFFICE, parent=company
        )
        for position, n in roles:
            people = hire(dept, position, n)
            if code == "D-QA" and position == "department_head":
                staff_by_role["quality"] = people[0]
            if code == "D-QA" and position == "inspector":
                staff_by_role["inspector"] = people[0]
            if code == "D-FIN" and position == "clerk":
                staff_by_role["auditor"] = people[0]
            if code == "D-CS" and position == "hotline_operator":
                staff_by_role["hotline"] = people[0]
    store_no = 0
    stores: list[OrgUnit] = []
    for rcode, rname, store_names in REGIONS:
        region = services.unit_create(
            actor=None, code=rcode, name=rname, kind=UnitKind.REGION, parent=company
        )
        rm = hire(region, "regional_manager")[0]
        hire(region, "clerk")
        if rcode == "R01":
            staff_by_role["region"] = rm
        for sname in store_names:
            store_no += 1
            store = services.unit_create(
                actor=None, code=f"S{store_no:03d}", name=sname, kind=UnitKind.STORE, parent=region
            )
            stores.append(store)
            for position, n in STORE_STAFF:
                people = hire(
                    store, position, n + (1 if position == "cashier" and rng.random() < 0.5 else 0)
                )
                if store_no == 1 and position == "store_manager":
                    staff_by_role["store"] = people[0]
                if store_no == 5 and position == "store_manager":
                    staff_by_role["store2"] = people[0]
                if store_no == 1 and position == "cashier":
                    staff_by_role["cashier"] = people[0]
    # A former employee, so lists show that people who left stay on record.
    gone = hire(stores[0], "cashier")[0]
    services.staff_deactivate(actor=None, staff=gone, end_date=dt.date(2026, 6, 30), reason="辞职")

    def login(
        username: str, staff_key: str | None, role: str, unit: OrgUnit, superuser: bool = False
    ) -> User:
        user = services.user_create(
            actor=None,
            username=username,
            password=DEMO_PASSWORD,
            staff=staff_by_role.get(staff_key) if staff_key else None,
            is_superuser=superuser,
        )
        services.role_grant(actor=None, user=user, role=role, unit=unit)
        return user

    region_r01 = OrgUnit.objects.get(code="R01")
    login("admin", "gm", Role.SYSTEM_ADMIN, company, superuser=True)
    login("quality", "quality", Role.QUALITY_MANAGER, company)
    login("region", "region", Role.UNIT_MANAGER, region_r01)
    login("store", "store", Role.UNIT_MANAGER, stores[0])
    login("store2", "store2", Role.UNIT_MANAGER, stores[4])
    login("inspector", "inspector", Role.INSPECTOR, company)
    login("cashier", "cashier", Role.STAFF, stores[0])
    login("auditor", "auditor", Role.AUDITOR, company)
    login("hotline", "hotline", Role.STAFF, company)
    return {
        "units": OrgUnit.objects.count(),
        "staff": Staff.objects.count(),
        "users": User.objects.count(),
        "positions": Position.objects.count(),
    }
