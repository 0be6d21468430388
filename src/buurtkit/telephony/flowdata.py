"""Call flows as data: what a caller hears and can press, per language, versioned.

A flow definition (stored in :class:`~buurtkit.telephony.models.FlowVersion`) is JSON::

    {
      "timeout": 8,                       # seconds to wait for a key (8 to 10)
      "start": "welcome",                 # the first node
      "voicemail": "voicemail",           # node for an answering machine (optional)
      "after_conference": "bye",          # node after leaving a conference room (optional)
      "texts": {"no_input": {"nl": "..."}, ...},   # the fixed phrases (defaults below)
      "nodes": {
        "welcome": {
          "say": {"nl": "Dag {name}, ...", "fr": "...", "en": "..."},
          "play": {"nl": 12},             # a recording id per language (wins over "say")
          "announcements": true,          # play this week's announcements first
          "menu": [                       # at most three options
            {"key": "1", "action": {"nl": "Om {partner} te leren kennen"}, "next": "agree"},
            ...
          ],
          "next": "other",                # without a menu: go on with this node
          "outcome": "agreed"             # reported to the app that owns the call
        },
        ...
      }
    }

The rules the engine keeps, whatever the data says: the action is said before its key
("To meet Anna, press 1"), at most three options, a fixed key to hear the menu again
(:data:`REPEAT_KEY`) and a fixed key for "never call me again" (:data:`OPT_OUT_KEY`, honoured at
once), an 8–10 s input timeout, two re-prompts and then a polite goodbye (the owner calls back
later). ``{name}``-style placeholders are filled from the owner's context.

The owning app (by the call's ``purpose``) gives a :class:`FlowOwner`: the context for the
placeholders, what to do on an outcome (it may return verbs, e.g. a conference room), and the
announcements to play.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from buurtkit.core.errors import ValidationFailed
from buurtkit.core.registry import Registry
from buurtkit.telephony.interface import (
    Gather,
    Hangup,
    Leave,
    Pause,
    Play,
    Redirect,
    Say,
    Verb,
)
from buurtkit.telephony.models import AnsweredBy, Call

REPEAT_KEY = "0"
OPT_OUT_KEY = "9"
MAX_OPTIONS = 3
MAX_REPROMPTS = 2
MAX_CHAIN = 12
OPTION_KEYS = ("1", "2", "3", "4", "5", "6", "7", "8")
NODE_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
MAX_TEXT = 1000
WAIT_ROUNDS = 5

OPTED_OUT = "opted_out"
NO_INPUT = "no_input"

#: The fixed phrases, per language; a definition's ``texts`` may reword them.
DEFAULT_TEXTS: dict[str, dict[str, str]] = {
    "press": {
        "nl": "{action}, druk {key}.",
        "fr": "{action}, appuyez sur {key}.",
        "en": "{action}, press {key}.",
    },
    "repeat": {
        "nl": "Om dit nog eens te horen, druk {key}.",
        "fr": "Pour réécouter, appuyez sur {key}.",
        "en": "To hear this again, press {key}.",
    },
    "opt_out": {
        "nl": "Wilt u nooit meer gebeld worden, druk {key}.",
        "fr": "Pour ne plus jamais être appelé, appuyez sur {key}.",
        "en": "To never be called again, press {key}.",
    },
    "no_input": {
        "nl": "Sorry, ik hoorde geen toets.",
        "fr": "Désolé, je n'ai pas entendu de touche.",
        "en": "Sorry, I did not hear a key.",
    },
    "invalid": {
        "nl": "Sorry, die toets ken ik niet.",
        "fr": "Désolé, je ne connais pas cette touche.",
        "en": "Sorry, I do not know that key.",
    },
    "goodbye_later": {
        "nl": "We bellen u later nog eens terug. Tot ziens.",
        "fr": "Nous vous rappellerons plus tard. Au revoir.",
        "en": "We will call you back later. Goodbye.",
    },
    "opted_out": {
        "nl": "Dat is goed. We bellen u nooit meer. Dag en bedankt.",
        "fr": "C'est noté. Nous ne vous appellerons plus jamais. Merci et au revoir.",
        "en": "That is fine. We will never call you again. Thank you and goodbye.",
    },
    "goodbye": {
        "nl": "Bedankt en tot ziens.",
        "fr": "Merci et au revoir.",
        "en": "Thank you and goodbye.",
    },
    "meeting": {
        "nl": "in het buurthuis, op woensdag om twee uur",
        "fr": "à la maison de quartier, mercredi à quatorze heures",
        "en": "at the community centre, on Wednesday at two o'clock",
    },
    "wait": {
        "nl": "Een ogenblik geduld, alstublieft.",
        "fr": "Un instant, s'il vous plaît.",
        "en": "One moment, please.",
    },
}


@dataclass(frozen=True)
class FlowOwner:
    """What the app owning a flow adds: placeholders, reactions to outcomes, announcements."""

    #: The values for ``{placeholders}`` in this call (names, places).
    context: Callable[[Call], Mapping[str, str]]
    #: Called once per outcome reached; may return verbs to end the node with (conference…).
    outcome: Callable[[Call, str], list[Verb]]
    #: Spoken or played announcements for this call (may be empty).
    announcements: Callable[[Call], list[Verb]] = lambda call: []
    #: A recording id of the call's community → the URL the provider fetches (``""``: not
    #: one of the community's recordings, the text is read instead).
    recording_url: Callable[[Call, int], str] = lambda call, recording_id: ""
    #: The node to start with for this call, instead of the definition's ``start``.
    start: Callable[[Call], str] = lambda call: ""


PLACEHOLDER = re.compile(r"\{([a-z_]{1,30})\}")


def fill(text: str, context: Mapping[str, str], *, show_missing: bool = False) -> str:
    """``"Dag {name}"`` → ``"Dag Anna"``. Only ``{word}`` placeholders are filled (no format
    specs, no attribute lookups); unknown ones become empty, or stay visible with
    ``show_missing`` (for a script to read)."""

    def value(found: re.Match[str]) -> str:
        key = found.group(1)
        if key in context:
            return str(context[key])
        return found.group(0) if show_missing else ""

    return PLACEHOLDER.sub(value, text)


def pick(values: Mapping[str, Any] | None, language: str, fallback: str = "") -> Any:
    """The value for ``language``, else the site's language, else any value."""
    if not values:
        return fallback
    for lang in (language, settings.LANGUAGE_CODE, "nl", "en"):
        if values.get(lang) not in (None, ""):
            return values[lang]
    return next((v for v in values.values() if v not in (None, "")), fallback)


class Engine:
    """Answers one webhook step of a call with the verbs of its flow definition."""

    def __init__(
        self, call: Call, definition: Mapping[str, Any], owner: FlowOwner, *, preview: bool = False
    ) -> None:
        self.preview = preview
        self.call = call
        self.definition = definition
        self.nodes: Mapping[str, Any] = definition.get("nodes", {})
        self.owner = owner
        self.language = call.language
        self.state: dict[str, Any] = call.flow_state
        self._context: Mapping[str, str] | None = None

    # --- text --------------------------------------------------------------------------
    @property
    def context(self) -> Mapping[str, str]:
        if self._context is None:
            self._context = {
                "repeat_key": REPEAT_KEY,
                "opt_out_key": OPT_OUT_KEY,
                **self.owner.context(self.call),
            }
            meeting = (self.definition.get("texts") or {}).get("meeting")
            template = pick(meeting, self.language) or pick(DEFAULT_TEXTS["meeting"], self.language)
            self._context = {**self._context, "meeting": fill(str(template), self._context)}
        return self._context

    def text(self, name: str, **extra: str) -> str:
        custom = (self.definition.get("texts") or {}).get(name)
        template = pick(custom, self.language) or pick(DEFAULT_TEXTS[name], self.language)
        return fill(str(template), {**self.context, **extra}, show_missing=self.preview)

    def say(self, text: str) -> Say:
        return Say(text, self.language)

    def speech(self, node: Mapping[str, Any]) -> list[Say | Play | Pause]:
        recording = pick(node.get("play"), self.language)
        if recording:
            url = self.owner.recording_url(self.call, int(recording))
            if url:
                return [Play(url)]
        text = pick(node.get("say"), self.language)
        return [self.say(fill(str(text), self.context, show_missing=self.preview))] if text else []

    def menu_prompt(self, node: Mapping[str, Any]) -> list[Say | Play | Pause]:
        prompt = self.speech(node)
        for option in node.get("menu", []):
            action = fill(
                str(pick(option.get("action"), self.language)),
                self.context,
                show_missing=self.preview,
            )
            prompt.append(self.say(self.text("press", action=action, key=option["key"])))
        prompt.append(self.say(self.text("repeat", key=REPEAT_KEY)))
        prompt.append(self.say(self.text("opt_out", key=OPT_OUT_KEY)))
        return prompt

    # --- steps -------------------------------------------------------------------------
    def answer(self, step: str, digits: str, answered_by: str) -> list[Verb]:
        if step == "start":
            start = self.owner.start(self.call) or self.definition.get("start", "")
            if answered_by == AnsweredBy.MACHINE and self.definition.get("voicemail"):
                start = self.definition["voicemail"]
            return self.enter(start)
        kind, _sep, name = step.partition("-")
        if kind == "k" and name in self.nodes:
            return self.key(name, digits)
        if kind == "t" and name in self.nodes:
            return self.reprompt(name, self.text("no_input"))
        if kind == "n" and name in self.nodes:
            return self.enter(name)
        if step == "wait":
            # Played while alone in a conference room; then the caller leaves the room (and
            # goes on at ``after-conference``): nobody waits more than about a minute and a half.
            return [*[self.say(self.text("wait")), Pause(15)] * WAIT_ROUNDS, Leave()]
        if step == "after-conference" and self.definition.get("after_conference"):
            return self.enter(self.definition["after_conference"])
        if step == "after-transfer" and self.definition.get("after_transfer"):
            return self.enter(self.definition["after_transfer"])
        return [self.say(self.text("goodbye")), Hangup()]

    def enter(self, name: str, depth: int = 0) -> list[Verb]:
        node = self.nodes.get(name)
        if node is None or depth > MAX_CHAIN:
            return [self.say(self.text("goodbye")), Hangup()]
        self.state["node"] = name
        verbs: list[Verb] = []
        ending: list[Verb] = []
        if node.get("outcome"):
            ending = self.report(node["outcome"])
        if node.get("announcements"):
            verbs += self.owner.announcements(self.call)
        if ending and isinstance(ending[0], Redirect) and ending[0].step.startswith("n-"):
            # The owner sends the caller to another node instead (things changed meanwhile).
            return verbs + self.enter(ending[0].step[2:], depth + 1)
        if node.get("menu") and not ending:
            return verbs + self.menu(name, node)
        verbs += self.speech(node)
        if ending:
            return verbs + ending
        if node.get("next"):
            return verbs + self.enter(node["next"], depth + 1)
        return [*verbs, Hangup()]

    def menu(
        self, name: str, node: Mapping[str, Any], before: list[Verb] | None = None
    ) -> list[Verb]:
        timeout = int(self.definition.get("timeout", 8))
        prompt = tuple([*(before or []), *self.menu_prompt(node)])
        return [
            Gather(prompt=prompt, action=f"k-{name}", num_digits=1, timeout=timeout),
            Redirect(f"t-{name}"),
        ]

    def key(self, name: str, digits: str) -> list[Verb]:
        node = self.nodes[name]
        if not digits:
            return self.reprompt(name, self.text("no_input"))
        key = digits[:1]
        if key == REPEAT_KEY:
            return self.menu(name, node)
        if key == OPT_OUT_KEY:
            ending = self.report(OPTED_OUT)
            return [self.say(self.text("opted_out")), *ending, Hangup()]
        for option in node.get("menu", []):
            if option["key"] == key:
                self.state.setdefault("keys", []).append(f"{name}:{key}")
                return self.enter(option["next"])
        return self.reprompt(name, self.text("invalid"))

    def reprompt(self, name: str, sorry: str) -> list[Verb]:
        tries = self.state.setdefault("tries", {})
        tries[name] = int(tries.get(name, 0)) + 1
        if tries[name] > MAX_REPROMPTS:
            ending = self.report(NO_INPUT)
            return [self.say(self.text("goodbye_later")), *ending, Hangup()]
        return self.menu(name, self.nodes[name], before=[self.say(sorry)])

    def report(self, outcome: str) -> list[Verb]:
        self.state.setdefault("outcomes", []).append(outcome)
        self.state["outcome"] = outcome
        return list(self.owner.outcome(self.call, outcome))


def answer(
    call: Call,
    step: str,
    digits: str,
    answered_by: str,
    *,
    definition: Mapping[str, Any],
    owner: FlowOwner,
) -> list[Verb]:
    return Engine(call, definition, owner).answer(step, digits, answered_by)


# --- checking a definition ----------------------------------------------------------------


def _texts(
    value: Any, where: str, problems: list[str], *, required: bool = False
) -> dict[str, str]:
    languages = {code for code, _name in settings.LANGUAGES}
    if value is None or value == {}:
        if required:
            problems.append(
                _("%(where)s: give the text in at least one language.") % {"where": where}
            )
        return {}
    if not isinstance(value, Mapping):
        problems.append(
            _('%(where)s: give the text per language, like {"nl": "…"}.') % {"where": where}
        )
        return {}
    out = {}
    for lang, text in value.items():
        if lang not in languages:
            problems.append(
                _("%(where)s: “%(lang)s” is not a language of this site.")
                % {"where": where, "lang": lang}
            )
            continue
        text = str(text or "").strip()
        if len(text) > MAX_TEXT:
            problems.append(
                _("%(where)s: at most %(n)d characters.") % {"where": where, "n": MAX_TEXT}
            )
        if text:
            out[lang] = text
    if required and not out:
        problems.append(_("%(where)s: give the text in at least one language.") % {"where": where})
    return out


def clean_definition(definition: Any, *, outcomes: set[str] | None = None) -> dict[str, Any]:
    """Check a flow definition; raise :class:`ValidationFailed` listing every problem."""
    problems: list[str] = []
    if not isinstance(definition, Mapping):
        raise ValidationFailed(
            _("A call flow is a JSON object with nodes."),
            fields={"definition": _("A call flow is a JSON object with nodes.")},
        )
    nodes_in = definition.get("nodes")
    if not isinstance(nodes_in, Mapping) or not nodes_in:
        problems.append(_("Give at least one node."))
        nodes_in = {}
    timeout = definition.get("timeout", 8)
    if isinstance(timeout, bool) or not isinstance(timeout, int) or not 8 <= timeout <= 10:
        problems.append(_("The time to wait for a key is 8 to 10 seconds."))
        timeout = 8
    nodes: dict[str, Any] = {}
    for name, node in nodes_in.items():
        if not NODE_RE.match(str(name)):
            problems.append(
                _("Node “%(name)s”: use lower-case letters, digits and _.") % {"name": name}
            )
            continue
        if not isinstance(node, Mapping):
            problems.append(_("Node “%(name)s” must be an object.") % {"name": name})
            continue
        clean: dict[str, Any] = {}
        say = _texts(node.get("say"), name, problems)
        if say:
            clean["say"] = say
        play = node.get("play")
        if play:
            if not isinstance(play, Mapping) or not all(
                isinstance(v, int) and not isinstance(v, bool) for v in play.values()
            ):
                problems.append(
                    _("Node “%(name)s”: “play” gives a recording number per language.")
                    % {"name": name}
                )
            else:
                clean["play"] = dict(play)
        if node.get("announcements"):
            clean["announcements"] = True
        outcome = node.get("outcome")
        if outcome:
            if outcomes is not None and outcome not in outcomes:
                problems.append(
                    _("Node “%(name)s”: the outcome “%(outcome)s” is not one of: %(known)s.")
                    % {"name": name, "outcome": outcome, "known": ", ".join(sorted(outcomes))}
                )
            clean["outcome"] = str(outcome)
        menu = node.get("menu") or []
        if not isinstance(menu, list) or len(menu) > MAX_OPTIONS:
            problems.append(
                _("Node “%(name)s”: a menu has at most three options.") % {"name": name}
            )
            menu = []
        keys: set[str] = set()
        options = []
        for option in menu:
            if not isinstance(option, Mapping):
                problems.append(
                    _("Node “%(name)s”: every option needs a key, an action and a next node.")
                    % {"name": name}
                )
                continue
            key = str(option.get("key", ""))
            if key not in OPTION_KEYS or key in keys:
                problems.append(
                    _(
                        "Node “%(name)s”: option keys are 1 to 8, each once (%(repeat)s repeats, %(opt_out)s opts out)."
                    )
                    % {"name": name, "repeat": REPEAT_KEY, "opt_out": OPT_OUT_KEY}
                )
            keys.add(key)
            action = _texts(option.get("action"), f"{name} {key}", problems, required=True)
            options.append({"key": key, "action": action, "next": str(option.get("next", ""))})
        if options:
            clean["menu"] = options
            if not say and not clean.get("play"):
                problems.append(_("Node “%(name)s”: say what the menu is about.") % {"name": name})
        if node.get("next"):
            clean["next"] = str(node["next"])
        nodes[str(name)] = clean
    for name, node in nodes.items():
        targets = [o["next"] for o in node.get("menu", [])] + (
            [node["next"]] if node.get("next") else []
        )
        for target in targets:
            if target not in nodes:
                problems.append(
                    _("Node “%(name)s” goes to “%(target)s”, which does not exist.")
                    % {"name": name, "target": target}
                )
    out: dict[str, Any] = {"timeout": timeout, "nodes": nodes}
    for field in ("start", "voicemail", "after_conference", "after_transfer"):
        value = definition.get(field)
        if value:
            if value not in nodes:
                problems.append(
                    _("“%(field)s” names “%(node)s”, which does not exist.")
                    % {"field": field, "node": value}
                )
            out[field] = str(value)
    if "start" not in out:
        problems.append(_("Say which node the call starts with (“start”)."))
    if "opt_out" in definition:
        problems.append(
            _("The key to never be called again is always offered; it cannot be turned off.")
        )
    texts = definition.get("texts") or {}
    if not isinstance(texts, Mapping):
        problems.append(_("“texts” gives the fixed phrases per language."))
        texts = {}
    clean_texts = {}
    for name, value in texts.items():
        if name not in DEFAULT_TEXTS:
            problems.append(_("“%(name)s” is not one of the fixed phrases.") % {"name": name})
            continue
        clean_texts[name] = _texts(value, name, problems)
    if clean_texts:
        out["texts"] = clean_texts
    if problems:
        message = " ".join(problems)
        raise ValidationFailed(message, fields={"definition": message}, code="invalid_flow")
    return out


def script(definition: Mapping[str, Any], language: str) -> list[dict[str, Any]]:
    """The flow as a readable script: per node what is said, the options, where it goes."""
    call = Call(language=language, flow_state={})
    owner = FlowOwner(context=lambda call: {}, outcome=lambda call, outcome: [])
    engine = Engine(call, definition, owner, preview=True)
    rows = []
    for name, node in definition.get("nodes", {}).items():
        said = " ".join(v.text for v in engine.speech(node) if isinstance(v, Say))
        options = [
            {
                "key": o["key"],
                "said": engine.text(
                    "press",
                    action=fill(str(pick(o.get("action"), language)), {}, show_missing=True),
                    key=o["key"],
                ),
                "next": o["next"],
            }
            for o in node.get("menu", [])
        ]
        rows.append(
            {
                "name": name,
                "start": name == definition.get("start"),
                "said": said,
                "recording": bool(pick(node.get("play"), language)),
                "announcements": bool(node.get("announcements")),
                "options": options,
                "next": node.get("next", ""),
                "outcome": node.get("outcome", ""),
            }
        )
    return rows


# --- the flows apps offer -------------------------------------------------------------------


@dataclass(frozen=True)
class FlowKind:
    """A flow an app owns: its title, the outcomes it understands, its default definition."""

    key: str
    title: Any  # a lazy translation
    outcomes: frozenset[str]
    default: Callable[[], dict[str, Any]]


FLOW_KINDS: Registry[str, FlowKind] = Registry("call flow kinds")


def register_flow_kind(kind: FlowKind) -> None:
    FLOW_KINDS.register(kind.key, kind)
