from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest


def flash(request: HttpRequest, text: str, level: str = "success") -> None:
    messages.add_message(request, messages.ERROR if level == "error" else messages.SUCCESS, text)
