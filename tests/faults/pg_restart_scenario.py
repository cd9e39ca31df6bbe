"""The database restarted in the middle of the morning, run against a PostgreSQL cluster of the
test's own (DATABASE_URL; tests/faults/test_database_restart.py starts it) in its own process,
as a web server would be. Prints what happened as JSON.

1. A request (thread "idle") opens a kept connection (CONN_MAX_AGE) and finishes.
2. A teacher submits a register; just after its marks are inserted, inside its transaction,
   the database is restarted (FAULTS_PG_RESTART, a shell command): that request fails.
3. The idle thread's next request, on its kept connection to the old server, and the teacher's
   second submission are made against the restarted database."""

from __future__ import annotations

import json
import os
import queue
import shlex
import subprocess
import threading
from wsgiref.util import setup_testing_defaults


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "attendance_site.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.handlers.wsgi import WSGIHandler
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import setup_test_environment
    from django.urls import reverse

    if os.environ.get("FAULTS_NO_HEALTH_CHECKS"):  # to see what the setting is for
        settings.DATABASES["default"]["CONN_HEALTH_CHECKS"] = False
        connection.settings_dict["CONN_HEALTH_CHECKS"] = False
    setup_test_environment()
    # pages are rendered without collectstatic, as in the test suite
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    call_command("migrate", verbosity=0)

    from registers.models import Mark
    from tests.factories import make_school
    from tests.registers.register_helpers import (
        clock,
        full_post,
        login,
        make_pupils,
        make_teacher,
        register_for,
        year3,
    )

    school = make_school()
    make_teacher(school)
    pupils = make_pupils(school, 5)
    register = register_for(school, year3(school))
    url = reverse("registers:register", args=[register.pk])
    data = full_post(register, pupils, {pupils[0].pk: "L"})
    out = {"settings": {k: settings.DATABASES["default"].get(k) for k in ("CONN_MAX_AGE", "CONN_HEALTH_CHECKS")}}

    # 1. a request on another thread (one thread throughout, as a server's) keeps its connection
    idle, jobs, done = {}, queue.Queue(), queue.Queue()

    # Through Django's WSGI handler, as a server calls it: the test client leaves out the
    # request_started/finished connection handling that CONN_HEALTH_CHECKS relies on.
    session = login(Client(), "teacher").cookies[settings.SESSION_COOKIE_NAME].value
    handler = WSGIHandler()

    def server_get(path: str) -> int:
        environ = {
            "REQUEST_METHOD": "GET",
            "PATH_INFO": path,
            "HTTP_HOST": "testserver",
            "HTTP_COOKIE": f"{settings.SESSION_COOKIE_NAME}={session}",
        }
        setup_testing_defaults(environ)
        status = []
        response = handler(environ, lambda s, headers, exc_info=None: status.append(s))
        try:
            b"".join(response)
        finally:
            response.close()
        return int(status[0].split()[0])

    def idle_thread():
        while (key := jobs.get()) is not None:
            with clock(9, 0):
                idle[key] = server_get(reverse("registers:today"))
            done.put(key)
        connection.close()

    thread = threading.Thread(target=idle_thread)
    thread.start()
    jobs.put("before")
    done.get()

    # 2. the database restarts while the register is being written
    restarted = []

    def restart_after_marks(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        # the marks' insert: the ORM's, or the one statement that writes new marks with their history
        if not restarted and 'INSERT INTO "registers_mark"' in sql:
            subprocess.run(shlex.split(os.environ["FAULTS_PG_RESTART"]), check=True, capture_output=True)
            restarted.append(True)
        return result

    teacher = login(Client(raise_request_exception=False), "teacher")
    with clock(9, 6), connection.execute_wrapper(restart_after_marks):
        out["in_flight"] = teacher.post(url, data).status_code
    out["restarted"] = bool(restarted)
    register.refresh_from_db()
    out["after_failure"] = {"marks": Mark.objects.filter(register=register).count(), "state": register.state}

    # 3. later requests
    jobs.put("after")
    done.get()
    jobs.put(None)
    thread.join()
    out["idle_connection"] = idle
    with clock(9, 8):
        out["retry"] = teacher.post(url, data).status_code
    register.refresh_from_db()
    out["after_retry"] = {"marks": Mark.objects.filter(register=register).count(), "state": register.state}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
