from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MetricsConfig(AppConfig):
    name = "sqms.metrics"
    label = "metrics"
    verbose_name = _("KPIs")
    # The `metrics` section of an industry pack: KPI definitions.
    pack_section = "metrics"
    pack_apply = "sqms.metrics.configuration.metrics_config_apply"
