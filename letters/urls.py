from django.urls import path

from . import views

app_name = "letters"
urlpatterns = [
    path("", views.template_library, name="templates"),
    path("templates/install/", views.install_starters, name="install-starters"),
    path("templates/<int:pk>/", views.template_edit, name="template-edit"),
    path("templates/<int:pk>/preview/", views.template_preview, name="template-preview"),
    path("templates/<int:pk>/history/", views.template_history, name="template-history"),
    path("templates/<int:pk>/draft.pdf", views.template_draft_pdf, name="template-draft-pdf"),
    path("pupils.json", views.pupil_search, name="pupil-search"),
    path("produce/", views.produce, name="produce"),
    path("batches/", views.batch_list, name="batches"),
    path("batches/<int:pk>/", views.batch_detail, name="batch"),
    path("batches/<int:pk>/progress.json", views.batch_progress, name="batch-progress"),
    path("batches/<int:pk>/pdf/", views.batch_pdf, name="batch-pdf"),
    path("letters/", views.letter_list, name="letters"),
    path("letters/<int:pk>/", views.letter_detail, name="letter"),
    path("letters/<int:pk>/view/", views.letter_view, name="letter-view"),
    path("letters/<int:pk>/pdf/", views.letter_pdf, name="letter-pdf"),
    path("letters/<int:pk>/email/", views.letter_email, name="letter-email"),
    path("letterhead/", views.letterhead, name="letterhead"),
    path("letterhead/logo/", views.letterhead_logo, name="letterhead-logo"),
]
