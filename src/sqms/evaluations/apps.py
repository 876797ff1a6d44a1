from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EvaluationsConfig(AppConfig):
    name = "sqms.evaluations"
    label = "evaluations"
    verbose_name = _("Evaluations")
    # The `evaluations` section of an industry pack: schemes, appeal time limit, bulletin audience.
    pack_section = "evaluations"
    pack_apply = "sqms.evaluations.configuration.evaluation_config_apply"
