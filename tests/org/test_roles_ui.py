"""Granting and revoking roles, and creating a staff member's login, from the pages."""

from sqms.common.models import AuditEntry
from sqms.org.models import RoleGrant, User
from sqms.org.roles import Role


def test_admin_grants_and_revokes_a_role(client, people, org):
    client.force_login(people.admin)
    resp = client.post(
        f"/org/units/{org.s2.pk}/grants/add", {"username": "inspector", "role": Role.UNIT_MANAGER}
    )
    assert resp.status_code == 302
    grant = RoleGrant.objects.get(user=people.inspector, role=Role.UNIT_MANAGER)
    assert grant.unit == org.s2
    client.post(f"/org/grants/{grant.pk}/revoke", {"reason": "covering only for a week"})
    assert not RoleGrant.objects.filter(pk=grant.pk).exists()
    assert AuditEntry.objects.filter(action="org.role.revoke").count() == 1


def test_unit_manager_cannot_grant_roles(client, people, org):
    client.force_login(people.store)
    before = RoleGrant.objects.count()
    resp = client.post(
        f"/org/units/{org.s1.pk}/grants/add", {"username": "cashier", "role": Role.UNIT_MANAGER}
    )
    assert resp.status_code == 403
    grant = RoleGrant.objects.get(user=people.cashier)
    assert client.post(f"/org/grants/{grant.pk}/revoke").status_code == 404
    assert RoleGrant.objects.count() == before


def test_create_login_for_staff_member(client, people, org):
    staff = org.s1_staff[1]
    client.force_login(people.admin)
    bad = client.post(f"/org/staff/{staff.pk}/login", {"username": "wangfang", "password": "123"})
    assert bad.status_code == 200
    assert not User.objects.filter(username="wangfang").exists()
    resp = client.post(
        f"/org/staff/{staff.pk}/login", {"username": "wangfang", "password": "Xuhui-store-2026"}
    )
    assert resp.status_code == 302
    user = User.objects.get(username="wangfang")
    assert user.staff == staff
    assert list(user.grants.values_list("role", "unit__code")) == [(Role.STAFF, "S1")]
    again = client.post(
        f"/org/staff/{staff.pk}/login", {"username": "other", "password": "Xuhui-store-2026"}
    )
    assert again.status_code == 302
    assert not User.objects.filter(username="other").exists()
