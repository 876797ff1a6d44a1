"""What the processes remember (sqms.common.memo) is forgotten the moment the configuration
changes: a revoked token, a withdrawn grant, a deactivated unit or login, a new category all
take effect at the next request, in this process and in any other one."""

import datetime as dt

from sqms.common import memo
from sqms.common.models import ConfigRevision
from sqms.common.tokens import token_authenticate, token_create, token_revoke
from sqms.org import services as org_services
from sqms.org.models import RoleGrant
from sqms.org.roles import Cap, Role
from sqms.org.selectors import access_for, unit_by_code_for_user

BODY = {
    "channel": "hotline",
    "unit": "S1",
    "description": "收银员态度差",
    "complainant_phone": "13800001111",
}


def _another_process_changes_something() -> None:
    """What another process's bump looks like from here: only the row in the database moves."""
    ConfigRevision.objects.update_or_create(pk=1, defaults={"value": memo.current_revision() + 1})


def test_a_value_is_loaded_once_per_revision(db):
    calls: list[int] = []

    def load() -> str:
        calls.append(1)
        return "value"

    assert memo.memo("t", 1, load) == "value"
    assert memo.memo("t", 1, load) == "value"
    assert len(calls) == 1
    _another_process_changes_something()
    assert memo.memo("t", 1, load) == "value"
    assert len(calls) == 2


def test_unknown_is_remembered_until_something_is_created(people, org):
    assert unit_by_code_for_user(people.quality, "S9") is None
    org_services.unit_create(actor=None, code="S9", name="新店", kind="store", parent=org.r1)
    found = unit_by_code_for_user(people.quality, "S9")
    assert found is not None and found.name == "新店"


def test_a_revoked_token_stops_at_once(people, api_client):
    token, plain = token_create(actor=people.store, user=people.store, name="hotline")
    assert token_authenticate(plain) == people.store  # now remembered
    token_revoke(actor=people.store, token_id=token.pk)
    assert token_authenticate(plain) is None


def test_a_token_revoked_by_another_process_stops_at_its_next_request(people, client):
    from sqms.common.models import ApiToken

    token, plain = token_create(actor=people.store, user=people.store, name="hotline")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {plain}"}
    assert client.get("/api/v1/complaints", **auth).status_code == 200
    # Another process revokes it: the row and the revision change, this process's memory not.
    ApiToken.objects.filter(pk=token.pk).update(revoked_at=dt.datetime.now(dt.UTC))
    _another_process_changes_something()
    assert client.get("/api/v1/complaints", **auth).status_code == 401


def test_a_deactivated_login_stops_at_once(people, org):
    _t, plain = token_create(actor=people.cashier, user=people.cashier, name="t")
    assert token_authenticate(plain) == people.cashier
    org_services.staff_deactivate(
        actor=people.admin, staff=org.cashier_staff, end_date=dt.date(2026, 11, 30), reason="left"
    )
    assert token_authenticate(plain) is None


def test_a_withdrawn_grant_is_withdrawn_at_once(people, org, api_client):
    api = api_client.as_user(people.region)
    assert api.post("/complaints", BODY, headers={"Idempotency-Key": "k1"}).status_code == 201
    grant = RoleGrant.objects.get(user=people.region, unit=org.r1)
    org_services.role_revoke(actor=people.admin, grant=grant, reason="moved")
    resp = api.post("/complaints", BODY, headers={"Idempotency-Key": "k2"})
    assert resp.status_code == 422
    assert resp.json()["errors"][0]["loc"] == ["unit"]


def test_each_request_gets_its_own_user_object(people):
    _t, plain = token_create(actor=people.store, user=people.store, name="t")
    first, second = token_authenticate(plain), token_authenticate(plain)
    assert first == second and first is not second
    access_for(first)
    assert not hasattr(second, "_sqms_access")  # one request's state never reaches another


def test_a_deactivated_unit_takes_its_grants_with_it(people, org):
    org_services.role_grant(actor=None, user=people.outsider, role=Role.UNIT_MANAGER, unit=org.s2)
    user = type(people.outsider).objects.get(pk=people.outsider.pk)
    assert access_for(user).covers(Cap.COMPLAINT_HANDLE, org.s2.path)
    org_services.unit_deactivate(actor=people.admin, unit=org.s2, reason="closed")
    user = type(people.outsider).objects.get(pk=people.outsider.pk)
    assert not access_for(user).covers(Cap.COMPLAINT_HANDLE, org.s2.path)


def test_a_new_grant_counts_at_once(people, org):
    user = type(people.outsider).objects.get(pk=people.outsider.pk)
    assert unit_by_code_for_user(user, "S1", Cap.COMPLAINT_VIEW) is None
    org_services.role_grant(actor=None, user=people.outsider, role=Role.UNIT_MANAGER, unit=org.s1)
    user = type(people.outsider).objects.get(pk=people.outsider.pk)
    assert unit_by_code_for_user(user, "S1", Cap.COMPLAINT_VIEW) is not None
