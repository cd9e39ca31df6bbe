from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from common.ratelimits import SIGN_IN, address_and_username, limit

signing_in = limit("sign-in", SIGN_IN, key=address_and_username)

urlpatterns = [
    path("login/", signing_in(auth_views.LoginView.as_view(redirect_authenticated_user=True)), name="login"),
    path("admin/login/", signing_in(admin.site.login), name="admin-login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("api/", include("api.urls")),
    path("attendance-officer/", include("interventions.urls")),
    path("reports/", include("reports.urls")),
    path("letters/", include("letters.urls")),
    path("parents/", include("absences.urls")),
    path("lessons/", include("lessons.urls")),
    path("", include("registers.urls")),
]
