"""The parent portal and the office's pages for reports, leave, follow-up and overdue N codes.

Thin views: parse, check who may see what, call a service or selector, render. Anything a
user may not see is a 404 (never a 403), so ids of other families' records reveal nothing."""

from __future__ import annotations

import functools
import mimetypes

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import SetPasswordForm
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.views.decorators.http import require_POST

from registers.models import Contact, Mark, Pupil
from registers.permissions import staff_of

from . import selectors
from .follow_up_presets import policy_for
from .forms import (
    AcceptForm,
    AttemptForm,
    GrantForm,
    LeaveForm,
    MessageForm,
    RefuseForm,
    ReportEditForm,
    ReportForm,
    ResolveNForm,
    TakenForm,
)
from .models import AbsenceReport, ContactAttempt, EvidenceFile, LeaveRequest
from .permissions import can_decide_leave, is_office, parent_pupils
from .services.errors import AbsenceError
from .services.follow_up import log_contact_attempt, resolve_n_marks
from .services.leave import grant_leave, record_refused_leave_taken, refuse_leave, submit_leave_request
from .services.parent_accounts import accept_invite, find_invite, invite_contact
from .services.reports import accept_report, decline_report, edit_absence_report, query_report, submit_absence_report

RATE_LIMIT = 10  # POSTs per user per scope
RATE_WINDOW = 600  # seconds


# --- guards -----------------------------------------------------------------------------------


def rate_limited(scope: str, limit: int = RATE_LIMIT, window: int = RATE_WINDOW):
    """A simple cache-based limit on POSTs per user (or per address when signed out)."""

    def decorator(view):
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            if request.method == "POST":
                who = request.user.pk if request.user.is_authenticated else request.META.get("REMOTE_ADDR", "?")
                key = f"absences:rate:{scope}:{who}"
                cache.add(key, 0, window)
                try:
                    count = cache.incr(key)
                except ValueError:
                    cache.set(key, 1, window)
                    count = 1
                if count > limit:
                    response = render(request, "absences/rate_limited.html", {"minutes": window // 60}, status=429)
                    response["Retry-After"] = str(window)
                    return response
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


def parent_required(view):
    """Signed in, with parental responsibility for at least one child; staff are sent home."""

    @login_required(login_url="absences:sign_in")
    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        children = list(parent_pupils(request.user).order_by("legal_forename"))
        if not children:
            raise Http404("No children are linked to this account.")
        request.children = children
        return view(request, *args, **kwargs)

    return wrapper


def office_required(view):
    """The school's office team (office, attendance officer, heads, DSL, data manager)."""

    @login_required
    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        staff = staff_of(request.user)
        if staff is None or staff.school_id is None or not is_office(request.user, staff.school):
            raise PermissionDenied
        request.school = staff.school
        return view(request, *args, **kwargs)

    return wrapper


def leave_access_required(view):
    """Leave requests: the office team, and any delegate the school names to decide them."""

    @login_required
    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        staff = staff_of(request.user)
        if staff is None or staff.school_id is None:
            raise PermissionDenied
        if not (is_office(request.user, staff.school) or can_decide_leave(request.user, staff.school)):
            raise PermissionDenied
        request.school = staff.school
        return view(request, *args, **kwargs)

    return wrapper


def _own(request, queryset, pk):
    """One of the parent's records: a record for a child they are not responsible for is a 404."""
    return get_object_or_404(queryset.filter(pupil__in=[c.pk for c in request.children]), pk=pk)


def _form_errors(form, error: AbsenceError):
    field = error.field if error.field in form.fields else None
    form.add_error(field, error.message)


# --- accounts ---------------------------------------------------------------------------------


class SignInView(auth_views.LoginView):
    template_name = "absences/sign_in.html"
    redirect_authenticated_user = True

    def get_default_redirect_url(self):
        return reverse("absences:home")


class PasswordResetView(auth_views.PasswordResetView):
    template_name = "absences/password_reset.html"
    email_template_name = "absences/email/password_reset.txt"
    subject_template_name = "absences/email/password_reset_subject.txt"
    success_url = reverse_lazy("absences:password_reset_done")


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "absences/password_reset_confirm.html"
    success_url = reverse_lazy("absences:password_reset_complete")


@rate_limited("invite", limit=20)
def invite(request, token):
    found = find_invite(token)
    if found is None:
        return render(request, "absences/invite_invalid.html", status=404)
    form = SetPasswordForm(found.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = accept_invite(token=token, password=form.cleaned_data["new_password1"])
        except AbsenceError as exc:
            form.add_error(None, exc.message)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, "Your password is set. Welcome to the parent portal.")
            return redirect("absences:home")
    return render(request, "absences/invite.html", {"form": form, "invite": found})


# --- the parent portal ------------------------------------------------------------------------


@parent_required
def home(request):
    summaries = [selectors.child_summary(child) for child in request.children]
    ids = [c.pk for c in request.children]
    reports = AbsenceReport.objects.filter(pupil__in=ids).select_related("pupil")[:20]
    requests = LeaveRequest.objects.filter(pupil__in=ids).select_related("pupil")[:20]
    return render(
        request, "absences/home.html", {"summaries": summaries, "reports": reports, "leave_requests": requests}
    )


@parent_required
def child(request, pk):
    pupil = next((c for c in request.children if c.pk == pk), None)
    if pupil is None:
        raise Http404
    summary = selectors.child_summary(pupil)
    return render(
        request,
        "absences/child.html",
        {
            "summary": summary,
            "reports": AbsenceReport.objects.filter(pupil=pupil)[:20],
            "leave_requests": LeaveRequest.objects.filter(pupil=pupil)[:20],
        },
    )


@parent_required
@rate_limited("report")
def report_new(request):
    children = request.children
    form = ReportForm(
        request.POST or None, request.FILES or None, children=Pupil.objects.filter(pk__in=[c.pk for c in children])
    )
    if not form.is_bound:
        chosen = request.GET.get("child", "")
        if chosen.isdigit() and int(chosen) in {c.pk for c in children}:
            form.initial["children"] = [int(chosen)]
        today = timezone.localdate()
        form.initial.setdefault("start_date", today)
        form.initial.setdefault("end_date", today)
    if request.method == "POST" and form.is_valid():
        try:
            reports, created = submit_absence_report(
                user=request.user,
                pupils=list(form.cleaned_data["children"]),
                data=form.report_input(),
                submission_key=form.cleaned_data["submission_key"],
                files=form.cleaned_data["evidence"],
            )
        except AbsenceError as exc:
            _form_errors(form, exc)
        else:
            if created:
                messages.success(request, "Thank you. We have your report and have sent you a confirmation e-mail.")
            return redirect("absences:report_done", key=reports[0].submission_key)
    return render(request, "absences/report_form.html", {"form": form, "editing": None})


@parent_required
def report_done(request, key):
    reports = AbsenceReport.objects.filter(submission_key=key, pupil__in=[c.pk for c in request.children])
    if not reports:
        raise Http404
    return render(request, "absences/report_done.html", {"reports": reports})


@parent_required
def report_detail(request, pk):
    report = _own(request, AbsenceReport.objects.select_related("pupil"), pk)
    return render(request, "absences/report_detail.html", {"report": report})


@parent_required
@rate_limited("report")
def report_edit(request, pk):
    report = _own(request, AbsenceReport.objects.select_related("pupil", "school"), pk)
    if not report.is_open:
        messages.warning(request, "The school has already dealt with this report, so it can't be changed now.")
        return redirect("absences:report_detail", pk=report.pk)
    form = ReportEditForm(
        request.POST or None, request.FILES or None, initial=ReportEditForm.initial_for(report), children=None
    )
    if request.method == "POST" and form.is_valid():
        try:
            edit_absence_report(
                report=report, user=request.user, data=form.report_input(), files=form.cleaned_data["evidence"]
            )
        except AbsenceError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, "Your changes are saved. The school office will see them.")
            return redirect("absences:report_detail", pk=report.pk)
    return render(request, "absences/report_form.html", {"form": form, "editing": report})


@parent_required
@rate_limited("leave")
def leave_new(request):
    children = request.children
    school = children[0].school
    form = LeaveForm(
        request.POST or None, request.FILES or None, children=Pupil.objects.filter(pk__in=[c.pk for c in children])
    )
    if request.method == "POST" and form.is_valid():
        try:
            requests, created = submit_leave_request(
                user=request.user,
                pupils=list(form.cleaned_data["children"]),
                data=form.leave_input(),
                submission_key=form.cleaned_data["submission_key"],
                files=form.cleaned_data["evidence"],
            )
        except AbsenceError as exc:
            _form_errors(form, exc)
        else:
            if created:
                messages.success(request, "Thank you. Your request has gone to the headteacher.")
            return redirect("absences:leave_detail", pk=requests[0].pk)
    return render(request, "absences/leave_form.html", {"form": form, "policy": policy_for(school)})


@parent_required
def leave_detail(request, pk):
    leave = _own(request, LeaveRequest.objects.select_related("pupil"), pk)
    return render(request, "absences/leave_detail.html", {"leave": leave})


@login_required(login_url="absences:sign_in")
def evidence(request, pk):
    """A private file, only for the family it belongs to and the school's office and head."""
    item = get_object_or_404(EvidenceFile.objects.select_related("report", "leave_request", "school"), pk=pk)
    owner = item.report or item.leave_request
    allowed = parent_pupils(request.user).filter(pk=owner.pupil_id).exists() or (
        is_office(request.user, item.school) or can_decide_leave(request.user, item.school)
    )
    if not allowed:
        raise Http404
    try:
        handle = item.file.open("rb")
    except FileNotFoundError:
        raise Http404
    ext = mimetypes.guess_extension(item.content_type) or item.extension
    response = FileResponse(
        handle, as_attachment=True, filename=f"evidence-{item.pk}{ext}", content_type=item.content_type
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- the office: absence reports ------------------------------------------------------------


@office_required
def office_inbox(request):
    reports = list(selectors.open_reports(request.school))
    forms = [
        (r, AcceptForm(initial={"code": AbsenceReport.DEFAULT_CODES.get(r.reason, "")}, prefix=f"r{r.pk}"))
        for r in reports
    ]
    recent = AbsenceReport.objects.filter(school=request.school).exclude(status__in=AbsenceReport.OPEN)
    return render(
        request,
        "absences/office_inbox.html",
        {"items": forms, "recent": recent.select_related("pupil")[:20], "message_form": MessageForm()},
    )


@office_required
@require_POST
def office_report(request, pk):
    report = get_object_or_404(AbsenceReport, pk=pk, school=request.school)
    action = request.POST.get("action")
    try:
        if action == "accept":
            form = AcceptForm(request.POST, prefix=f"r{report.pk}")
            form.is_valid()
            marks = accept_report(
                report=report,
                user=request.user,
                code=form.cleaned_data.get("code"),
                note=form.cleaned_data.get("note", ""),
            )
            messages.success(request, f"Accepted: {len(marks)} sessions recorded for {report.pupil.name}.")
        elif action in ("query", "decline"):
            text = request.POST.get("message", "")
            if action == "query":
                query_report(report=report, user=request.user, message=text)
                messages.success(request, f"Your question has been sent to {report.pupil.forename}'s parent.")
            else:
                decline_report(report=report, user=request.user, reason=text)
                messages.success(request, "Declined; the parent has been told why.")
        else:
            messages.error(request, "Choose accept, query or decline.")
    except AbsenceError as exc:
        messages.error(request, f"{report.pupil.name}: {exc.message}")
    return redirect("absences:office_inbox")


# --- the head: leave decisions --------------------------------------------------------------


@leave_access_required
def office_leave_list(request):
    requests = LeaveRequest.objects.filter(school=request.school).select_related("pupil")
    return render(
        request,
        "absences/office_leave_list.html",
        {
            "waiting": requests.filter(status=LeaveRequest.Status.SUBMITTED).order_by("start_date"),
            "decided": requests.exclude(status=LeaveRequest.Status.SUBMITTED)[:30],
            "can_decide": can_decide_leave(request.user, request.school),
        },
    )


@leave_access_required
def office_leave(request, pk):
    leave = get_object_or_404(LeaveRequest.objects.select_related("pupil", "school"), pk=pk, school=request.school)
    can_decide = can_decide_leave(request.user, request.school)
    initial = {
        "start_date": leave.start_date,
        "start_session": leave.start_session,
        "end_date": leave.end_date,
        "end_session": leave.end_session,
    }
    grant_form, refuse_form, taken_form = GrantForm(initial=initial), RefuseForm(), TakenForm()
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "grant":
                grant_form = GrantForm(request.POST)
                if grant_form.is_valid():
                    d = grant_form.cleaned_data
                    marks = grant_leave(
                        leave_request=leave,
                        user=request.user,
                        start_date=d["start_date"],
                        start_session=d["start_session"],
                        end_date=d["end_date"],
                        end_session=d["end_session"],
                        reason=d["reason"],
                    )
                    messages.success(
                        request, f"Leave granted: {len(marks)} sessions recorded as {leave.CODES[leave.circumstance]}."
                    )
                    return redirect("absences:office_leave", pk=leave.pk)
            elif action == "refuse":
                refuse_form = RefuseForm(request.POST)
                if refuse_form.is_valid():
                    refuse_leave(leave_request=leave, user=request.user, reason=refuse_form.cleaned_data["reason"])
                    messages.success(request, "Leave refused; the parent has been told.")
                    return redirect("absences:office_leave", pk=leave.pk)
            elif action == "taken":
                taken_form = TakenForm(request.POST)
                if taken_form.is_valid():
                    marks = record_refused_leave_taken(
                        leave_request=leave, user=request.user, code=taken_form.cleaned_data["code"]
                    )
                    messages.success(request, f"{len(marks)} sessions coded {taken_form.cleaned_data['code']}.")
                    return redirect("absences:office_leave", pk=leave.pk)
        except AbsenceError as exc:
            messages.error(request, exc.message)
        except PermissionDenied as exc:
            messages.error(request, str(exc) or "You can't decide leave requests.")
    marks = Mark.objects.filter(pupil=leave.pupil, date__range=(leave.start_date, leave.end_date)).select_related(
        "code"
    )
    return render(
        request,
        "absences/office_leave.html",
        {
            "leave": leave,
            "facts": selectors.leave_facts(leave),
            "can_decide": can_decide,
            "grant_form": grant_form,
            "refuse_form": refuse_form,
            "taken_form": taken_form,
            "marks": marks,
        },
    )


# --- the office: follow-up and overdue N ----------------------------------------------------


@office_required
def office_follow_up(request):
    school = request.school
    return render(
        request,
        "absences/office_follow_up.html",
        {
            "cases": selectors.unexplained_absences(school),
            "deletion": selectors.deletion_ground_prompts(school),
            "illness": selectors.illness_prompts(school),
            "policy": policy_for(school),
        },
    )


@office_required
def office_pupil(request, pk):
    pupil = get_object_or_404(Pupil.objects.select_related("group"), pk=pk, school=request.school)
    cases = [c for c in selectors.unexplained_absences(request.school) if c.pupil.pk == pupil.pk]
    case = cases[0] if cases else None
    absence_date = case.first_day if case else timezone.localdate()
    form = AttemptForm(request.POST or None, pupil=pupil, initial={"absence_date": absence_date})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            log_contact_attempt(
                pupil=pupil,
                user=request.user,
                absence_date=d["absence_date"],
                action=d["action"],
                contact=d["contact"],
                channel=d["channel"],
                outcome=d["outcome"],
                notes=d["notes"],
                decision=d["decision"],
                rationale=d["rationale"],
            )
        except AbsenceError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, "Logged.")
            return redirect("absences:office_pupil", pk=pupil.pk)
    return render(
        request,
        "absences/office_pupil.html",
        {
            "pupil": pupil,
            "case": case,
            "form": form,
            "contacts": pupil.contacts.order_by("priority"),
            "attempts": ContactAttempt.objects.filter(pupil=pupil).select_related("contact")[:50],
        },
    )


@office_required
@require_POST
def office_invite(request, pk):
    contact = get_object_or_404(Contact.objects.select_related("pupil"), pk=pk, pupil__school=request.school)
    try:
        invite_contact(contact=contact, user=request.user, base_url=request.build_absolute_uri("/")[:-1])
    except AbsenceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Invitation e-mailed to {contact.email}.")
    return redirect("absences:office_pupil", pk=contact.pupil_id)


@office_required
def office_overdue(request):
    rows = selectors.overdue_n(request.school)
    form = ResolveNForm(request.POST or None, mark_ids=[r.mark.pk for r in rows])
    if request.method == "POST" and form.is_valid():
        try:
            marks = resolve_n_marks(
                school=request.school,
                user=request.user,
                mark_ids=[int(i) for i in form.cleaned_data["marks"]],
                code=form.cleaned_data["code"],
                reason=form.cleaned_data["reason"],
            )
        except AbsenceError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, f"{len(marks)} N code(s) resolved.")
            return redirect("absences:office_overdue")
    return render(request, "absences/office_overdue.html", {"rows": rows, "form": form})


def reports_waiting(school) -> int:
    """For dashboards: how many reports wait for the office."""
    return AbsenceReport.objects.filter(school=school, status=AbsenceReport.Status.SUBMITTED).count()
