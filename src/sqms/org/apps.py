from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrgConfig(AppConfig):
    name = "sqms.org"
    label = "org"
    verbose_name = _("Organisation")

    def ready(self) -> None:
        from sqms.common.memo import watch
        from sqms.common.warm import at_start
        from sqms.org import selectors
        from sqms.org.models import OrgUnit, RoleGrant, Staff, User

        # What sqms.common.memo keeps per process: a change draws a new revision.
        watch(OrgUnit, RoleGrant, Staff, User)

        # The whole-tree maps every intake reads: loaded when a web worker starts.
        at_start(selectors.warm_up)
