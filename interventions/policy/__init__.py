"""The school's attendance policy as data, and the pages that show and change it: the triggers
a rule may use and their parameters (`triggers`), the five published presets (`presets`), the
reads (`selectors`, `history`), the writes with their audit (`services`), the forms, views and
URLs, and the hook through which letters names the letter templates a rule proposes
(`letter_templates`).
The checks that run a policy are `interventions.evaluation`."""
