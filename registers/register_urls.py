"""Taking registers (teachers) and the office's live view of registers and today's attendance."""

from django.urls import path

from . import register_views as views

app_name = "registers"

urlpatterns = [
    path("today/", views.today, name="today"),
    path("registers/<int:pk>/", views.register_page, name="register"),
    path("registers/<int:group_id>/<str:day>/<str:session>/", views.register_for, name="register_for"),
    path("notifications/<int:pk>/dismiss/", views.dismiss_notification, name="dismiss_notification"),
    path("office/missing-registers/", views.office_missing, name="office_missing"),
    path("office/missing-registers/<int:pk>/remind/", views.office_remind, name="office_remind"),
    path("office/today/", views.office_today, name="office_today"),
    path("office/late-arrival/", views.office_late_arrival, name="office_late_arrival"),
]
