import pytest

from tests.factories import make_school


@pytest.fixture(autouse=True)
def _plain_static_storage(settings):
    """Tests render pages without running collectstatic, so use the plain static storage
    (production uses the hashed manifest)."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def _tasks_in_process(request):
    """Tasks run in-process in tests, as in the demo, whatever broker is configured; tests
    marked `celery` exercise a real worker on Redis instead."""
    if request.node.get_closest_marker("celery"):
        yield
        return
    from attendance_site.celery import app

    before = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = before


@pytest.fixture
def school(db):
    return make_school()


@pytest.fixture
def worker_queue():
    """A real Celery worker (in a thread) on a queue of the test's own, so no other worker takes
    its tasks; for the tests marked `celery` (see tests/celery_worker.py)."""
    import uuid

    from celery.contrib.testing.worker import start_worker

    from attendance_site.celery import app

    queue = f"test-{uuid.uuid4().hex[:8]}"
    assert not app.conf.task_always_eager
    with start_worker(app, perform_ping_check=False, queues=[queue], shutdown_timeout=60):
        yield queue
