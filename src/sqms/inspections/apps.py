from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InspectionsConfig(AppConfig):
    name = "sqms.inspections"
    label = "inspections"
    verbose_name = _("Inspections")
    # The `inspections` section of an industry pack (sqms.packs.loader).
    pack_section = "inspections"
    pack_apply = "sqms.inspections.configuration.inspection_config_apply"
