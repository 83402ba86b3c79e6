"""Sign-in and sign-out (Django's views; django-axes throttles the attempts), one's own
password, the large-text switch, and the users and grants pages for administrators.

The users pages read through ``accounts.selectors`` (403 for a user who administers nothing,
404 for a user outside the admin's subtrees) and change everything through the services,
which check the admin's grants again and write the audit log.
"""

from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from axes.helpers import get_cool_off
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from dangvu.accounts import selectors, services
from dangvu.accounts.forms import (
    EndGrantForm,
    GrantForm,
    OwnPasswordForm,
    PasswordResetForm,
    UserCreateForm,
    generated_password,
)
from dangvu.accounts.models import User
from dangvu.core.errors import DomainError, NotPermitted

PAGE_SIZE = 50
TEXT_COOKIE = "dangvu_text"  # "large" when the user asked for large text


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    pass


def locked_out(request: HttpRequest, *args: Any) -> HttpResponse:
    """django-axes' answer once a user name is locked from an address (AXES_LOCKOUT_CALLABLE)."""
    cool_off = get_cool_off(request) or timedelta()
    minutes = int(cool_off.total_seconds() // 60)
    return render(request, "accounts/locked_out.html", {"minutes": minutes}, status=429)


class PasswordChangeView(auth_views.PasswordChangeView):
    """A user changes his own password (through the service, which audits it)."""

    template_name = "accounts/password_change.html"
    form_class = OwnPasswordForm
    success_url = reverse_lazy("home")

    def form_valid(self, form: Any) -> HttpResponse:
        user = form.user
        services.set_password(actor=user, user=user, password=form.cleaned_data["new_password1"])
        update_session_auth_hash(self.request, user)
        messages.success(self.request, _("Your password is changed."))
        return HttpResponseRedirect(self.get_success_url())


@require_POST
def text_size(request: HttpRequest) -> HttpResponse:
    """Switch large text on or off (a cookie kept a year) and go back to the page."""
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = reverse("home")
    response = redirect(target)
    if request.COOKIES.get(TEXT_COOKIE) == "large":
        response.delete_cookie(TEXT_COOKIE, samesite="Lax")
    else:
        response.set_cookie(
            TEXT_COOKIE,
            "large",
            max_age=365 * 24 * 3600,
            samesite="Lax",
            secure=request.is_secure(),
            httponly=True,
        )
    return response


# --- users and grants, for administrators ----------------------------------------------------


@login_required
def users(request: HttpRequest) -> HttpResponse:
    """The users holding a grant in the admin's subtrees, with those grants; a search box."""
    found = selectors.users_for(request.user)
    search = request.GET.get("q", "").strip()
    if search:
        found = found.filter(
            Q(username__icontains=search)
            | Q(first_name__icontains=search)
            | Q(last_name__icontains=search)
        )
    page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    query = f"{urlencode({'q': search})}&" if search else ""
    return render(
        request,
        "accounts/users.html",
        {"page": page, "search": search, "query": query, "today": timezone.localdate()},
    )


def _field_of(error: DomainError, form: Form, default: str | None = None) -> str | None:
    """Where a service's error is shown: its field, or ``default`` for a refusal."""
    if error.field in form.fields:
        return error.field
    return default if isinstance(error, NotPermitted) else None


@login_required
def user_create(request: HttpRequest) -> HttpResponse:
    selectors.require_administrator(request.user, _("Only administrators manage users."))
    form = UserCreateForm(request.POST or None, admin=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        password = data["password"] or generated_password()
        try:
            created = services.create_user(
                actor=request.user,
                username=data["username"],
                password=password,
                organization=data["organization"],
                role=data["role"],
                valid_from=data["valid_from"],
                first_name=data["full_name"],
                email=data["email"],
            )
        except DomainError as error:
            form.add_error(_field_of(error, form, "organization"), str(error))
        else:
            messages.success(request, _("The user is created."))
            if data["password"]:
                return redirect("accounts:user", pk=created.pk)
            return _user_page(request, selectors.user_for(request.user, created.pk), password)
    status = 400 if form.errors else 200
    return render(request, "accounts/user_create.html", {"form": form}, status=status)


def _user_page(
    request: HttpRequest,
    shown: User,
    new_password: str = "",
    *,
    grant_form: GrantForm | None = None,
    password_form: PasswordResetForm | None = None,
    ending: tuple[int, EndGrantForm] | None = None,
    status: int = 200,
) -> HttpResponse:
    """The user's page: his grants in the admin's scope, each open one with a form to end it,
    a form to grant another role and one to reset the password (``new_password``: a generated
    one, shown this once)."""
    today = timezone.localdate()
    grants = []
    for grant in shown.grants_in_scope:  # type: ignore[attr-defined]
        open_ = grant.valid_to is None or grant.valid_to > today
        form = None
        if open_:
            form = EndGrantForm(initial={"on": today}, prefix=f"end-{grant.pk}")
            if ending and ending[0] == grant.pk:
                form = ending[1]
        grants.append((grant, open_ and grant.valid_from <= today, form))
    context = {
        "shown": shown,
        "grants": grants,
        "grant_form": grant_form or GrantForm(admin=request.user, prefix="grant"),
        "password_form": password_form or PasswordResetForm(user=shown, prefix="password"),
        "new_password": new_password,
    }
    return render(request, "accounts/user.html", context, status=status)


@login_required
def user(request: HttpRequest, pk: int) -> HttpResponse:
    return _user_page(request, selectors.user_for(request.user, pk))


@login_required
@require_POST
def user_grant(request: HttpRequest, pk: int) -> HttpResponse:
    shown = selectors.user_for(request.user, pk)
    form = GrantForm(request.POST, admin=request.user, prefix="grant")
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.grant_role(
                actor=request.user,
                user=shown,
                organization=data["organization"],
                role=data["role"],
                valid_from=data["valid_from"] or timezone.localdate(),
                valid_to=data["valid_to"],
            )
        except DomainError as error:
            form.add_error(_field_of(error, form, "organization"), str(error))
        else:
            messages.success(request, _("The role is granted."))
            return redirect("accounts:user", pk=shown.pk)
    return _user_page(request, shown, grant_form=form, status=400)


@login_required
@require_POST
def grant_end(request: HttpRequest, pk: int, grant: int) -> HttpResponse:
    shown = selectors.user_for(request.user, pk)
    found = next((g for g in shown.grants_in_scope if g.pk == grant), None)  # type: ignore[attr-defined]
    if found is None:
        raise Http404
    form = EndGrantForm(request.POST, prefix=f"end-{found.pk}")
    if form.is_valid():
        try:
            services.end_grant(
                actor=request.user,
                grant=found,
                on=form.cleaned_data["on"],
                reason=form.cleaned_data["reason"],
            )
        except DomainError as error:
            form.add_error(_field_of(error, form, "on"), str(error))
        else:
            messages.success(request, _("The grant is ended."))
            return redirect("accounts:user", pk=shown.pk)
    return _user_page(request, shown, ending=(found.pk, form), status=400)


@login_required
@require_POST
def user_password(request: HttpRequest, pk: int) -> HttpResponse:
    shown = selectors.user_for(request.user, pk)
    form = PasswordResetForm(request.POST, user=shown, prefix="password")
    if form.is_valid():
        password = form.cleaned_data["password"] or generated_password()
        try:
            services.set_password(actor=request.user, user=shown, password=password)
        except DomainError as error:
            form.add_error(_field_of(error, form, "password"), str(error))
        else:
            messages.success(request, _("The password is reset."))
            if form.cleaned_data["password"]:
                return redirect("accounts:user", pk=shown.pk)
            return _user_page(request, shown, password)
    return _user_page(request, shown, password_form=form, status=400)
