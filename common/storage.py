"""Private files: evidence, letters, batches and logos live under settings.PRIVATE_ROOT, outside
every served directory, and are read only through views that check permissions first."""

import os

from django.conf import settings
from django.core.files.storage import FileSystemStorage


class PrivateStorage(FileSystemStorage):
    """Files under settings.PRIVATE_ROOT (read when used, so tests and deployments may move it)."""

    @property
    def base_location(self):
        return str(settings.PRIVATE_ROOT)

    @property
    def location(self):
        return os.path.abspath(self.base_location)

    @property
    def base_url(self):
        return None


def private_storage():
    """A callable, so migrations name this function rather than freeze a path."""
    return PrivateStorage()
