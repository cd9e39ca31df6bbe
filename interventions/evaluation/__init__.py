"""The policy checks: a school's active policy applied to its marks, in the database, in bulk.

`run_checks(school=, on=)` (in `run`) is the single entry point. The package holds, in the
order a run uses them: `context` (what every trigger needs for one school on one date, computed
once: windows, each pupil's figures, the penalty-threshold counts), `triggers` (each trigger
evaluated for every pupil at once), `run` (findings recorded as alerts, idempotently) and
`snapshot` (each pupil's figures for the date, which the officer's dashboard reads).

Which pupils a rule concerns is a parameter too: `years_from`/`years_to` (national curriculum
years) on every trigger, and `ages` on those that count sessions — persistent and severe
absence default to the national statistics' pupils aged 5 to 15, the penalty threshold to
sessions of compulsory school age (`interventions.school_age`).

Other apps (the demo, the benchmark) call `interventions.evaluation.run_checks`."""

from .run import CheckResult, run_checks

__all__ = ["CheckResult", "run_checks"]
