from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SurveysConfig(AppConfig):
    name = "sqms.surveys"
    label = "surveys"
    verbose_name = _("Surveys")
    # The `surveys` section of an industry pack: which instruments to install, campaign defaults.
    pack_section = "surveys"
    pack_apply = "sqms.surveys.configuration.survey_config_apply"
