"""Reading a school's attendance policy: rules as sentences, bands with their effective ranges,
the policy page's overview, the presets before they are loaded, and "test this rule" (the
policy's history is in `interventions.policy.history`).

The policy pages, their tests and anything else that explains a policy read from here, so the
wording of a rule is the same wherever it is shown."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.db.models import Q

from registers.models import Pupil
from registers.years import year_label

from ..evaluation.context import Context, figures_dict
from ..evaluation.run import evaluate, evidence_marks
from ..models import Band, LadderStage, Policy, Rule, TaskKind
from ..school_age import ALL as ALL_AGES
from ..school_age import LABELS as AGE_LABELS
from .presets import PRESETS
from .triggers import SCHEMAS, with_defaults

PERIODS = {
    "year_to_date": "this academic year",
    "term": "this term",
    "half_term": "this half-term",
    "weeks": "over the last few school weeks",
}
PERIOD_CHOICES = [
    ("year_to_date", "This academic year"),
    ("term", "This term"),
    ("half_term", "This half-term"),
    ("weeks", "The last N school weeks"),
]
COMPARISON_CHOICES = [("more_than", "More than"), ("at_least", "At least")]
OUTCOME_CHOICES = [("not_improved", "Without improvement"), ("improved", "With improvement")]

# What each parameter is called on a page (the triggers module names them for code).
PARAMETER_LABELS = {
    "percent": "Percentage",
    "inclusive": "Include the value itself (“falls to”)",
    "period": "Measured over",
    "weeks": "School weeks",
    "min_sessions": "Leave out pupils with fewer possible sessions than",
    "band": "Band",
    "sessions": "Sessions",
    "unauthorised_only": "Count unauthorised absence only",
    "count": "Number",
    "codes": "Attendance codes",
    "days": "School days",
    "comparison": "Comparison",
    "recent_days": "Only runs reaching into the last … school days",
    "outcome": "Outcome",
    "at_stage": "Only while the case is at ladder stage",
    "ages": "Which pupils",
    "years_from": "Only from year group",
    "years_to": "Only up to year group",
    "with_registers": "Also count late marks at the AM/PM registers",
    "include_resolved": "Count alerts cleared when the pupil turned up",
}
# Parameters the sentence itself phrases; any other one is listed under the sentence.
PHRASED = set(PARAMETER_LABELS) - {"ages", "years_from", "years_to", "min_sessions", "recent_days"}
PERCENT_LABELS = {
    "attendance_below": "Attendance %",
    "persistent_absence": "Absence %",
    "severe_absence": "Absence %",
}
TASK_PHRASES = {
    TaskKind.CALL: "a phone call",
    TaskKind.MEETING: "a meeting",
    TaskKind.HOME_VISIT: "a home visit",
    TaskKind.REFERRAL: "a referral",
    TaskKind.SUPPORT_PLAN: "a support plan",
    TaskKind.EARLY_HELP: "an early help assessment",
    TaskKind.CONVERSATION: "a conversation with the pupil",
    TaskKind.DECISION: "a decision",
    TaskKind.REVIEW: "a review",
    TaskKind.DETENTION: "a detention",
    TaskKind.LETTER: "a letter",
    TaskKind.NOTE: "a note",
}
# Band names that are colours get that colour's swatch; any other name a neutral shade by rank.
BAND_COLOURS = {"purple", "green", "yellow", "amber", "red", "blue", "orange", "gold", "silver", "bronze", "grey"}


def parameter_label(trigger: str, name: str) -> str:
    if name == "percent":
        return PERCENT_LABELS.get(trigger, "Percentage")
    return PARAMETER_LABELS.get(name, name.replace("_", " ").capitalize())


def num(value) -> str:
    """96 → '96', 95.50 → '95.5': numbers as a person writes them."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        value = float(value)
    return f"{value:g}" if isinstance(value, float) else str(value)


def param_value(value) -> str:
    if value is None:
        return "(default)"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(map(str, value)) or "(none)"
    return num(value) if isinstance(value, (int, float, Decimal)) else str(value)


def _plural(n, word):
    return f"{num(n)} {word}{'' if n == 1 else 's'}"


def period_phrase(params: dict) -> str:
    if params.get("period") == "weeks":
        return f"over the last {_plural(params.get('weeks') or 0, 'school week')}"
    return PERIODS.get(params.get("period") or "year_to_date", PERIODS["year_to_date"])


def _codes(codes) -> str:
    codes = list(codes or [])
    if not codes:
        return ""
    return f"coded {_join(codes, 'or')}"


def _join(items, last="and") -> str:
    items = [str(i) for i in items if i]
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {last} {items[-1]}"


def condition(rule: Rule, stages_by_order: dict[int, LadderStage] | None = None) -> str:
    """The rule's trigger and parameters as the clause after 'When'."""
    p = with_defaults(rule.trigger, rule.parameters or {})
    t = Rule.Trigger
    trigger = rule.trigger
    if trigger == t.ATTENDANCE_BELOW:
        how = f"is at or below {num(p['percent'])} %" if p["inclusive"] else f"falls below {num(p['percent'])} %"
        return f"attendance {period_phrase(p)} {how}"
    if trigger == t.BAND:
        return f"attendance {period_phrase(p)} is in the {p['band']} band"
    if trigger in (t.PERSISTENT, t.SEVERE):
        kind = "persistent" if trigger == t.PERSISTENT else "severe"
        return f"absence {period_phrase(p)} reaches {num(p['percent'])} % ({kind} absence)"
    if trigger == t.SESSIONS_OVER:
        what = "unauthorised absence" if p["unauthorised_only"] else "absence"
        return f"more than {_plural(p['sessions'], 'session')} of {what} are recorded {period_phrase(p)}"
    if trigger == t.PENALTY_THRESHOLD:
        return (
            f"{num(p['sessions'])} or more sessions of unauthorised absence fall within a rolling "
            f"{_plural(p['weeks'], 'school week')} (across terms and years; sessions still coded N count)"
        )
    if trigger in (t.LATES_HALF_TERM, t.LATES_WEEK):
        where = "in the half-term" if trigger == t.LATES_HALF_TERM else "in one school week"
        return f"a pupil has {num(p['count'])} or more late marks ({_codes(p['codes'])}) {where}"
    if trigger in (t.LESSON_LATES_WEEK, t.LESSON_LATES_HALF_TERM):
        where = "in the half-term" if trigger == t.LESSON_LATES_HALF_TERM else "in one school week"
        also = " or at the AM/PM registers" if p["with_registers"] else ""
        return f"a pupil is late ({_codes(p['codes'])}) {num(p['count'])} or more times to lessons{also} {where}"
    if trigger in (t.TRUANCY_WEEK, t.TRUANCY_HALF_TERM):
        where = "in the half-term" if trigger == t.TRUANCY_HALF_TERM else "in one school week"
        which = "" if p["include_resolved"] else " still open"
        return f"a pupil has {num(p['count'])} or more{which} internal-truancy alerts {where}"
    if trigger == t.CONSECUTIVE:
        how = "more than" if p["comparison"] == "more_than" else "at least"
        codes = f" ({_codes(p['codes'])})" if p["codes"] else ""
        return f"a pupil is absent{codes} for {how} {_plural(p['days'], 'school day')} in a row"
    if trigger == t.ILLNESS_PERIODS:
        return (
            f"a pupil has {num(p['count'])} or more separate periods of illness ({_codes(p['codes'])}) in the half-term"
        )
    if trigger == t.ILLNESS_DAYS:
        return f"illness ({_codes(p['codes'])}) {period_phrase(p)} reaches {_plural(p['days'], 'school day')}"
    if trigger == t.MONITORING:
        how = "with improvement" if p["outcome"] == "improved" else "without improvement"
        text = f"a {num(p['weeks'])}-week monitoring period ends {how}"
        if p.get("at_stage") is not None:
            stage = (stages_by_order or {}).get(p["at_stage"])
            text += f" while the case is at stage {p['at_stage']}" + (f" ({stage.name})" if stage else "")
        return text
    return rule.get_trigger_display().lower()


def conditions_detail(rule: Rule) -> list[str]:
    """The fine print: who is left out, how far back a run may end."""
    p = with_defaults(rule.trigger, rule.parameters or {})
    out = []
    if "min_sessions" in SCHEMAS.get(rule.trigger, {}) and p.get("min_sessions"):
        out.append(f"Pupils with fewer than {_plural(p['min_sessions'], 'possible session')} are not checked.")
    if rule.trigger == Rule.Trigger.CONSECUTIVE:
        out.append(f"Only runs of absence that reach into the last {_plural(p['recent_days'], 'school day')}.")
    if p.get("ages") not in (None, ALL_AGES):
        out.append(f"Counts {AGE_LABELS.get(p['ages'], p['ages'])}.")
    low, high = p.get("years_from"), p.get("years_to")
    if low is not None or high is not None:
        if high is None:
            out.append(f"Only pupils in {year_label(low)} and above.")
        elif low is None:
            out.append(f"Only pupils up to {year_label(high)}.")
        else:
            out.append(f"Only pupils in {year_label(low)} to {year_label(high)}.")
    schema = SCHEMAS.get(rule.trigger, {})
    for name, spec in schema.items():
        if name not in PHRASED and name not in PARAMETER_LABELS and p.get(name) != spec[2]:
            out.append(f"{parameter_label(rule.trigger, name)}: {param_value(p.get(name))}.")
    return out


def proposals(rule: Rule, letter_titles: dict[str, str] | None = None) -> list[str]:
    out = []
    stage_name = rule.stage.name if rule.stage_id else getattr(rule, "preview_stage_name", None)
    if stage_name:
        out.append(f"stage '{stage_name}'")
    if rule.letter_template:
        title = (letter_titles or {}).get(rule.letter_template)
        out.append(f"letter '{rule.letter_template}'" + (f" ({title})" if title else ""))
    if rule.task_kind:
        phrase = TASK_PHRASES.get(rule.task_kind, f"a {rule.get_task_kind_display().lower()}")
        if rule.task_role:
            phrase += f" by the {_role(rule.get_task_role_display())}"
        if rule.task_description:
            phrase += f" (“{rule.task_description}”)"
        out.append(phrase)
    if rule.monitoring_weeks:
        out.append(f"a {rule.monitoring_weeks}-week monitoring period")
    return out


def _role(label: str) -> str:
    return label if label.isupper() else label[0].lower() + label[1:]


def sentence(rule: Rule, *, stages_by_order=None, letter_titles=None) -> str:
    """'When attendance this term falls below 90 %, propose stage 'Amber: meeting', letter
    'persistent_absence' and a phone call by the attendance officer.'"""
    what = proposals(rule, letter_titles)
    tail = f"propose {_join(what)}" if what else "raise an alert (it proposes nothing further)"
    return f"When {condition(rule, stages_by_order)}, {tail}."


# --- bands ------------------------------------------------------------------------------------


@dataclass
class BandView:
    band: Band
    css: str
    lower: Decimal
    upper: Decimal | None  # the next band's lower bound (exclusive); None for the top band

    @property
    def effective(self) -> str:
        if self.upper is None:
            return f"{num(self.lower)} % and above"
        if self.lower == 0:
            return f"below {num(self.upper)} %"
        return f"{num(self.lower)} % up to (not including) {num(self.upper)} %"

    @property
    def published_attendance(self) -> str:
        return _range(self.band.attendance_from, self.band.attendance_to)

    @property
    def published_absence(self) -> str:
        return _range(self.band.absence_from, self.band.absence_to)


def _range(low, high) -> str:
    if low is None and high is None:
        return "–"
    if high is None:
        return f"≥ {num(low)} %"
    if low is None:
        return f"≤ {num(high)} %"
    return f"{num(low)}–{num(high)} %"


def band_css(name: str, rank: int) -> str:
    slug = (name or "").strip().lower()
    return f"band-{slug}" if slug in BAND_COLOURS else f"band-rank-{min(rank, 6)}"


def band_views(bands) -> list[BandView]:
    """Highest band first, each with the range it really holds: from its lower bound up to the
    next band's (published bands leave gaps; a value belongs to the band whose lower bound it
    reaches)."""
    ordered = sorted(bands, key=lambda b: b.attendance_from, reverse=True)
    out = []
    for i, band in enumerate(ordered):
        upper = ordered[i - 1].attendance_from if i else None
        out.append(BandView(band, band_css(band.name, i + 1), band.attendance_from, upper))
    return out


# --- the policy page ----------------------------------------------------------------------------


@dataclass
class RuleView:
    rule: Rule
    sentence: str
    details: list[str]
    missing_letter: bool


def policy_overview(policy: Policy, *, letter_titles: dict[str, str]) -> dict:
    stages = list(policy.stages.all())
    by_order = {s.order: s for s in stages}
    rules = list(policy.rules.select_related("stage"))
    views = [
        RuleView(
            rule,
            sentence(rule, stages_by_order=by_order, letter_titles=letter_titles),
            conditions_detail(rule),
            bool(rule.letter_template) and rule.letter_template not in letter_titles,
        )
        for rule in rules
    ]
    rules_by_stage: dict[int, list[Rule]] = {}
    for rule in rules:
        if rule.stage_id and rule.active:
            rules_by_stage.setdefault(rule.stage_id, []).append(rule)
    bands = band_views(policy.bands.all())
    return {
        "stages": [(stage, rules_by_stage.get(stage.pk, [])) for stage in stages],
        "bands": bands,
        "band_actions": any(b.band.action for b in bands),
        "active_rules": [v for v in views if v.rule.active],
        "inactive_rules": [v for v in views if not v.rule.active],
        "monitoring": monitoring_lengths(rules),
    }


def monitoring_lengths(rules) -> list[dict]:
    """Each monitoring period length the policy uses: which rules start one, which review it."""
    lengths: dict[int, dict] = {}
    for rule in rules:
        if not rule.active:
            continue
        if rule.monitoring_weeks:
            lengths.setdefault(rule.monitoring_weeks, {"starts": [], "reviews": []})["starts"].append(rule)
        if rule.trigger == Rule.Trigger.MONITORING:
            weeks = (rule.parameters or {}).get("weeks")
            if weeks:
                lengths.setdefault(weeks, {"starts": [], "reviews": []})["reviews"].append(rule)
    return [{"weeks": w, **v} for w, v in sorted(lengths.items())]


def active_policy(school, *, other_than: Policy | None = None) -> Policy | None:
    """The school's active policy (a school has at most one), or None; with `other_than`, None
    when that is the active one."""
    policies = Policy.objects.filter(school=school, active=True)
    if other_than is not None:
        policies = policies.exclude(pk=other_than.pk)
    return policies.first()


def policies_of(school) -> list[Policy]:
    return list(Policy.objects.filter(school=school).order_by("-active", "name", "pk"))


def school_pupil(school, pk) -> Pupil | None:
    """One of the school's pupils by id (with their group), or None."""
    return Pupil.objects.filter(school=school, pk=pk).select_related("group").first()


def pupils_matching(school, query: str, limit: int = 20):
    query = (query or "").strip()
    if not query:
        return Pupil.objects.none()
    words = query.split()
    qs = Pupil.objects.filter(school=school).select_related("group")
    for word in words:
        qs = qs.filter(
            Q(legal_forename__icontains=word)
            | Q(legal_surname__icontains=word)
            | Q(preferred_forename__icontains=word)
            | Q(preferred_surname__icontains=word)
            | Q(upn__iexact=word)
        )
    return qs.order_by("legal_surname", "legal_forename")[:limit]


# --- presets and "test this rule" -------------------------------------------------------------------


def preset_preview(key: str) -> dict:
    """A preset as the policy page would show it, before it is loaded (unsaved objects)."""
    data = PRESETS[key]
    stage_names = dict(enumerate(data.get("stages", []), start=1))
    rules = []
    for spec in data["rules"]:
        rule = Rule(
            trigger=spec["trigger"],
            name=spec["name"],
            parameters=dict(spec.get("parameters", {})),
            letter_template=spec.get("letter_template", ""),
            task_kind=spec.get("task_kind", ""),
            task_role=spec.get("task_role", ""),
            task_description=spec.get("task_description", ""),
            monitoring_weeks=spec.get("monitoring_weeks"),
        )
        rule.preview_stage_name = stage_names.get(spec.get("stage"))
        stages_by_order = {o: LadderStage(order=o, name=n) for o, n in stage_names.items()}
        rules.append({"name": rule.name, "sentence": sentence(rule, stages_by_order=stages_by_order)})
    bands = [Band(**{k: Decimal(str(v)) if k != "name" else v for k, v in b.items()}) for b in data.get("bands", [])]
    return {
        "key": key,
        "name": data["name"],
        "target_percent": data.get("target_percent"),
        "stages": list(stage_names.items()),
        "bands": band_views(bands),
        "rules": rules,
    }


@dataclass
class DryRun:
    ready: bool
    triggered: bool = False
    window: object = None
    figures: dict = field(default_factory=dict)
    evidence: dict = field(default_factory=dict)
    marks: list = field(default_factory=list)


def dry_run(*, rule: Rule, pupil, on: dt.date) -> DryRun:
    """Would `rule` meet `pupil` on `on`, and on what evidence? The checks' own trigger code
    (`evaluation.run.evaluate`) without the step that records alerts; inside a transaction that is
    rolled back, so nothing can be written even by accident."""
    with transaction.atomic():
        try:
            ctx = Context(pupil.school, on)
            if not ctx.ready:
                return DryRun(ready=False)
            findings = [f for f in evaluate(ctx, rule) if f.pupil_id == pupil.pk]
            result = DryRun(ready=True, triggered=bool(findings))
            params = with_defaults(rule.trigger, rule.parameters or {})
            if findings:
                finding = findings[0]
                result.window, result.figures = finding.window, finding.figures
                result.evidence = {k: v for k, v in finding.extra.items() if v not in (None, "", [])}
                result.marks = evidence_marks(ctx, rule, findings).get(pupil.pk, [])
            elif "period" in SCHEMAS.get(rule.trigger, {}):
                result.window = ctx.window(params)
                ages = (params.get("ages"),) if "ages" in params else ()
                result.figures = figures_dict(ctx.figures(result.window, *ages).get(pupil.pk))
            return result
        finally:
            transaction.set_rollback(True)
