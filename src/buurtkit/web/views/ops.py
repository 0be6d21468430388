"""Operations pages for the people who run the install (``is_staff`` logins): install-wide,
not per community. The recurring jobs page reads the scheduler's registry and records
(core.scheduler) and knows no feature module."""

from __future__ import annotations

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from buurtkit.core import scheduler


def jobs(request: HttpRequest) -> HttpResponse:
    """The recurring jobs: what each does, when, how its last run went, when it runs next."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not (request.user.is_staff or request.user.is_superuser):
        return render(
            request,
            "web/error.html",
            {"title": _("No access"), "message": _("You are not allowed to see this page.")},
            status=403,
        )
    return render(request, "web/ops/jobs.html", {"jobs": scheduler.job_statuses()})
