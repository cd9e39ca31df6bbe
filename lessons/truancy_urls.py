"""/lessons/truancy/: today's internal-truancy alerts, one alert, and lessons missing a register."""

from django.urls import path

from . import truancy_views

urlpatterns = [
    path("", truancy_views.truancy_list, name="truancy"),
    path("<int:pk>/", truancy_views.truancy_alert, name="truancy-alert"),
    path("missing-registers/", truancy_views.missing_registers, name="missing-registers"),
]
