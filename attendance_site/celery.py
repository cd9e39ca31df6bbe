"""The Celery application. Tasks are thin wrappers around services (see each app's tasks.py)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "attendance_site.settings")

# every task has the house's base: late acknowledgement, the outbox for `delay_on_commit`
app = Celery("attendance_site", task_cls="common.tasking:HouseTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
