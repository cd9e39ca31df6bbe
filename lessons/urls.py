"""Lesson pages: each part of the lessons app keeps its own URL module, included here, e.g.
`path("timetable/", include("lessons.timetable_urls"))`."""

from django.urls import include, path  # noqa: F401  (each part adds its include below)

app_name = "lessons"

urlpatterns = [
    path("", include("lessons.register_urls")),
]
