from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VirtualcareConfig(AppConfig):
    name = "virtualcare"
    verbose_name = _("Virtual care")
