"""The beat schedule for the retention run (settings.CELERY_BEAT_SCHEDULE reads it)."""

from celery.schedules import crontab

# Nightly, after the checks (01:30), when nobody is taking registers.
RETENTION_SCHEDULE = crontab(minute=45, hour=2)
