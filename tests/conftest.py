"""Shared fixtures: a small organisation and named personas, built through the real services.

HQ (company)
├── QA (back office)                 quality: quality manager on HQ
├── R1 East (region)                 region:  unit manager on R1
│   ├── S1 Xuhui (store)             store:   unit manager on S1; cashier: staff on S1
│   └── S2 Pudong (store)
└── R2 South (region)
    └── S3 Tianhe (store)            outsider: unit manager on S3
admin: superuser; auditor: auditor on HQ; inspector: inspector on HQ
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass

import pytest

from sqms.org import services
from sqms.org.models import OrgUnit, Position, Staff, UnitKind, User
from sqms.org.roles import Role

# Loaded here, not only in tests/e2e/conftest.py, so that under xdist the main process prints the
# banner when the browser tests were not run.
pytest_plugins = ["tests.e2e.summary"]

# Playwright's sync API runs an event loop in the test thread; Django's ORM would refuse to run
# there ("async context") although nothing async touches it.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

PASSWORD = "correct horse battery staple 42"


@pytest.fixture(autouse=True)
def _no_built_calendars_from_other_tests():
    # Each test's database is rolled back, revisions included; calendars built in one test
    # must not serve the next.
    from sqms.common import memo
    from sqms.common.calendars import forget_built_calendars

    forget_built_calendars()
    memo.forget()  # what sqms.common.memo remembered in the last test's (rolled-back) database
    memo.end_request()  # a test's response that was never closed leaves its request open


@dataclass
class Org:
    hq: OrgUnit
    qa: OrgUnit
    r1: OrgUnit
    r2: OrgUnit
    s1: OrgUnit
    s2: OrgUnit
    s3: OrgUnit
    cashier_position: Position
    manager_position: Position
    cashier_staff: Staff
    s1_staff: list[Staff]
    s3_staff: list[Staff]


@dataclass
class Personas:
    admin: User
    quality: User
    region: User
    store: User
    outsider: User
    cashier: User
    auditor: User
    inspector: User


@pytest.fixture
def org(db: None) -> Org:
    cashier = services.position_upsert(
        actor=None, code="cashier", name_zh="收银员", name_en="Cashier"
    )
    manager = services.position_upsert(
        actor=None, code="store_manager", name_zh="店长", name_en="Store manager", is_manager=True
    )
    hq = services.unit_create(
        actor=None, code="HQ", name="总部", kind=UnitKind.COMPANY, parent=None
    )
    qa = services.unit_create(
        actor=None, code="QA", name="质量管理部", kind=UnitKind.BACK_OFFICE, parent=hq
    )
    r1 = services.unit_create(actor=None, code="R1", name="华东区", kind=UnitKind.REGION, parent=hq)
    r2 = services.unit_create(actor=None, code="R2", name="华南区", kind=UnitKind.REGION, parent=hq)
    s1 = services.unit_create(actor=None, code="S1", name="徐汇店", kind=UnitKind.STORE, parent=r1)
    s2 = services.unit_create(actor=None, code="S2", name="浦东店", kind=UnitKind.STORE, parent=r1)
    s3 = services.unit_create(actor=None, code="S3", name="天河店", kind=UnitKind.STORE, parent=r2)

    def hire(unit: OrgUnit, no: str, name: str, position: Position = cashier) -> Staff:
        return services.staff_create(
            actor=None,
            employee_no=no,
            name=name,
            unit=unit,
            position=position,
            start_date=dt.date(2020, 1, 1),
            phone="13812345678",
        )

    s1_staff = [hire(s1, "E1", "李娜"), hire(s1, "E2", "王芳"), hire(s1, "E3", "张伟", manager)]
    s3_staff = [hire(s3, "E9", "陈静"), hire(s3, "E10", "赵磊", manager)]
    return Org(hq, qa, r1, r2, s1, s2, s3, cashier, manager, s1_staff[0], s1_staff, s3_staff)


def make_user(
    username: str,
    role: str | None,
    unit: OrgUnit | None,
    staff: Staff | None = None,
    superuser: bool = False,
) -> User:
    user = services.user_create(
        actor=None, username=username, password=PASSWORD, staff=staff, is_superuser=superuser
    )
    if role and unit is not None:
        services.role_grant(actor=None, user=user, role=role, unit=unit)
    return user


@pytest.fixture
def people(org: Org) -> Personas:
    return Personas(
        admin=make_user("admin", Role.SYSTEM_ADMIN, org.hq, superuser=True),
        quality=make_user("quality", Role.QUALITY_MANAGER, org.hq),
        region=make_user("region", Role.UNIT_MANAGER, org.r1),
        store=make_user("store", Role.UNIT_MANAGER, org.s1, staff=org.s1_staff[2]),
        outsider=make_user("outsider", Role.UNIT_MANAGER, org.s3, staff=org.s3_staff[1]),
        cashier=make_user("cashier", Role.STAFF, org.s1, staff=org.cashier_staff),
        auditor=make_user("auditor", Role.AUDITOR, org.hq),
        inspector=make_user("inspector", Role.INSPECTOR, org.hq),
    )


@pytest.fixture
def api_client(client):  # type: ignore[no-untyped-def]
    """A Django test client that talks JSON to /api/v1/ with a Bearer token."""
    from sqms.common.tokens import token_create

    class ApiClient:
        def __init__(self) -> None:
            self.token: str | None = None

        def as_user(self, user: User) -> ApiClient:
            _t, self.token = token_create(actor=None, user=user, name="test")
            return self

        def _headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
            headers = {"HTTP_AUTHORIZATION": f"Bearer {self.token}"} if self.token else {}
            for k, v in (extra or {}).items():
                headers["HTTP_" + k.upper().replace("-", "_")] = v
            return headers

        def get(self, path: str, **params):  # type: ignore[no-untyped-def]
            return client.get(f"/api/v1{path}", params, **self._headers())

        def post(self, path: str, body: object, headers: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
            return client.post(
                f"/api/v1{path}", body, content_type="application/json", **self._headers(headers)
            )

        def patch(self, path: str, body: object):  # type: ignore[no-untyped-def]
            return client.patch(
                f"/api/v1{path}", body, content_type="application/json", **self._headers()
            )

        def raw_post(self, path: str, data: str | bytes, headers: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
            return client.post(
                f"/api/v1{path}", data, content_type="application/json", **self._headers(headers)
            )

    return ApiClient()


@pytest.fixture(autouse=True)
def _plain_static_storage(settings):  # type: ignore[no-untyped-def]
    """Tests render templates without running collectstatic first."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.WHITENOISE_USE_FINDERS = True
    # argon2 is deliberately slow; the personas would cost seconds per test.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
