"""The timetable pages (/lessons/timetable/): lessons/timetable_views.py and timetable_views_groups.py."""

from django.urls import path

from . import timetable_permissions  # noqa: F401  (registers lessons.edit_timetable)
from . import timetable_views as views
from . import timetable_views_groups as group_views

app_name = "timetable"

urlpatterns = [
    path("", views.grid, name="grid"),
    path("settings/", views.settings_page, name="settings"),
    path("periods/", views.periods, name="periods"),
    path("periods/<int:pk>/", views.period_edit, name="period"),
    path("rooms/", views.rooms, name="rooms"),
    path("rooms/<int:pk>/", views.room_edit, name="room"),
    path("groups/", group_views.groups, name="groups"),
    path("groups/<int:pk>/", group_views.group, name="group"),
    path("groups/<int:pk>/join/", group_views.group_join, name="group-join"),
    path("groups/<int:pk>/lessons/", group_views.lesson_add, name="lesson-add"),
    path("members/<int:pk>/end/", group_views.membership_end, name="membership-end"),
    path("lessons/<int:pk>/", group_views.lesson, name="lesson"),
]
