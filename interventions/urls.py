from django.urls import include, path

from . import views

app_name = "interventions"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("run-checks/", views.run_checks_now, name="run-checks"),
    path("policy/", include("interventions.policy.urls")),
    path("alerts/<int:pk>/", views.alert_detail, name="alert"),
    path("alerts/<int:pk>/accept/", views.alert_accept, name="alert-accept"),
    path("alerts/<int:pk>/dismiss/", views.alert_dismiss, name="alert-dismiss"),
    path("cases/", views.case_list, name="cases"),
    path("cases/<int:pk>/", views.case_detail, name="case"),
    path("cases/<int:pk>/actions/", views.case_action, name="case-action"),
    path("cases/<int:pk>/monitoring/", views.case_monitoring, name="case-monitoring"),
    path("cases/<int:pk>/stage/", views.case_stage, name="case-stage"),
    path("cases/<int:pk>/legal/", views.case_legal_step, name="case-legal-step"),
    path("cases/<int:pk>/close/", views.case_close, name="case-close"),
    path("cases/<int:pk>/reopen/", views.case_reopen, name="case-reopen"),
    path("cases/<int:pk>/owner/", views.case_owner, name="case-owner"),
    path("cases/<int:pk>/support-plans/new/", views.support_plan_new, name="support-plan-new"),
    path("cases/<int:pk>/support-plans/<int:plan>/", views.support_plan, name="support-plan"),
    path("cases/<int:pk>/support-plans/<int:plan>/targets/", views.support_plan_targets, name="support-plan-targets"),
    path("cases/<int:pk>/targets/<int:target>/", views.support_target_result, name="support-target-result"),
    path("cases/<int:pk>/notice-to-improve/", views.notice_to_improve_new, name="notice-to-improve-new"),
    path("cases/<int:pk>/penalty-notice/<int:parent>/", views.penalty_consider, name="penalty-consider"),
    path("notices-to-improve/<int:pk>/", views.notice_to_improve, name="notice-to-improve"),
    path("notices-to-improve/<int:pk>/outcome/", views.notice_to_improve_outcome, name="notice-to-improve-outcome"),
    path("penalty-notices/<int:pk>/", views.penalty_notice, name="penalty-notice"),
    path("penalty-notices/<int:pk>/status/", views.penalty_notice_status, name="penalty-notice-status"),
    path("penalty-notices/<int:pk>/prosecution/", views.penalty_notice_prosecution, name="penalty-notice-prosecution"),
]
