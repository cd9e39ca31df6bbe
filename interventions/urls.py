from django.urls import path

from . import views

app_name = "interventions"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("run-checks/", views.run_checks_now, name="run-checks"),
    path("alerts/<int:pk>/", views.alert_detail, name="alert"),
    path("alerts/<int:pk>/accept/", views.alert_accept, name="alert-accept"),
    path("alerts/<int:pk>/dismiss/", views.alert_dismiss, name="alert-dismiss"),
    path("cases/<int:pk>/", views.case_detail, name="case"),
    path("cases/<int:pk>/actions/", views.case_action, name="case-action"),
    path("cases/<int:pk>/monitoring/", views.case_monitoring, name="case-monitoring"),
    path("cases/<int:pk>/stage/", views.case_stage, name="case-stage"),
    path("cases/<int:pk>/legal/", views.case_legal_step, name="case-legal-step"),
]
