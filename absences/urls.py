"""The parent portal (parents/…) and the office's pages for reports, leave and follow-up."""

from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from . import office_today, views

app_name = "absences"
urlpatterns = [
    # parents
    path("", views.home, name="home"),
    path("children/<int:pk>/", views.child, name="child"),
    path("report/", views.report_new, name="report_new"),
    path("report/sent/<uuid:key>/", views.report_done, name="report_done"),
    path("reports/<int:pk>/", views.report_detail, name="report_detail"),
    path("reports/<int:pk>/change/", views.report_edit, name="report_edit"),
    path("leave/", views.leave_new, name="leave_new"),
    path("leave/<int:pk>/", views.leave_detail, name="leave_detail"),
    path("evidence/<int:pk>/", views.evidence, name="evidence"),
    # accounts
    path("sign-in/", views.SignInView.as_view(), name="sign_in"),
    path("invite/<str:token>/", views.invite, name="invite"),
    path("password-reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path(
        "password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(template_name="absences/password_reset_done.html"),
        name="password_reset_done",
    ),
    path("password-reset/<uidb64>/<token>/", views.PasswordResetConfirmView.as_view(), name="password_reset_confirm"),
    path(
        "password-reset/done/",
        auth_views.PasswordResetCompleteView.as_view(
            template_name="absences/password_reset_complete.html",
            extra_context={"login_url": reverse_lazy("absences:sign_in")},
        ),
        name="password_reset_complete",
    ),
    # the office and the head
    path("office/reports/", views.office_inbox, name="office_inbox"),
    path("office/reports/<int:pk>/", views.office_report, name="office_report"),
    path("office/leave/", views.office_leave_list, name="office_leave_list"),
    path("office/leave/<int:pk>/", views.office_leave, name="office_leave"),
    path("office/follow-up/", views.office_follow_up, name="office_follow_up"),
    path("office/follow-up/<int:pk>/", views.office_pupil, name="office_pupil"),
    path("office/contacts/<int:pk>/invite/", views.office_invite, name="office_invite"),
    path("office/overdue-n/", views.office_overdue, name="office_overdue"),
    path("office/today/", office_today.office_today, name="office_today"),
]
