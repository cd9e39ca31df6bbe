from django.urls import include, path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("pupils/", views.pupil_list, name="pupil-list"),
    path("pupils/<int:pk>/", views.pupil_detail, name="pupil-detail"),
    path("imports/", include("registers.import_urls")),
    path("roll/", include("registers.roll_urls")),
    # Taking registers (teachers) and the office's live view: registers/register_urls.py
    path("", include("registers.register_urls")),
]
