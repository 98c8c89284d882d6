from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Demonstration data only. Last in the app order, so it may use every app's services."""

    name = "demo"
    verbose_name = "Demo"
