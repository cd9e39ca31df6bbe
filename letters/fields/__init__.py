"""Merge fields: what a letter template may print, and the data behind it.

- `catalogue`: every field staff may use (the sandbox refuses any other), its label, group,
  example and the produce option it needs;
- `formatting`: plain values (dates, percentages, halves, times, pronouns, money) and their
  JSON-safe form, kept on each letter as "the data it showed";
- `addressees`: who a letter goes to (households, address lines, salutations);
- `data`: the data of a batch's letters, every figure from `registers.selectors` for all the
  pupils at once;
- `sample`: the editor's preview data when no pupil is chosen;
- `stored`: a letter's stored data turned back into what its template renders and what its
  record page lists, so a letter renders again exactly as it did."""
