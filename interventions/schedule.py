"""The beat schedule for the checks (settings.CELERY_BEAT_SCHEDULE reads it)."""

from celery.schedules import crontab

# How often the beat runs `checks_after_registers_close` (minutes); the task looks back as far.
AFTER_CLOSE_INTERVAL_MINUTES = 15

BEAT_SCHEDULE = {
    "interventions-checks-after-registers-close": {
        "task": "interventions.checks_after_registers_close",
        "schedule": crontab(minute=f"*/{AFTER_CLOSE_INTERVAL_MINUTES}", hour="7-16", day_of_week="mon-fri"),
    },
    "interventions-nightly-checks": {
        "task": "interventions.run_checks_all_schools",
        "schedule": crontab(minute=30, hour=1),
    },
}
