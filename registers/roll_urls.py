"""The admission register and the year (registers/roll_views.py, registers/rollover_views.py)."""

from django.urls import path

from . import roll_views as views
from . import rollover_views

app_name = "roll"

urlpatterns = [
    path("pupils/<int:pk>/delete/", views.delete_pupil, name="delete"),
    path("deletions/", views.deletions, name="deletions"),
    path("deletions/<int:pk>/", views.deletion, name="deletion"),
    path("rollover/", rollover_views.rollover, name="rollover"),
    path("deletions/notifications.csv", views.notifications_csv, name="notifications-csv"),
]
