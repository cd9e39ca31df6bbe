"""The office's Imports page (registers/import_views.py)."""

from django.urls import path

from . import import_views as views

app_name = "imports"

urlpatterns = [
    path("", views.imports_page, name="page"),
    path("<int:pk>/", views.import_run, name="run"),
    path("<int:pk>/confirm/", views.confirm, name="confirm"),
]
