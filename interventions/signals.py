"""What interventions tells the apps above it (docs/architecture.md: a lower app sends a signal,
a higher one connects to it in its AppConfig.ready()).

`letters_requested`: the officer accepted proposals on the worklist and the new case actions ask
for letters. Sent after the acceptances are saved, with `school`, `actions` (the letter actions,
with their case and alert), `user` and `on` (the letter date). The letters app connects to it and
produces them as one batch per template; each receiver returns a list of dicts, one per batch,
{"title", "letters", "url"} or {"title", "error"}, for the page to say what happened. With no
receiver (letters not installed) the actions stay on the case as letters still to produce."""

from django.dispatch import Signal

letters_requested = Signal()
