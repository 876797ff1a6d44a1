from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ComplaintsConfig(AppConfig):
    name = "sqms.complaints"
    label = "complaints"
    verbose_name = _("Complaints")
    # The `complaints` section of an industry pack (sqms.packs.loader).
    pack_section = "complaints"
    pack_apply = "sqms.complaints.configuration.complaint_config_apply"

    def ready(self) -> None:
        from sqms.common.memo import watch
        from sqms.common.warm import at_start
        from sqms.complaints import services
        from sqms.complaints.models import Category, ComplaintRules, SlaPolicy

        # What sqms.common.memo keeps per process: a change draws a new revision.
        watch(Category, ComplaintRules, SlaPolicy)

        at_start(services.warm_up)
