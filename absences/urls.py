"""The parent portal (parents/…) and the office's pages for reports, leave and follow-up."""

from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from .views import accounts, follow_up, leave_decisions, not_returned, office_reports, office_today, parent_portal

app_name = "absences"
urlpatterns = [
    # parents
    path("", parent_portal.home, name="home"),
    path("children/<int:pk>/", parent_portal.child, name="child"),
    path("report/", parent_portal.report_new, name="report_new"),
    path("report/sent/<uuid:key>/", parent_portal.report_done, name="report_done"),
    path("reports/<int:pk>/", parent_portal.report_detail, name="report_detail"),
    path("reports/<int:pk>/change/", parent_portal.report_edit, name="report_edit"),
    path("reports/<int:pk>/withdraw/", parent_portal.report_withdraw, name="report_withdraw"),
    path("letters/<int:pk>/", parent_portal.letter, name="letter"),
    path("leave/", parent_portal.leave_new, name="leave_new"),
    path("leave/<int:pk>/", parent_portal.leave_detail, name="leave_detail"),
    path("evidence/<int:pk>/", parent_portal.evidence, name="evidence"),
    # accounts
    path("sign-in/", accounts.SignInView.as_view(), name="sign_in"),
    path("invite/<str:token>/", accounts.invite, name="invite"),
    path("password-reset/", accounts.PasswordResetView.as_view(), name="password_reset"),
    path(
        "password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(template_name="absences/password_reset_done.html"),
        name="password_reset_done",
    ),
    path(
        "password-reset/<uidb64>/<token>/", accounts.PasswordResetConfirmView.as_view(), name="password_reset_confirm"
    ),
    path(
        "password-reset/done/",
        auth_views.PasswordResetCompleteView.as_view(
            template_name="absences/password_reset_complete.html",
            extra_context={"login_url": reverse_lazy("absences:sign_in")},
        ),
        name="password_reset_complete",
    ),
    # the office and the head
    path("office/reports/", office_reports.office_inbox, name="office_inbox"),
    path("office/reports/<int:pk>/", office_reports.office_report, name="office_report"),
    path("office/leave/", leave_decisions.office_leave_list, name="office_leave_list"),
    path("office/leave/<int:pk>/", leave_decisions.office_leave, name="office_leave"),
    path("office/leave/not-returned/", not_returned.office_not_returned, name="office_not_returned"),
    path("office/follow-up/", follow_up.office_follow_up, name="office_follow_up"),
    path("office/follow-up/<int:pk>/", follow_up.office_pupil, name="office_pupil"),
    path("office/contacts/<int:pk>/invite/", accounts.office_invite, name="office_invite"),
    path("office/overdue-n/", follow_up.office_overdue, name="office_overdue"),
    path("office/today/", office_today.office_today, name="office_today"),
]
