"""Report pages: attendance at a glance (the governors' home), the governors' termly report
(page and PDF), the trust view, the leaders' analysis, the exports and the benchmarks. Thin:
choose the school and period, check the permission, call a selector, render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from registers.models import School
from registers.permissions import staff_of

from .context import report_context, trust_charts
from .exports import (
    TABLES,
    census_return,
    census_xml,
    ctf_xml,
    import_ctf_attendance,
    log_export,
    pupil_rows,
    pupil_statistics_csv,
    report_table,
    table_csv,
)
from .forms import AnalysisForm, LocalBenchmarkForm, NationalBenchmarkForm
from .pdf import render_governors_report_pdf
from .selectors.analysis import analyse, filtered_pupils
from .selectors.benchmarks import local_benchmarks, national_benchmarks
from .selectors.exports import imported_attendance, recent_exports, recent_leavers, school_pupil
from .selectors.glance import school_summaries
from .selectors.governors import governors_report
from .selectors.periods import available_periods, resolve_period
from .selectors.schools import first_trust, school_to_report_on, trust_by_pk, trust_schools
from .selectors.trust import trust_report
from .suppression import PRIMARY, SECONDARY, THRESHOLD


def report_school(request) -> School:
    """The school a report is for: the user's own; a trust leader or administrator may pick
    one (?school=), a governor may not look at another school."""
    staff = staff_of(request.user)
    if staff is None and not request.user.is_superuser:
        raise PermissionDenied("Reports are for school staff, governors and trust leaders.")
    school = school_to_report_on(request.user, staff, request.GET.get("school", ""))
    if school is None:
        raise Http404("No school to report on")
    return school


# --- attendance at a glance (the home page of governors and trust leaders) --------------------


@login_required
def at_a_glance(request):
    """Each of the governor's or trust leader's schools, this academic year to date: figures only."""
    if not request.user.has_perm("reports.view_at_a_glance"):
        raise PermissionDenied("This page is for governors and trust leaders.")
    summaries = school_summaries(staff_of(request.user))
    return render(request, "reports/at_a_glance.html", {"summaries": summaries, "threshold": THRESHOLD})


# --- the governors' report and the trust view --------------------------------------------------


@login_required
def governors_report_page(request):
    school = report_school(request)
    if not request.user.has_perm("reports.view_governors_report", school):
        raise PermissionDenied("The governors' report is for governors, trust leaders and the school's leaders.")
    period = resolve_period(school, request.GET.get("period"))
    context = {"school": school, "periods": available_periods(school), "chosen": request.GET.get("period", "")}
    if period is None:
        return render(request, "reports/governors_report.html", {**context, "report": None})
    report = governors_report(school, period)
    context.update(report_context(report))
    context["chosen"] = period.key
    context["can_analyse"] = request.user.has_perm("reports.view_pupil_analysis", school)
    context["trust_schools"] = trust_schools(staff_of(request.user))
    return render(request, "reports/governors_report.html", context)


@login_required
def governors_report_pdf(request):
    school = report_school(request)
    if not request.user.has_perm("reports.view_governors_report", school):
        raise PermissionDenied("The governors' report is for governors, trust leaders and the school's leaders.")
    period = resolve_period(school, request.GET.get("period"))
    if period is None:
        raise Http404("No school days in that period")
    pdf = render_governors_report_pdf(school, period)
    response = HttpResponse(pdf, content_type="application/pdf")
    name = f"governors-report-{school.urn}-{period.key.replace(':', '-').replace('/', '-')}.pdf"
    response["Content-Disposition"] = f'inline; filename="{name}"'
    return response


@login_required
def trust_report_page(request, pk=None):
    staff = staff_of(request.user)
    if pk is None:
        if staff is None or staff.trust_id is None:
            if not request.user.is_superuser:
                raise PermissionDenied("The trust view is for trust leaders.")
            trust = first_trust()
        else:
            trust = staff.trust
    else:
        trust = trust_by_pk(pk)
    if trust is None:
        raise Http404("No trust")
    if not request.user.has_perm("reports.view_trust_report", trust):
        raise PermissionDenied("The trust view is for the trust's leaders.")
    report = trust_report(trust, request.GET.get("period") or None)
    first = report.columns[0] if report.columns else None
    periods = available_periods(first.school) if first and first.school else []
    return render(
        request,
        "reports/trust_report.html",
        {
            "trust": trust,
            "report": report,
            "periods": periods,
            "chosen": first.period.key if first and first.period else "",
            "charts": trust_charts(report) if report.columns else [],
            "threshold": THRESHOLD,
            "primary_note": PRIMARY,
            "secondary_note": SECONDARY,
        },
    )


# --- leaders' analysis (staff only: names) -------------------------------------------------


def _office_school(request, perm="reports.view_pupil_analysis") -> School:
    school = report_school(request)
    if not request.user.has_perm(perm, school):
        raise PermissionDenied("Pupil-level analysis and exports are for the school's office team and leaders.")
    return school


def _analysis(request, school):
    form = AnalysisForm(request.GET or None, school=school)
    period = resolve_period(school, request.GET.get("period"))
    data = form.cleaned_data if form.is_bound and form.is_valid() else {}
    if period is None:
        return form, None, None
    date_from = data.get("date_from") or period.date_from
    date_to = data.get("date_to") or period.date_to
    result = analyse(school, data, date_from=date_from, date_to=date_to, year_end=period.academic_year.end_date)
    return form, period, result


@login_required
def analysis_page(request):
    school = _office_school(request)
    form, period, result = _analysis(request, school)
    return render(
        request,
        "reports/analysis.html",
        {
            "school": school,
            "form": form,
            "period": period,
            "periods": available_periods(school),
            "chosen": period.key if period else "",
            "analysis": result,
            "weekdays": ["Mon", "Tue", "Wed", "Thu", "Fri"],
            "query": request.GET.urlencode(),
        },
    )


# --- exports (audited; office team only) ----------------------------------------------------


def _csv_response(text: str, filename: str) -> HttpResponse:
    response = HttpResponse(text, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _xml_response(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type="application/xml")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
def exports_page(request):
    school = _office_school(request, "reports.export_pupil_data")
    return render(
        request,
        "reports/exports.html",
        {
            "school": school,
            "periods": available_periods(school),
            "log": recent_exports(school),
            "imported": imported_attendance(school),
            "leavers": recent_leavers(school),
        },
    )


@login_required
def export_pupils_csv(request):
    school = _office_school(request, "reports.export_pupil_data")
    form, period, _ = None, resolve_period(school, request.GET.get("period")), None
    if period is None:
        raise Http404("No school days in that period")
    form = AnalysisForm(request.GET, school=school)
    data = form.cleaned_data if form.is_valid() else {}
    date_from = data.get("date_from") or period.date_from
    date_to = data.get("date_to") or period.date_to
    rows = pupil_rows(school, date_from, date_to, pupils=filtered_pupils(school, data))
    log_export(
        user=request.user,
        school=school,
        kind="pupil_csv",
        description=f"Per-pupil statistics {date_from:%d %b %Y} to {date_to:%d %b %Y}",
        pupils=len(rows),
        parameters={k: str(v) for k, v in request.GET.items()},
    )
    return _csv_response(pupil_statistics_csv(rows), f"pupil-attendance-{school.urn}-{date_from}-{date_to}.csv")


@login_required
def export_table_csv(request, table):
    """An analysis table of the governors' report as CSV (the figures as shown: suppressed
    cells are blank, with the reason)."""
    if table not in TABLES:
        raise Http404("No such table")
    school = _office_school(request, "reports.export_pupil_data")
    period = resolve_period(school, request.GET.get("period"))
    if period is None:
        raise Http404("No school days in that period")
    header, rows = report_table(governors_report(school, period), table)
    log_export(
        user=request.user,
        school=school,
        kind="table_csv",
        description=f"{TABLES[table]} table, {period.label}",
        parameters={"table": table, "period": period.key},
    )
    return _csv_response(
        table_csv(header, rows), f"{table}-{school.urn}-{period.key.replace(':', '-').replace('/', '-')}.csv"
    )


@login_required
def census_page(request):
    school = _office_school(request, "reports.export_pupil_data")
    terms = [p for p in available_periods(school) if p.kind == "term"]
    period = (
        resolve_period(school, request.GET.get("period"))
        if request.GET.get("period")
        else (terms[1] if len(terms) > 1 else (terms[0] if terms else None))
    )
    ret = census_return(school, period) if period else None
    if ret is not None and request.GET.get("download"):
        try:
            data = census_xml(ret)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            log_export(
                user=request.user,
                school=school,
                kind="census",
                description=(
                    f"School census attendance, {period.label} ({len(ret.included)} pupils; "
                    f"{len(ret.excluded)} outside ages 5–15 left out)"
                ),
                pupils=len(ret.included),
                parameters={"period": period.key},
            )
            return _xml_response(
                data, f"census-attendance-{school.urn}-{period.key.replace(':', '-').replace('/', '-')}.xml"
            )
    return render(request, "reports/census.html", {"school": school, "terms": terms, "period": period, "ret": ret})


@login_required
def ctf_export(request, pupil_id):
    school = _office_school(request, "reports.export_pupil_data")
    pupil = school_pupil(school, pupil_id)
    if pupil is None:
        raise Http404("No such pupil at this school")
    data = ctf_xml(pupil)
    log_export(
        user=request.user,
        school=school,
        kind="ctf",
        description=f"CTF attendance for {pupil.upn}",
        pupils=1,
        parameters={"pupil": pupil.pk},
    )
    return _xml_response(data, f"ctf-attendance-{pupil.upn}.xml")


@login_required
def ctf_import(request):
    school = _office_school(request, "reports.export_pupil_data")
    if request.method != "POST":
        return redirect("reports:exports")
    upload = request.FILES.get("ctf")
    if upload is None:
        messages.error(request, "Choose a CTF file (XML) to import.")
        return redirect("reports:exports")
    if upload.size > 5 * 1024 * 1024:
        messages.error(request, "That file is larger than 5 MB; a CTF for one or a few pupils is much smaller.")
        return redirect("reports:exports")
    try:
        saved = import_ctf_attendance(school=school, data=upload.read(), user=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("reports:exports")
    pupils = {r.pupil_id for r in saved}
    log_export(
        user=request.user,
        school=school,
        kind="ctf_import",
        description=f"CTF attendance imported: {len(saved)} year(s) for {len(pupils)} pupil(s)",
        pupils=len(pupils),
        parameters={"file": upload.name},
    )
    messages.success(
        request, f"Imported {len(saved)} year(s) of previous-school attendance for {len(pupils)} pupil(s)."
    )
    return redirect("reports:exports")


# --- benchmarks (data staff can edit) ---------------------------------------------------------


@login_required
def benchmarks_page(request):
    """National figures by year and phase (shared by every school) and this school's own local
    comparisons. Every change is kept in the benchmark's history."""
    school = report_school(request)
    if not request.user.has_perm("reports.edit_benchmarks", school):
        raise PermissionDenied("Benchmarks are edited by the school's office team and leaders.")
    kind, pk = request.GET.get("edit", ":").partition(":")[::2]
    instance, form_class = None, None
    may_edit_national = request.user.has_perm("reports.edit_national_benchmarks")
    if kind == "national":
        if not may_edit_national:
            raise PermissionDenied(
                "National figures are shared by every school and are kept up to date by the service's "
                "administrators; add your local authority's or trust's figures under Local."
            )
        form_class = NationalBenchmarkForm
        instance = get_object_or_404(national_benchmarks(), pk=pk) if pk.isdigit() else None
    elif kind == "local":
        form_class = LocalBenchmarkForm
        instance = get_object_or_404(local_benchmarks(school), pk=pk) if pk.isdigit() else None
    form = None
    if form_class is not None:
        form = form_class(request.POST or None, instance=instance)
        if request.method == "POST" and form.is_valid():
            obj = form.save(commit=False)
            if kind == "local":
                obj.school = school
            obj._change_reason = f"edited by {request.user.get_username()}"
            obj.save()
            messages.success(request, "Benchmark saved.")
            return redirect("reports:benchmarks")
    return render(
        request,
        "reports/benchmarks.html",
        {
            "school": school,
            "national": national_benchmarks(),
            "local": local_benchmarks(school),
            "form": form,
            "editing": kind,
            "may_edit_national": may_edit_national,
        },
    )
