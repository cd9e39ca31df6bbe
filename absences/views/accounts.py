"""Parent accounts: signing in, a parent accepting the office's invitation and setting a password,
password resets, and the office sending an invitation."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import SetPasswordForm
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.views.decorators.http import require_POST

from common.ratelimits import (
    INVITE,
    PASSWORD_RESET_PER_ADDRESS,
    PASSWORD_RESET_PER_EMAIL,
    SIGN_IN,
    address_and_username,
    limit,
    limit_view,
    posted_email,
)
from registers.models import Contact

from ..services.errors import AbsenceError
from ..services.parent_accounts import accept_invite, find_invite, invite_contact
from .access import office_required


@limit_view("sign-in", SIGN_IN, key=address_and_username)
class SignInView(auth_views.LoginView):
    template_name = "absences/sign_in.html"
    redirect_authenticated_user = True

    def get_default_redirect_url(self):
        return reverse("absences:home")


@limit_view("password-reset", PASSWORD_RESET_PER_ADDRESS, key="ip")
@limit_view("password-reset-email", PASSWORD_RESET_PER_EMAIL, key=posted_email)
class PasswordResetView(auth_views.PasswordResetView):
    template_name = "absences/password_reset.html"
    email_template_name = "absences/email/password_reset.txt"
    subject_template_name = "absences/email/password_reset_subject.txt"
    success_url = reverse_lazy("absences:password_reset_done")


@limit_view("password-reset-confirm", INVITE, key="ip")
class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "absences/password_reset_confirm.html"
    success_url = reverse_lazy("absences:password_reset_complete")


@limit("invite", INVITE, key="ip", method=["GET", "POST"])
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
