"""Shared plumbing every app may use: private file storage, the PDF URL fetcher, the read-only
admin, the form renderer. It imports Django and third-party packages only, never an app."""
