"""Taking registers (teachers) and the office's live view of registers and today's attendance."""

from django.urls import path
from django.views.generic import RedirectView

from .register_views import office, offline, register_page, teacher_day

app_name = "registers"

urlpatterns = [
    path("today/", teacher_day.today, name="today"),
    # The register pages' service worker, served here so that its scope is /registers/ only.
    path("registers/sw.js", offline.service_worker, name="service_worker"),
    path("registers/<int:pk>/", register_page.register_page, name="register"),
    path("registers/<int:group_id>/<str:day>/<str:session>/", register_page.register_for, name="register_for"),
    path("notifications/<int:pk>/dismiss/", teacher_day.dismiss_notification, name="dismiss_notification"),
    path("office/registers/", office.office_registers, name="office_registers"),
    path("office/missing-registers/", office.office_missing, name="office_missing"),
    path("office/missing-registers/<int:pk>/remind/", office.office_remind, name="office_remind"),
    # Today's attendance is absences' page now (it joins the register with parents' reports);
    # the old address still leads there.
    path(
        "office/today/",
        RedirectView.as_view(pattern_name="absences:office_today", query_string=True),
    ),
    path("office/late-arrival/", office.office_late_arrival, name="office_late_arrival"),
]
