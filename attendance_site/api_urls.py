"""The REST API: /api/v1/ resources, the OpenAPI schema at /api/schema/ and docs at /api/docs/.

The schema is committed as attendance_site/openapi.yaml; tests/api/test_schema.py fails when it
drifts from the code (regenerate with
`manage.py spectacular --validate --fail-on-warn --file attendance_site/openapi.yaml`)."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import SimpleRouter

from absences import api as absences_api
from registers import api

router = SimpleRouter()
router.register("schools", api.SchoolViewSet, basename="api-school")
router.register("groups", api.GroupViewSet, basename="api-group")
router.register("pupils", api.PupilViewSet, basename="api-pupil")
router.register("marks", api.MarkViewSet, basename="api-mark")
router.register("absence-reports", absences_api.AbsenceReportViewSet, basename="api-absence-report")

v1 = [
    # Any segment reaches the view, so that a bad date or session is a JSON 404 like the rest of the API.
    path("groups/<str:group_id>/registers/<str:date>/<str:session>/", api.RegisterView.as_view(), name="api-register"),
    path("statistics/pupils/", api.PupilStatisticsView.as_view(), name="api-statistics-pupils"),
    path("statistics/cohort/", api.CohortStatisticsView.as_view(), name="api-statistics-cohort"),
    path("kiosk/late-arrivals/", api.LateSignInView.as_view(), name="api-kiosk-late"),
    *router.urls,
]

urlpatterns = [
    path("v1/", include(v1)),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # Swagger UI from drf-spectacular-sidecar (no CDN), its start-up script served separately (strict CSP).
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
]
