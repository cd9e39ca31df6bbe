"""Lesson registers: a teacher's lessons today, the register page, and the office's lessons of a
day with cover."""

from django.urls import path

from . import day_views, register_views

urlpatterns = [
    path("today/", day_views.my_lessons, name="today"),
    path("office/", day_views.office_lessons, name="office"),
    path("<int:pk>/", register_views.lesson_register, name="register"),
    path("<int:lesson_id>/<str:day>/", register_views.lesson_register_for, name="register_for"),
]
