"""The narrow interface every telephony provider implements, and the registries.

Flows answer a call step with *neutral verbs*; a provider turns them into its own markup
(TwiML for Twilio and the simulator). Another app owns a call by its ``purpose`` and registers
a flow handler for it with :func:`register_flow`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol, Union

from django.conf import settings
from django.http import HttpRequest

from buurtkit.core.registry import Registry
from buurtkit.messaging.providers import SmsResult

if TYPE_CHECKING:
    from buurtkit.core.models import Community
    from buurtkit.telephony.models import Call


@dataclass(frozen=True)
class Say:
    """Text read out by text-to-speech in ``language`` (``nl``, ``fr``, ``en``)."""

    text: str
    language: str = "nl"


@dataclass(frozen=True)
class Play:
    """A recording (an absolute or site-relative URL)."""

    url: str


@dataclass(frozen=True)
class Pause:
    seconds: int = 1


@dataclass(frozen=True)
class Gather:
    """Read ``prompt`` and wait for keys; the keys are posted to step ``action``.

    When nothing is pressed within ``timeout`` seconds the call goes on with the next verb
    (typically a :class:`Redirect` to a re-prompt step).
    """

    prompt: tuple[Say | Play | Pause, ...]
    action: str
    num_digits: int = 1
    timeout: int = 8

    def __post_init__(self) -> None:
        if not 8 <= self.timeout <= 10:
            raise ValueError("the input timeout is 8 to 10 seconds")


@dataclass(frozen=True)
class Conference:
    """Join the conference room ``name``. While alone the caller hears ``wait`` (a step that
    answers with speech, repeated); when the caller leaves, the call goes on at step ``after``.
    Joins and leaves are reported to the owning flow's :class:`CallHooks` ``conference``."""

    name: str
    after: str = "after-conference"
    wait: str = ""


@dataclass(frozen=True)
class Transfer:
    """Put the caller through to a person at ``number`` (E.164); afterwards step ``after``."""

    number: str
    after: str = "after-transfer"
    timeout: int = 25


@dataclass(frozen=True)
class Record:
    """Record what the caller says (a voicemail) after a beep, at most ``max_length`` seconds;
    ``timeout`` seconds of silence or the ``finish_on_key`` end it.

    Afterwards the call goes on at step ``action``; the provider's facts about the recording
    (``RecordingSid``, ``RecordingUrl``, ``RecordingDuration``) are in
    ``call.flow_state["facts"]`` while the flow answers that step. When the file is ready the
    provider also posts step ``status`` (its recording status callback; ``""``: not asked
    for), with the same facts and ``RecordingStatus``. When nothing was recorded the provider
    skips ``action`` and goes on with the next verb.
    """

    action: str
    status: str = ""
    max_length: int = 120
    timeout: int = 5
    finish_on_key: str = "#"

    def __post_init__(self) -> None:
        if not 1 <= self.max_length <= 600:
            raise ValueError("a recording is 1 to 600 seconds long")


@dataclass(frozen=True)
class Leave:
    """Leave the conference room (in a room's wait answer); the call goes on at its
    :class:`Conference` ``after`` step."""


@dataclass(frozen=True)
class Redirect:
    step: str


@dataclass(frozen=True)
class Hangup:
    pass


Verb = Union[Say, Play, Pause, Gather, Conference, Transfer, Record, Leave, Redirect, Hangup]  # noqa: UP007


class Provider(Protocol):
    """What buurtkit needs from a telephony provider."""

    name: str

    def place_call(self, call: Call) -> str:
        """Ask the provider to dial ``call`` (already committed); return the provider's id.

        Must not retry by itself: a failed request raises and the caller decides.
        """
        ...

    def render(
        self,
        verbs: Sequence[Verb],
        step_url: Callable[[str], str],
        conference_callback: str = "",
    ) -> tuple[str, str]:
        """Return ``(body, content_type)`` answering a webhook with ``verbs``."""
        ...

    def validate(self, request: HttpRequest) -> bool:
        """Whether ``request`` really comes from the provider (its signature)."""
        ...

    def send_sms(self, *, to: str, body: str) -> SmsResult: ...

    def redirect_call(self, call: Call, url: str) -> None:
        """Make a live call continue at ``url`` (a step of its flow), e.g. to take someone out
        of a conference room where they wait in vain. Not retried automatically."""
        ...

    def recording_audio(self, *, sid: str, url: str) -> tuple[bytes, str]:
        """The audio of a call recording the provider made (``<Record>``): ``(bytes,
        content type)``. Raises ``LookupError`` when it is not there (any more)."""
        ...


PROVIDERS: Registry[str, Callable[[], Provider]] = Registry("telephony providers")


def register_provider(name: str, factory: Callable[[], Provider]) -> None:
    PROVIDERS.register(name, factory)


def get_provider(name: str | None = None) -> Provider:
    """The provider called ``name``, by default ``TELEPHONY_PROVIDER``."""
    key = name or settings.TELEPHONY_PROVIDER
    try:
        return PROVIDERS[key]()
    except KeyError as exc:
        raise RuntimeError(f"TELEPHONY_PROVIDER={key!r} is not registered") from exc


#: handler(call, step, digits, answered_by) -> verbs. It may change ``call.flow_state``.
FlowHandler = Callable[["Call", str, str, str], list[Verb]]
FLOWS: Registry[str, FlowHandler] = Registry("call flows")


def register_flow(purpose: str, handler: FlowHandler) -> None:
    FLOWS.register(purpose, handler)


@dataclass(frozen=True)
class CallHooks:
    """What the owning app of a ``purpose`` wants to hear about its calls (inside the
    transaction that records the event; enqueue follow-up work after commit).

    ``ended(call)``: the call reached a final status (completed, no answer, busy, failed).
    ``conference(call, event)``: ``event`` is ``join`` or ``leave`` of this call's leg.
    """

    ended: Callable[[Call], None] | None = None
    conference: Callable[[Call, str], None] | None = None


CALL_HOOKS: Registry[str, CallHooks] = Registry("call hooks")


def register_call_hooks(purpose: str, hooks: CallHooks) -> None:
    CALL_HOOKS.register(purpose, hooks)


@dataclass(frozen=True)
class InboundMatch:
    """Who an incoming call is for: the community and the flow that answers it."""

    community: Community
    purpose: str
    subject_type: str = ""
    subject_id: int | None = None
    language: str = ""
    extra: dict[str, object] = field(default_factory=dict)


#: handler(from_number, to_number) -> InboundMatch or None (not mine). Tried in order; the
#: fallbacks (a catch-all for callers nobody knows) only after every other handler.
InboundHandler = Callable[[str, str], "InboundMatch | None"]
INBOUND_HANDLERS: list[InboundHandler] = []
INBOUND_FALLBACKS: list[InboundHandler] = []


INBOUND_BY_NUMBER: list[InboundHandler] = []


def register_inbound(
    handler: InboundHandler, *, fallback: bool = False, by_number: bool = False
) -> None:
    """``by_number``: the handler claims calls by the number that was *dialled* (a helpdesk
    line); such handlers are tried first, before the ones that go by the caller's number."""
    handlers = (
        INBOUND_FALLBACKS if fallback else INBOUND_BY_NUMBER if by_number else INBOUND_HANDLERS
    )
    if handler not in handlers:
        handlers.append(handler)


def inbound_handlers() -> list[InboundHandler]:
    return [*INBOUND_BY_NUMBER, *INBOUND_HANDLERS, *INBOUND_FALLBACKS]


# --- callback requests ---------------------------------------------------------------------


@dataclass(frozen=True)
class CallbackRequest:
    """Someone asked, in a call another app owns (Buurbel's line: "talk to a person" outside
    office hours, "call me back to sign up"), to be called back by a person. Apps that take
    such requests in (the helpdesk queue) register a handler; the owner of the call knows
    nothing about them."""

    call: Call
    #: ``talk_to_person`` or ``callback`` (sign me up, call me back).
    reason: str
    person_id: int | None = None
    note: str = ""


CallbackHandler = Callable[[CallbackRequest], object]  # what it returns is not used
CALLBACK_HANDLERS: list[CallbackHandler] = []


def register_callback_handler(handler: CallbackHandler) -> None:
    if handler not in CALLBACK_HANDLERS:
        CALLBACK_HANDLERS.append(handler)


def callback_requested(request: CallbackRequest) -> None:
    """Tell every registered handler (inside the caller's transaction; handlers are
    idempotent per call and reason, so a repeated webhook asks once)."""
    for handler in CALLBACK_HANDLERS:
        handler(request)
