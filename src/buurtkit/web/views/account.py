from __future__ import annotations

from django import forms
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _


class UsernameOrPhoneForm(AuthenticationForm):
    username = forms.CharField(
        label=_("User name or phone number"),
        max_length=150,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"}),
    )


class LoginView(auth_views.LoginView):
    template_name = "web/account/login.html"
    authentication_form = UsernameOrPhoneForm
    redirect_authenticated_user = True
