"""The API as a Django app: its permissions (django-rules) and its token scheme in the schema are
registered when Django starts."""

from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "api"
    verbose_name = "REST API"

    def ready(self):
        from . import authentication, permissions  # noqa: F401  (the token scheme; django-rules predicates)
