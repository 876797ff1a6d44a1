"""Who is told of a new complaint follows the grants as they are now: the managers of the whole
tree are remembered per process (sqms.common.memo), and any change to a grant or a login is
seen by the next intake."""

from sqms.common.models import Notification
from sqms.org import services as org_services
from sqms.org.models import RoleGrant
from sqms.org.roles import Role
from tests.conftest import make_user


def _told(user) -> int:  # type: ignore[no-untyped-def]
    return Notification.objects.filter(user=user).count()


def test_the_store_managers_are_told_and_a_new_one_at_once(people, org, make_complaint):
    make_complaint(unit=org.s1)
    assert _told(people.store) == 1
    assert _told(people.region) == 0  # a grant on the region is not a grant on the store
    newcomer = make_user("newcomer", Role.UNIT_MANAGER, org.s1)
    make_complaint(unit=org.s1)
    assert (_told(people.store), _told(newcomer)) == (2, 1)


def test_a_withdrawn_grant_or_login_is_told_nothing_more(people, org, make_complaint):
    deputy = make_user("deputy", Role.UNIT_MANAGER, org.s1)
    make_complaint(unit=org.s1)
    assert (_told(people.store), _told(deputy)) == (1, 1)
    org_services.role_revoke(
        actor=people.admin, grant=RoleGrant.objects.get(user=deputy, unit=org.s1)
    )
    people.store.is_active = False
    people.store.save(update_fields=["is_active"])
    make_complaint(unit=org.s1)
    assert (_told(people.store), _told(deputy)) == (1, 1)


def test_a_cashier_grant_tells_nobody(people, org, make_complaint):
    make_complaint(unit=org.s1)
    assert _told(people.cashier) == 0
