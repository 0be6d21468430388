from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django import forms
from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpResponse
from django.utils.translation import gettext_lazy as _

from buurtkit.people.selectors import preferred_language_for_user


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
