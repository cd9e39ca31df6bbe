from django.apps import AppConfig


class InterventionsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "interventions"

    def ready(self):
        from . import permissions  # noqa: F401  (registers the permissions)
