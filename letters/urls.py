from django.urls import path

from .views import batches, letterhead, producing, record, templates

app_name = "letters"
urlpatterns = [
    path("", templates.template_library, name="templates"),
    path("templates/install/", templates.install_starters, name="install-starters"),
    path("templates/<int:pk>/", templates.template_edit, name="template-edit"),
    path("templates/<int:pk>/preview/", templates.template_preview, name="template-preview"),
    path("templates/<int:pk>/history/", templates.template_history, name="template-history"),
    path("templates/<int:pk>/draft.pdf", templates.template_draft_pdf, name="template-draft-pdf"),
    path("pupils.json", templates.pupil_search, name="pupil-search"),
    path("produce/", producing.produce, name="produce"),
    path("batches/", batches.batch_list, name="batches"),
    path("batches/<int:pk>/", batches.batch_detail, name="batch"),
    path("batches/<int:pk>/progress.json", batches.batch_progress, name="batch-progress"),
    path("batches/<int:pk>/pdf/", batches.batch_pdf, name="batch-pdf"),
    path("letters/", record.letter_list, name="letters"),
    path("letters/<int:pk>/", record.letter_detail, name="letter"),
    path("letters/<int:pk>/view/", record.letter_view, name="letter-view"),
    path("letters/<int:pk>/pdf/", record.letter_pdf, name="letter-pdf"),
    path("letters/<int:pk>/email/", record.letter_email, name="letter-email"),
    path("letterhead/", letterhead.letterhead, name="letterhead"),
    path("letterhead/logo/", letterhead.letterhead_logo, name="letterhead-logo"),
]
