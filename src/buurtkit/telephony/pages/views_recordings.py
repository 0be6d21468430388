"""Recorded call prompts (content management): the staff page to upload and listen, and the
public address the telephony provider fetches a recording from.

The public address carries an HMAC token of the recording's id (``telephony.links``), so it
needs no login and cannot be guessed; a wrong token is a plain 404.
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from buurtkit.core.apitools import actor_of
from buurtkit.core.errors import ServiceError
from buurtkit.telephony import links, selectors, services
from buurtkit.web.decorators import community_page
from buurtkit.web.forms import apply_service_error
from buurtkit.web.messages import flash
from buurtkit.web.pagination import paginate

CACHE_SECONDS = 365 * 24 * 3600  # a recording never changes: a new file is a new recording


class RecordingForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("Name"),
        max_length=120,
        help_text=gettext_lazy("What it says, for example “Welcome, week of the street party”."),
    )
    language = forms.ChoiceField(label=gettext_lazy("Language"), choices=settings.LANGUAGES)
    file = forms.FileField(
        label=gettext_lazy("Sound file"),
        help_text=gettext_lazy("WAV or MP3, at most 5 MB (about five minutes of MP3)."),
        widget=forms.ClearableFileInput(attrs={"accept": ".wav,.mp3,audio/wav,audio/mpeg"}),
    )


@community_page("telephony.recordings", module="neighbours")  # Buurbel's pages
def recordings(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    delete_id = request.POST.get("delete", "")
    if request.method == "POST" and delete_id.isdigit():
        try:
            services.recording_delete(actor=actor, recording_id=int(delete_id))
        except ServiceError as exc:
            flash(request, str(exc.detail), "error")
        else:
            flash(request, _("The recording is deleted."))
        return redirect("web:buurbel_recordings", slug=actor.community.slug)
    form = RecordingForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            recording = services.recording_upload(
                actor=actor,
                name=form.cleaned_data["name"],
                language=form.cleaned_data["language"],
                upload=form.cleaned_data["file"],
            )
        except ServiceError as exc:
            apply_service_error(form, exc)
        else:
            flash(request, _("The recording “%(name)s” is saved.") % {"name": recording.name})
            return redirect("web:buurbel_recordings", slug=actor.community.slug)
    q = request.GET.get("q", "")
    language = request.GET.get("language", "")
    languages = dict(settings.LANGUAGES)
    if language not in languages:
        language = ""
    page = paginate(request, selectors.recordings(actor=actor, q=q, language=language))
    for recording in page:
        recording.play_url = links.recording_path(recording.pk)  # type: ignore[attr-defined]
        recording.language_name = languages.get(recording.language, recording.language)  # type: ignore[attr-defined]
    context = {
        "page": page,
        "q": q,
        "language": language,
        "language_choices": settings.LANGUAGES,
        "form": form,
    }
    status = 422 if form.errors else 200
    return render(request, "telephony/recordings.html", context, status=status)


@require_GET
def recording_public(request: HttpRequest, recording_id: int, token: str) -> FileResponse:
    """The audio file, for the provider's ``<Play>`` and the staff page's player."""
    recording = selectors.recording_public(recording_id=recording_id, token=token)
    if recording is None or not recording.audio:
        raise Http404
    try:
        handle = recording.audio.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(handle, content_type=recording.content_type)
    response["Cache-Control"] = f"public, max-age={CACHE_SECONDS}, immutable"
    response["X-Content-Type-Options"] = "nosniff"
    return response
