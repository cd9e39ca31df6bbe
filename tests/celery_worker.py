"""A real Celery worker on Redis for the tests marked `celery` (CI: PostgreSQL + Redis).

The worker runs in a thread with its own database connection, so those tests are transactional
(data committed). The worker itself is the `worker_queue` fixture in tests/conftest.py."""

import time

import pytest
from django.conf import settings

needs_real_worker = [
    pytest.mark.celery,
    pytest.mark.skipif(
        not settings.CELERY_BROKER_URL or settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"),
        reason="needs CELERY_BROKER_URL (Redis) and PostgreSQL: the real worker shares committed data",
    ),
]


def wait_for(predicate, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False
