"""What every test shares: test settings, the school, and one fixture for each role.

The roles are defined here once; a directory or module that needs someone else (a teacher of
another class, an office user with another name) defines its own fixture of the same name, which
pytest prefers. `tests/factories.py` has the helpers these fixtures use (make_staff, make_parent)."""

import pytest
from django.test.utils import override_settings

from registers.models import Staff
from tests import data_migrations, quick_flush
from tests.factories import PupilFactory, make_parent, make_school, make_staff, year_group
from tests.scheduling import pytest_collection_modifyitems  # noqa: F401  (the longest tests first)

quick_flush.install()  # transactional tests empty only the tables they wrote to (tests/quick_flush.py)

P = Staff.Position


@pytest.fixture(scope="session", autouse=True)
def _test_settings(tmp_path_factory):
    """For the whole session (and each xdist worker):
    - a fast password hasher: Django's default PBKDF2 takes a third of a second per password and
      most tests make a user or two (production settings keep the slow one);
    - the plain static storage: tests render pages without running collectstatic (production
      uses the hashed manifest);
    - PRIVATE_ROOT and MEDIA_ROOT in a temporary directory of this session's own, so no test
      writes under var/ and parallel workers never share a file."""
    from django.conf import settings

    root = tmp_path_factory.mktemp("files")
    with override_settings(
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        STORAGES={
            **settings.STORAGES,
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        },
        PRIVATE_ROOT=root / "private",
        MEDIA_ROOT=root / "media",
    ):
        yield


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker, request):
    """The test database's tables are made from the models (`--no-migrations` in pyproject.toml:
    5 s instead of 30 s of rendering migration states per xdist worker); then the data
    migrations' Python steps run on them, so the database holds what a migrated one does (the
    national codes, the national benchmarks). That the migrations themselves apply, from an
    empty database to the models, `.ci/run` checks with `manage.py migrate` on a database of its
    own, and `makemigrations --check` that they match the models.

    At the end, other connections to the test database (the live server's thread, a worker a
    fault test started) are closed first: PostgreSQL's DROP DATABASE waits five seconds for
    them and then fails, which cost every xdist worker 5 s and left its database behind."""
    if request.config.getoption("nomigrations", False):
        with django_db_blocker.unblock():
            data_migrations.run_data_migrations()
    yield
    from django.db import connection

    if connection.vendor == "postgresql":
        with django_db_blocker.unblock(), connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )


@pytest.fixture
def fast_password_hashing():
    """The fast hasher is on for every test (see _test_settings); kept so tests that ask for it
    by name still run."""


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """`with committed(): …` runs what the block left for after the commit (e-mails, queued tasks)
    as the block ends, as a real commit would; the test transaction itself never commits."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def real_on_commit():
    """`transaction.on_commit` is Django's own in every test (callbacks wait for a commit the test
    transaction never makes: use `django_capture_on_commit_callbacks`); kept so tests that ask
    for it by name still run."""


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
    """Oakfield Primary School on the 2025/26 and 2026/27 calendars (tests/factories.py)."""
    return make_school()


@pytest.fixture
def other_school(db):
    """Birchwood Primary School, on the same calendar: someone else's pupils and staff."""
    return make_school(urn="100009", name="Birchwood Primary School", establishment_number="2009")


# --- people ----------------------------------------------------------------------------------
# One of each, with fixed usernames, so a test can sign in as "teacher", "office" and so on.


@pytest.fixture
def teacher(school):
    """Ms Tess Lee, class teacher of Year 3."""
    staff = make_staff(school, P.CLASS_TEACHER, "teacher", "Tess", "Lee", title="Ms")
    year_group(school, 3).teachers.add(staff)
    return staff


@pytest.fixture
def office(school):
    """Mrs Priya Shah, the school office."""
    return make_staff(school, P.OFFICE, "office", "Priya", "Shah", title="Mrs")


@pytest.fixture
def officer(school):
    """Mrs Jan Patel, attendance officer."""
    return make_staff(school, P.ATTENDANCE_OFFICER, "officer", "Jan", "Patel", title="Mrs")


@pytest.fixture
def head(school):
    """Mr Hugh Grant, headteacher."""
    return make_staff(school, P.HEADTEACHER, "head", "Hugh", "Grant", title="Mr")


@pytest.fixture
def governor(school):
    """Dr Pat Governor, a governor: figures, never names."""
    return make_staff(school, P.GOVERNOR, "governor", "Pat", "Governor", title="Dr")


@pytest.fixture
def family(school):
    """Jo Parent with parental responsibility for Ada (Year 3) and Ben (Year 5) Jones."""
    ada = PupilFactory(school=school, legal_forename="Ada", legal_surname="Jones", year=3)
    ben = PupilFactory(school=school, legal_forename="Ben", legal_surname="Jones", year=5)
    parent = make_parent(school, "parent", [ada, ben])
    return {"parent": parent, "ada": ada, "ben": ben}


@pytest.fixture
def other_family(school):
    """Another parent, of Cy Smith (Year 3)."""
    cy = PupilFactory(school=school, legal_forename="Cy", legal_surname="Smith", year=3)
    parent = make_parent(school, "otherparent", [cy])
    return {"parent": parent, "cy": cy}


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
