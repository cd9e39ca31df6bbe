"""The register pages, by page family: the register page itself (`register_page`), a teacher's
day (`teacher_day`) and the office's live views (`office`). Named `register_views` so that it
sits beside `register_forms` and `register_urls` and apart from the staff pupil pages
(`registers/views.py`)."""
