"""Each trigger's parameters, their types and defaults, and their validation.

A rule's `parameters` is JSON the school edits; this module is the one place that says what
each trigger accepts, so a bad policy is refused when it is saved, never when the checks run."""

from __future__ import annotations

from ..school_age import CHOICES as AGE_CHOICES

PERIODS = ("year_to_date", "term", "half_term", "weeks")

AGES_HELP = (
    "all: every pupil; 5_to_15: aged 5 to 15 at the start of the academic year (national statistics); "
    "compulsory: only sessions while the pupil is of compulsory school age"
)

# name: (type, required, default, description)
SCHEMAS: dict[str, dict[str, tuple]] = {
    "attendance_below": {
        "percent": (float, True, None, "Attendance % the rule compares with"),
        "inclusive": (bool, False, False, "True: at or below the value ('falls to 96 %')"),
        "period": (str, False, "year_to_date", "year_to_date, term, half_term or weeks"),
        "weeks": (int, False, None, "With period 'weeks': the last N school weeks"),
        "min_sessions": (int, False, 10, "Ignore pupils with fewer possible sessions"),
        "ages": (str, False, "all", AGES_HELP),
    },
    "band": {
        "band": (str, True, None, "The band's name"),
        "period": (str, False, "year_to_date", "year_to_date, term, half_term or weeks"),
        "weeks": (int, False, None, "With period 'weeks': the last N school weeks"),
        "min_sessions": (int, False, 10, "Ignore pupils with fewer possible sessions"),
        "ages": (str, False, "all", AGES_HELP),
    },
    "persistent_absence": {
        "percent": (float, False, 10.0, "Absence % at or above which a pupil is persistently absent"),
        "period": (str, False, "year_to_date", "year_to_date, term, half_term or weeks"),
        "weeks": (int, False, None, ""),
        "min_sessions": (int, False, 10, ""),
        "ages": (str, False, "5_to_15", AGES_HELP),
    },
    "severe_absence": {
        "percent": (float, False, 50.0, "Absence % at or above which absence is severe"),
        "period": (str, False, "year_to_date", "year_to_date, term, half_term or weeks"),
        "weeks": (int, False, None, ""),
        "min_sessions": (int, False, 10, ""),
        "ages": (str, False, "5_to_15", AGES_HELP),
    },
    "absence_sessions_over": {
        "sessions": (int, True, None, "More than this many sessions of absence"),
        "period": (str, False, "year_to_date", "year_to_date, term, half_term or weeks"),
        "weeks": (int, False, None, ""),
        "unauthorised_only": (bool, False, False, ""),
        "ages": (str, False, "all", AGES_HELP),
    },
    "penalty_threshold": {
        "sessions": (int, False, 10, "Unauthorised sessions (G, N, O, U) …"),
        "weeks": (int, False, 10, "… within this many school weeks (rolling, across terms and years)"),
        "ages": (str, False, "compulsory", AGES_HELP),
    },
    "lates_in_half_term": {
        "count": (int, True, None, "At least this many late marks in the half-term"),
        "codes": (list, False, ["L", "U"], "Which codes count as late"),
    },
    "lates_in_week": {
        "count": (int, True, None, "At least this many late marks in one school week"),
        "codes": (list, False, ["L", "U"], "Which codes count as late"),
    },
    "consecutive_absence": {
        "days": (int, True, None, "Length of the run of school days of absence"),
        "comparison": (str, False, "more_than", "more_than or at_least"),
        "codes": (list, False, [], "Only these codes (e.g. ['I'] for illness); empty: any absence"),
        "recent_days": (int, False, 10, "Only runs that reach into the last N school days"),
        "count_closures": (
            bool,
            False,
            False,
            "Count INSET days and bank holidays inside a run as days of it ('4 if it spans an INSET day')",
        ),
    },
    "illness_periods_in_half_term": {
        "count": (int, True, None, "At least this many separate periods of illness"),
        "codes": (list, False, ["I"], ""),
    },
    "illness_days": {
        "days": (int, True, None, "Days of illness reaching this number"),
        "period": (str, False, "year_to_date", "year_to_date, term, half_term or weeks"),
        "weeks": (int, False, None, ""),
        "codes": (list, False, ["I"], ""),
        "ages": (str, False, "all", AGES_HELP),
    },
    "monitoring_review": {
        "weeks": (int, True, None, "Monitoring periods of this length (2 or 4 weeks …)"),
        "outcome": (str, True, None, "improved or not_improved"),
        "at_stage": (int, False, None, "Only when the case is at this ladder stage (its order)"),
    },
    # Secondary schools' lessons (the `lessons` app). A lesson late is a lesson mark with one of
    # `codes`; `with_registers` adds the AM/PM registers' late marks, counting once a late to a
    # lesson that holds the statutory register (its period's `holds_session`).
    "lesson_lates_in_week": {
        "count": (int, True, None, "At least this many lates to lessons in one school week"),
        "codes": (list, False, ["L", "U"], "Which lesson marks count as late"),
        "with_registers": (bool, False, False, "Also count late marks at the AM/PM registers"),
    },
    "lesson_lates_in_half_term": {
        "count": (int, True, None, "At least this many lates to lessons in the half-term"),
        "codes": (list, False, ["L", "U"], "Which lesson marks count as late"),
        "with_registers": (bool, False, False, "Also count late marks at the AM/PM registers"),
    },
    # Internal truancy: alerts raised when a pupil seen earlier in the day is missing from a
    # lesson. A resolved alert still counts by default: the pupil missed the start of the lesson
    # with no known reason; resolving it records where they were, it does not undo the absence.
    "truancy_alerts_in_week": {
        "count": (int, True, None, "At least this many internal-truancy alerts in one school week"),
        "include_resolved": (bool, False, True, "Count alerts cleared when the pupil turned up, as well as open ones"),
    },
    "truancy_alerts_in_half_term": {
        "count": (int, True, None, "At least this many internal-truancy alerts in the half-term"),
        "include_resolved": (bool, False, True, "Count alerts cleared when the pupil turned up, as well as open ones"),
    },
}

# Every trigger also takes these: the rule applies only to pupils in this range of national
# curriculum years (0 is Reception), e.g. an all-through school's secondary-only rule.
COMMON: dict[str, tuple] = {
    "years_from": (int, False, None, "Only pupils in this national curriculum year or above (0 is Reception)"),
    "years_to": (int, False, None, "Only pupils in this national curriculum year or below"),
}
for _schema in SCHEMAS.values():
    _schema.update(COMMON)

CHOICES = {
    "ages": AGE_CHOICES,
    "period": PERIODS,
    "comparison": ("more_than", "at_least"),
    "outcome": ("improved", "not_improved"),
}


def with_defaults(trigger: str, parameters: dict) -> dict:
    schema = SCHEMAS.get(trigger, {})
    return {name: parameters.get(name, spec[2]) for name, spec in schema.items()}


def validate_parameters(trigger: str, parameters: dict, *, policy=None) -> list[str]:
    """Every problem with `parameters` for `trigger`, in words a school's data manager reads."""
    if trigger not in SCHEMAS:
        return [f"Unknown trigger '{trigger}'."]
    if not isinstance(parameters, dict):
        return ["Parameters must be a set of named values."]
    schema = SCHEMAS[trigger]
    errors = []
    for name in parameters:
        if name not in schema:
            errors.append(f"'{name}' is not a parameter of this trigger (expected: {', '.join(schema)}).")
    for name, (kind, required, _default, _help) in schema.items():
        if name not in parameters or parameters[name] is None:
            if required:
                errors.append(f"'{name}' is required.")
            continue
        value = parameters[name]
        if kind is float:
            ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        elif kind is int:
            ok = isinstance(value, int) and not isinstance(value, bool)
        else:
            ok = isinstance(value, kind)
        if not ok:
            errors.append(f"'{name}' must be {kind.__name__}, not {value!r}.")
            continue
        if name in CHOICES and value not in CHOICES[name]:
            errors.append(f"'{name}' must be one of {', '.join(CHOICES[name])}.")
        if name in ("percent",) and not 0 <= value <= 100:
            errors.append("'percent' must be between 0 and 100.")
        if name in ("sessions", "count", "days", "weeks", "min_sessions") and value < 0:
            errors.append(f"'{name}' cannot be negative.")
        if name == "codes" and not all(isinstance(c, str) and 1 <= len(c) <= 2 for c in value):
            errors.append("'codes' must be attendance codes of one or two characters.")
    if parameters.get("period") == "weeks" and not parameters.get("weeks"):
        errors.append("With period 'weeks', give the number of school weeks.")
    low, high = parameters.get("years_from"), parameters.get("years_to")
    if isinstance(low, int) and isinstance(high, int) and low > high:
        errors.append("'years_from' must not be above 'years_to'.")
    for name in ("years_from", "years_to"):
        value = parameters.get(name)
        if isinstance(value, int) and not isinstance(value, bool) and not 0 <= value <= 14:
            errors.append(f"'{name}' is a national curriculum year from 0 (Reception) to 14.")
    if trigger == "penalty_threshold" and (parameters.get("weeks", 10) or 0) < 1:
        errors.append("The rolling window is at least one school week.")
    band = parameters.get("band")
    if (
        trigger == "band"
        and policy
        and policy.pk
        and isinstance(band, str)
        and not policy.bands.filter(name=band).exists()
    ):
        errors.append(f"The policy has no band called '{parameters['band']}'.")
    return errors
