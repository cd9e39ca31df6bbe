from django.urls import path

from . import lesson_views, views

app_name = "reports"
urlpatterns = [
    path("", views.governors_report_page, name="governors"),
    path("at-a-glance/", views.at_a_glance, name="at-a-glance"),
    path("governors.pdf", views.governors_report_pdf, name="governors-pdf"),
    path("trust/", views.trust_report_page, name="trust"),
    path("trust/<int:pk>/", views.trust_report_page, name="trust-detail"),
    path("analysis/", views.analysis_page, name="analysis"),
    path("lessons/", lesson_views.lesson_analysis_page, name="lessons"),
    path("lessons.csv", lesson_views.lesson_analysis_csv, name="lessons-csv"),
    path("exports/", views.exports_page, name="exports"),
    path("exports/pupils.csv", views.export_pupils_csv, name="export-pupils"),
    path("exports/table/<slug:table>.csv", views.export_table_csv, name="export-table"),
    path("exports/census/", views.census_page, name="census"),
    path("exports/ctf/<int:pupil_id>.xml", views.ctf_export, name="ctf-export"),
    path("exports/ctf/import/", views.ctf_import, name="ctf-import"),
    path("benchmarks/", views.benchmarks_page, name="benchmarks"),
]
