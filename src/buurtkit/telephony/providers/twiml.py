"""Neutral verbs → TwiML, with the official ``twilio`` package (shared by both providers)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from twilio.twiml.voice_response import Dial, VoiceResponse
from twilio.twiml.voice_response import Gather as TwimlGather

from buurtkit.telephony.interface import (
    Conference,
    Gather,
    Hangup,
    Leave,
    Pause,
    Play,
    Record,
    Redirect,
    Say,
    Transfer,
    Verb,
)

CONTENT_TYPE = "text/xml"
#: Text-to-speech voices per buurtkit language.
SAY_LANGUAGES = {"nl": "nl-NL", "fr": "fr-FR", "en": "en-GB"}


def _say(parent: VoiceResponse | TwimlGather, verb: Say | Play | Pause) -> None:
    if isinstance(verb, Say):
        parent.say(verb.text, language=SAY_LANGUAGES.get(verb.language[:2], "nl-NL"))
    elif isinstance(verb, Play):
        parent.play(verb.url)
    else:
        parent.pause(length=verb.seconds)


def render_twiml(
    verbs: Sequence[Verb],
    step_url: Callable[[str], str],
    conference_callback: str = "",
) -> tuple[str, str]:
    """TwiML for ``verbs``; ``conference_callback`` is the URL told about conference joins."""
    response = VoiceResponse()
    for verb in verbs:
        if isinstance(verb, Say | Play | Pause):
            _say(response, verb)
        elif isinstance(verb, Gather):
            gather = response.gather(
                action=step_url(verb.action),
                method="POST",
                num_digits=verb.num_digits,
                timeout=verb.timeout,
                input="dtmf",
            )
            for prompt in verb.prompt:
                _say(gather, prompt)
        elif isinstance(verb, Conference):
            dial = Dial(action=step_url(verb.after), method="POST")
            options: dict[str, object] = {}
            if conference_callback:
                options.update(
                    status_callback=conference_callback,
                    status_callback_event="join leave",
                    status_callback_method="POST",
                )
            dial.conference(
                verb.name,
                start_conference_on_enter=True,
                end_conference_on_exit=True,
                beep=False,
                wait_url=step_url(verb.wait) if verb.wait else "",
                wait_method="POST",
                **options,
            )
            response.append(dial)
        elif isinstance(verb, Transfer):
            dial = Dial(action=step_url(verb.after), method="POST", timeout=verb.timeout)
            dial.number(verb.number)
            response.append(dial)
        elif isinstance(verb, Record):
            record_options: dict[str, object] = {}
            if verb.status:
                record_options.update(
                    recording_status_callback=step_url(verb.status),
                    recording_status_callback_method="POST",
                    recording_status_callback_event="completed",
                )
            response.record(
                action=step_url(verb.action),
                method="POST",
                max_length=verb.max_length,
                timeout=verb.timeout,
                finish_on_key=verb.finish_on_key,
                play_beep=True,
                **record_options,
            )
        elif isinstance(verb, Redirect):
            response.redirect(step_url(verb.step), method="POST")
        elif isinstance(verb, Hangup):
            response.hangup()
        elif isinstance(verb, Leave):
            response.leave()
        else:  # pragma: no cover - the Verb union is closed
            raise TypeError(f"unknown verb {verb!r}")
    return str(response), CONTENT_TYPE
