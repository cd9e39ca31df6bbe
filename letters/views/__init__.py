"""The letters pages for staff, one module per page family: `templates` (the library, the editor
with its live preview, a template's history), `producing` (one letter now, or a batch on the
workers), `batches` (progress and the print), `record` (every letter produced), `letterhead`.
What every page shares is in `shared`. Thin: permission (letters/permissions.py), parse, call a
selector or service, render."""
