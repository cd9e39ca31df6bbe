"""The policy pages, included by interventions/urls.py under policy/ (so in the
"interventions" namespace, at /attendance-officer/policy/)."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.policy_page, name="policy-page"),
    path("presets/", views.presets, name="policy-presets"),
    path("presets/<str:key>/", views.preset_load, name="policy-preset-load"),
    path("<int:pk>/", views.policy_page, name="policy-detail"),
    path("<int:pk>/details/", views.policy_edit, name="policy-edit"),
    path("<int:pk>/activate/", views.policy_activate, name="policy-activate"),
    path("<int:pk>/changes/", views.changes, name="policy-changes"),
    path("<int:pk>/bands/", views.bands_edit, name="policy-bands"),
    path("<int:pk>/stages/", views.stages_edit, name="policy-stages"),
    path("<int:pk>/rules/new/", views.rule_new, name="policy-rule-new"),
    path("rules/<int:pk>/", views.rule_edit, name="policy-rule-edit"),
    path("rules/<int:pk>/active/", views.rule_active, name="policy-rule-active"),
    path("rules/<int:pk>/test/", views.rule_test, name="policy-rule-test"),
]
