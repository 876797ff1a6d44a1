from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommonConfig(AppConfig):
    name = "sqms.common"
    label = "common"
    verbose_name = _("Common")

    def ready(self) -> None:
        from sqms.common.memo import watch
        from sqms.common.models import ApiToken, CalendarOverride, OfficialDay, WorkCalendar

        # What sqms.common.memo keeps per process: a change draws a new revision.
        watch(ApiToken, CalendarOverride, OfficialDay, WorkCalendar)
