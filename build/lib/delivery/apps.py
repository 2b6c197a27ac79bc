from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DeliveryConfig(AppConfig):
    name = "delivery"
    verbose_name = _("Subscribers and delivery")

    def ready(self):
        from . import webhooks  # noqa: F401  (connects anymail's tracking signal)
