from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django import forms
from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from buurtkit.core.errors import ServiceError
from buurtkit.core.permissions import ROLE_CHOICES
from buurtkit.people import selectors as people_selectors
from buurtkit.people import services as people_services
from buurtkit.people.selectors import preferred_language_for_user
from buurtkit.web.messages import flash


class UsernameOrPhoneForm(AuthenticationForm):
    username = forms.CharField(
        label=_("User name or phone number"),
        max_length=150,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"}),
    )


class LoginView(auth_views.LoginView):
    """Sign in; a resident then sees the site in the language they prefer."""

    template_name = "web/account/login.html"
    authentication_form = UsernameOrPhoneForm
    redirect_authenticated_user = True

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        language = preferred_language_for_user(user=form.get_user())
        if language:
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME,
                language,
                max_age=365 * 24 * 3600,
                samesite="Lax",
                secure=settings.SESSION_COOKIE_SECURE,
            )
        return response


class PasswordResetView(auth_views.PasswordResetView):
    """Reset links point at BUURTKIT_PUBLIC_URL when it is set, never at a forged Host header."""

    def form_valid(self, form: Any) -> HttpResponse:
        public = urlsplit(settings.PUBLIC_URL) if settings.PUBLIC_URL else None
        if public and public.netloc:
            self.domain_override = public.netloc
            self.extra_email_context = {"protocol": public.scheme or "https"}
        return super().form_valid(form)


# --- invitations: a login accepts the roles a community offers it (issue 18, item 9) ----------


def _role_names(roles: list[str]) -> str:
    labels = dict(ROLE_CHOICES)
    return ", ".join(str(labels.get(r, r)) for r in roles)


def _accepted(request: HttpRequest, membership: Any) -> HttpResponse:
    flash(
        request,
        gettext("Welcome! You now have a role in %(name)s.") % {"name": membership.community.name},
    )
    return redirect("web:community", slug=membership.community.slug)


@login_required
def invitations_mine(request: HttpRequest) -> HttpResponse:
    """The signed-in login's open invitations (made for its user name), each with Accept."""
    if request.method == "POST":
        try:
            membership = people_services.invitation_accept(
                user=request.user, invitation_id=int(request.POST.get("invitation", "0") or 0)
            )
        except (ServiceError, ValueError) as exc:
            flash(request, str(getattr(exc, "detail", None) or exc), level="error")
            return redirect("web:invitations")
        return _accepted(request, membership)
    rows = [
        {"invitation": i, "roles": _role_names(list(i.roles))}
        for i in people_selectors.invitations_for_user(user=request.user)
    ]
    return render(request, "web/account/invitations.html", {"rows": rows})


@login_required
def invitation_token(request: HttpRequest, token: str) -> HttpResponse:
    """The page an e-mail invitation's link opens: shows the offer; Accept gives the roles to
    the signed-in login. Opening the page changes nothing."""
    invitation = people_selectors.invitation_by_token(token=token)
    if request.method == "POST" and invitation is not None:
        try:
            membership = people_services.invitation_accept(user=request.user, token=token)
        except ServiceError as exc:
            flash(request, str(exc), level="error")
        else:
            return _accepted(request, membership)
    status = 200 if invitation is not None else 404
    context = {
        "invitation": invitation,
        "roles": _role_names(list(invitation.roles)) if invitation else "",
    }
    return render(request, "web/account/invitation.html", context, status=status)
