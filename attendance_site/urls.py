from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from common.ratelimits import SIGN_IN, limit

urlpatterns = [
    path(
        "login/",
        limit("sign-in", SIGN_IN, key="ip")(auth_views.LoginView.as_view(redirect_authenticated_user=True)),
        name="login",
    ),
    path("admin/login/", limit("sign-in", SIGN_IN, key="ip")(admin.site.login), name="admin-login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("api/", include("api.urls")),
    path("attendance-officer/", include("interventions.urls")),
    path("reports/", include("reports.urls")),
    path("letters/", include("letters.urls")),
    path("parents/", include("absences.urls")),
    path("", include("registers.urls")),
]
