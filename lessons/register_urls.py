"""Lesson registers: a teacher's lessons today, the register page, and the office's lessons of a
day with cover."""

from django.urls import path

from registers.register_views import offline

from . import day_views, register_views

urlpatterns = [
    path("today/", day_views.my_lessons, name="today"),
    path("office/", day_views.office_lessons, name="office"),
    # The register pages' service worker again, served beside the lesson register pages so that
    # its scope is /lessons/registers/ only (as /registers/sw.js covers the statutory ones): the
    # lessons' other pages and forms (timetable, truancy, cover) are never kept or queued by it.
    path("registers/sw.js", offline.service_worker, name="service_worker"),
    path("registers/<int:pk>/", register_views.lesson_register, name="register"),
    path("<int:lesson_id>/<str:day>/", register_views.lesson_register_for, name="register_for"),
]
