from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    """Demo data and the first-start command; may use every other app, nothing uses it."""

    name = "sqms.demo"
    label = "demo"
    verbose_name = _("Demo data")
