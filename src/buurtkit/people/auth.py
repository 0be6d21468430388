"""Sign in with a user name or a phone number (residents often remember their number best)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend


class UsernameOrPhoneBackend(ModelBackend):
    def authenticate(
        self, request: Any, username: str | None = None, password: str | None = None, **kwargs: Any
    ) -> Any:
        if not username or password is None:
            return None
        User = get_user_model()
        user = User.objects.filter(username__iexact=username.strip()).first()
        if user is None:
            from buurtkit.people.selectors import person_for_login

            user = person_for_login(identifier=username)
        if user is None:
            User().set_password(password)  # same work as a real check: no timing oracle
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None


def throttle_key(request: Any, credentials: dict[str, Any] | None = None) -> str:
    """What django-axes counts failed logins under: the account, however its name was typed.

    Without this, "0470123456", "0470 12 34 56", "+32470123456" and "Marie" would each get
    their own failure budget for the same login.
    """
    data = credentials or getattr(request, "POST", None) or {}
    typed = str(data.get("username") or "").strip()
    if not typed:
        return ""
    user = get_user_model().objects.filter(username__iexact=typed).first()
    if user is None:
        from buurtkit.people.selectors import person_for_login

        user = person_for_login(identifier=typed)
    if user is not None:
        return str(user.get_username()).lower()
    from buurtkit.people.phones import normalise_phone

    try:
        phone, _kind = normalise_phone(typed)
    except Exception:
        phone = ""
    return phone or typed.lower()
