from django.urls import include, path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    # Taking registers (teachers) and the office's live view: registers/register_urls.py
    path("", include("registers.register_urls")),
]
