"""The REST API: /api/v1/ resources, the OpenAPI schema at /api/schema/ and docs at /api/docs/.

The schema is committed as attendance_site/openapi.yaml; tests/api/test_schema.py fails when it
drifts from the code (regenerate with
`manage.py spectacular --validate --fail-on-warn --file attendance_site/openapi.yaml`)."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import SimpleRouter

from . import absence_reports, groups, kiosk, lessons, marks, pupil_sync, pupils, registers, schools, statistics

router = SimpleRouter()
router.register("schools", schools.SchoolViewSet, basename="api-school")
router.register("groups", groups.GroupViewSet, basename="api-group")
router.register("pupils", pupils.PupilViewSet, basename="api-pupil")
router.register("marks", marks.MarkViewSet, basename="api-mark")
router.register("absence-reports", absence_reports.AbsenceReportViewSet, basename="api-absence-report")
router.register("lesson-registers", lessons.LessonRegisterViewSet, basename="api-lesson-register")
router.register("lesson-marks", lessons.LessonMarkViewSet, basename="api-lesson-mark")

v1 = [
    # Any segment reaches the view, so that a bad date or session is a JSON 404 like the rest of the API.
    path(
        "groups/<str:group_id>/registers/<str:date>/<str:session>/",
        registers.RegisterView.as_view(),
        name="api-register",
    ),
    path(
        "lessons/<str:lesson_id>/registers/<str:date>/",
        lessons.LessonRegisterView.as_view(),
        name="api-lesson-register",
    ),
    path("statistics/pupils/", statistics.PupilStatisticsView.as_view(), name="api-statistics-pupils"),
    path("statistics/cohort/", statistics.CohortStatisticsView.as_view(), name="api-statistics-cohort"),
    path("statistics/report/", statistics.ReportStatisticsView.as_view(), name="api-statistics-report"),
    path("kiosk/late-arrivals/", kiosk.LateSignInView.as_view(), name="api-kiosk-late"),
    # before the router, whose pupils/<id>/ would otherwise take "sync" for an id
    path("pupils/sync/", pupil_sync.PupilSyncView.as_view(), name="api-pupils-sync"),
    *router.urls,
]

urlpatterns = [
    path("v1/", include(v1)),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # Swagger UI from drf-spectacular-sidecar (no CDN), its start-up script served separately (strict CSP).
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
]
