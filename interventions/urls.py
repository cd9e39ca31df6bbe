from django.urls import include, path

from .views import alerts, cases, dashboard, notices_to_improve, penalty_notices, support_plans

app_name = "interventions"
urlpatterns = [
    path("", dashboard.dashboard, name="dashboard"),
    path("run-checks/", dashboard.run_checks_now, name="run-checks"),
    path("worklist/", dashboard.worklist_decide, name="worklist-decide"),
    path("policy/", include("interventions.policy.urls")),
    path("alerts/<int:pk>/", alerts.alert_detail, name="alert"),
    path("alerts/<int:pk>/accept/", alerts.alert_accept, name="alert-accept"),
    path("alerts/<int:pk>/dismiss/", alerts.alert_dismiss, name="alert-dismiss"),
    path("cases/", cases.case_list, name="cases"),
    path("cases/<int:pk>/", cases.case_detail, name="case"),
    path("cases/<int:pk>/actions/", cases.case_action, name="case-action"),
    path("cases/<int:pk>/monitoring/", cases.case_monitoring, name="case-monitoring"),
    path("cases/<int:pk>/stage/", cases.case_stage, name="case-stage"),
    path("cases/<int:pk>/legal/", cases.case_legal_step, name="case-legal-step"),
    path("cases/<int:pk>/close/", cases.case_close, name="case-close"),
    path("cases/<int:pk>/reopen/", cases.case_reopen, name="case-reopen"),
    path("cases/<int:pk>/owner/", cases.case_owner, name="case-owner"),
    path("cases/<int:pk>/support-plans/new/", support_plans.support_plan_new, name="support-plan-new"),
    path("cases/<int:pk>/support-plans/<int:plan>/", support_plans.support_plan, name="support-plan"),
    path(
        "cases/<int:pk>/support-plans/<int:plan>/targets/",
        support_plans.support_plan_targets,
        name="support-plan-targets",
    ),
    path("cases/<int:pk>/targets/<int:target>/", support_plans.support_target_result, name="support-target-result"),
    path("cases/<int:pk>/notice-to-improve/", notices_to_improve.notice_to_improve_new, name="notice-to-improve-new"),
    path("cases/<int:pk>/penalty-notice/<int:parent>/", penalty_notices.penalty_consider, name="penalty-consider"),
    path("notices-to-improve/<int:pk>/", notices_to_improve.notice_to_improve, name="notice-to-improve"),
    path(
        "notices-to-improve/<int:pk>/outcome/",
        notices_to_improve.notice_to_improve_outcome,
        name="notice-to-improve-outcome",
    ),
    path("penalty-notices/<int:pk>/", penalty_notices.penalty_notice, name="penalty-notice"),
    path("penalty-notices/<int:pk>/status/", penalty_notices.penalty_notice_status, name="penalty-notice-status"),
    path(
        "penalty-notices/<int:pk>/prosecution/",
        penalty_notices.penalty_notice_prosecution,
        name="penalty-notice-prosecution",
    ),
]
