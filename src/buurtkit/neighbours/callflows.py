"""Buurbel's call flows: the keys, the outcomes each understands, and version 1 of each.

These are only the starting data: staff change them as new versions in the staff UI
(``telephony.flowdata`` explains the format). Placeholders: ``{name}`` (the person called),
``{partner}`` (the neighbour), ``{partner_area}``, ``{city}``, ``{meeting}`` and ``{activity}``:
what the pair was matched on, in the call's language (:func:`activity_text`: "a walk
together", "a coffee or a walk together", or for practical help "help with shopping" to the one
who asked for it and "your help with shopping" to the one who offered it).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from django.utils.translation import gettext_lazy as _

from buurtkit.telephony.flowdata import NO_INPUT, OPTED_OUT, FlowKind, register_flow_kind

FIRST = "buurbel.first"
SECOND = "buurbel.second"
CONNECT = "buurbel.connect"
INFORM = "buurbel.inform"
FOLLOWUP = "buurbel.followup"
INBOUND = "buurbel.inbound"
OUTBOUND = (FIRST, SECOND, CONNECT, INFORM, FOLLOWUP)


def T(nl: str, fr: str, en: str) -> dict[str, str]:
    return {"nl": nl, "fr": fr, "en": en}


GREETING = T(
    "Dag {name}, hier is de Buurbel van {city}.",
    "Bonjour {name}, ici la Sonnette de quartier de {city}.",
    "Hello {name}, this is the Neighbour Bell of {city}.",
)
VOICEMAIL = T(
    "Dag, hier is de Buurbel van {city}. We bellen later nog eens terug. Tot ziens.",
    "Bonjour, ici la Sonnette de quartier de {city}. Nous rappellerons plus tard. Au revoir.",
    "Hello, this is the Neighbour Bell of {city}. We will call again later. Goodbye.",
)
MORE_INFO = T(
    "De Buurbel brengt buren samen voor een koffie, een wandeling of een handje hulp. We "
    "bellen u allebei. Zegt u allebei ja, dan verbinden we u aan de telefoon en spreekt u "
    "samen een moment af. Het is gratis.",
    "La Sonnette de quartier fait se rencontrer des voisins pour un café, une promenade ou un "
    "petit coup de main. Nous vous appelons tous les deux. Si vous dites oui tous les deux, "
    "nous vous mettons en relation par téléphone et vous fixez un moment ensemble. C'est "
    "gratuit.",
    "The Neighbour Bell brings neighbours together for a coffee, a walk or a little help. We "
    "call you both. If you both say yes, we connect you by phone and you agree on a moment "
    "together. It is free.",
)

# What a pair was matched on, for ``{activity}`` ("We found a neighbour for {activity}").
ACTIVITIES = {
    "coffee": T("een koffie samen", "un café ensemble", "a coffee together"),
    "walk": T("een wandeling samen", "une promenade ensemble", "a walk together"),
    "small_help": T("een handje hulp", "un petit coup de main", "a little help"),
}
# "Together" once at the end when two are offered: "a coffee or a walk together".
ACTIVITIES_SHORT = {
    "coffee": T("een koffie", "un café", "a coffee"),
    "walk": T("een wandeling", "une promenade", "a walk"),
}
TOGETHER = T(
    "{first} of {second} samen", "{first} ou {second} ensemble", "{first} or {second} together"
)
HELP_WITH = {
    "shopping": T("de boodschappen", "les courses", "shopping"),
    "small_repairs": T("kleine herstellingen", "de petites réparations", "small repairs"),
    "paperwork": T("papieren", "des papiers", "paperwork"),
    "gardening": T("de tuin", "le jardin", "the garden"),
    "company": T("gezelschap", "de la compagnie", "company"),
}
GETS_HELP = T("hulp bij {help}", "de l'aide pour {help}", "help with {help}")
GIVES_HELP = T("uw hulp bij {help}", "votre aide pour {help}", "your help with {help}")
SOME_HELP = T("een handje hulp", "un petit coup de main", "a little help")
A_CHAT = T("een babbel", "une petite conversation", "a chat")


class _Profile(Protocol):
    activities: Sequence[str]
    wish: str
    can_offer: Sequence[str]
    needs: Sequence[str]


def _say(text: dict[str, str], language: str, **values: str) -> str:
    out = text.get(language) or text["nl"]
    for key, value in values.items():
        out = out.replace("{" + key + "}", value)
    return out


def _help(me: _Profile, partner: _Profile, language: str) -> str:
    """Practical help between the two: what I get from my partner, else what I give."""
    for wanted, offered, sentence in (
        (me.needs, partner.can_offer, GETS_HELP),
        (partner.needs, me.can_offer, GIVES_HELP),
    ):
        shared = [item for item in wanted if item in offered]
        if shared:
            label = HELP_WITH.get(shared[0])
            return (
                _say(sentence, language, help=_say(label, language))
                if label
                else _say(SOME_HELP, language)
            )
    return ""


def activity_text(me: _Profile, partner: _Profile, language: str) -> str:
    """What this pair was matched on, for ``{activity}``, as the person called hears it.

    Practical help comes first when either of them is looking for practical help only (the
    practical-help variant: "help with shopping" / "your help with shopping"); otherwise the
    social activities they both chose (at most two), then practical help, then a chat.
    """
    practical = _help(me, partner, language)
    if practical and "practical" in (me.wish, partner.wish):
        return practical
    shared = [a for a in ("coffee", "walk") if a in me.activities and a in partner.activities]
    if len(shared) == 2:
        return _say(
            TOGETHER,
            language,
            first=_say(ACTIVITIES_SHORT[shared[0]], language),
            second=_say(ACTIVITIES_SHORT[shared[1]], language),
        )
    if shared:
        return _say(ACTIVITIES[shared[0]], language)
    if practical:
        return practical
    if "small_help" in me.activities and "small_help" in partner.activities:
        return _say(ACTIVITIES["small_help"], language)
    return _say(A_CHAT, language)


# Options and nodes several flows share (each flow's definition gets its own copy: the
# definitions are JSON data, compared and stored as they are).
NOT_NOW = {
    "key": "2",
    "action": T("Liever niet", "Si vous préférez ne pas le faire", "If you would rather not"),
    "next": "decline",
}
MORE_INFO_OPTION = {
    "key": "3",
    "action": T("Voor meer uitleg", "Pour plus d'informations", "For more information"),
    "next": "info",
}
DECLINE = {
    "outcome": "declined",
    "say": T(
        "Dat is goed. We stellen u niet meer aan {partner} voor. Bedankt en tot ziens.",
        "C'est noté. Nous ne vous présenterons plus {partner}. Merci et au revoir.",
        "That is fine. We will not introduce you to {partner} again. Thank you and goodbye.",
    ),
}
STOPPED = {
    "say": T(
        "Het spijt ons: {partner} kan toch niet afspreken. We zoeken een andere buur voor u. "
        "Tot ziens.",
        "Nous sommes désolés : {partner} ne peut finalement pas. Nous cherchons un autre voisin "
        "pour vous. Au revoir.",
        "We are sorry: {partner} cannot meet after all. We will look for another neighbour for "
        "you. Goodbye.",
    )
}
ENJOY = {
    "say": T(
        "Bedankt en veel plezier samen!",
        "Merci et bon moment ensemble !",
        "Thank you, and enjoy your time together!",
    )
}


def first() -> dict[str, Any]:
    """The call to the first neighbour (A)."""
    return {
        "timeout": 8,
        "start": "welcome",
        "voicemail": "voicemail",
        "nodes": {
            "voicemail": {"say": VOICEMAIL, "outcome": "voicemail"},
            "welcome": {"say": GREETING, "announcements": True, "next": "ask"},
            "ask": {
                "say": T(
                    "We hebben een buur gevonden voor {activity}: {partner}, uit {partner_area}.",
                    "Nous avons trouvé un voisin pour {activity} : {partner}, de {partner_area}.",
                    "We found a neighbour for {activity}: {partner}, from {partner_area}.",
                ),
                "menu": [
                    {
                        "key": "1",
                        "action": T(
                            "Wilt u {partner} leren kennen",
                            "Pour faire la connaissance de {partner}",
                            "To get to know {partner}",
                        ),
                        "next": "agree",
                    },
                    NOT_NOW,
                    MORE_INFO_OPTION,
                ],
            },
            "info": {"say": MORE_INFO, "next": "ask"},
            "agree": {
                "outcome": "agreed",
                "say": T(
                    "Fijn! We bellen nu {partner}. Zegt {partner} ook ja, dan bellen we u terug "
                    "om u te verbinden. Tot straks!",
                    "Très bien ! Nous appelons maintenant {partner}. Si {partner} dit oui aussi, "
                    "nous vous rappelons pour vous mettre en relation. À tout à l'heure !",
                    "Lovely! We will now call {partner}. If {partner} says yes too, we will call "
                    "you back to connect you. Talk soon!",
                ),
            },
            "decline": DECLINE,
        },
    }


def second() -> dict[str, Any]:
    """The call to the second neighbour (B), who can be connected with A at once."""
    return {
        "timeout": 8,
        "start": "welcome",
        "voicemail": "voicemail",
        "after_conference": "bye",
        "nodes": {
            "voicemail": {"say": VOICEMAIL, "outcome": "voicemail"},
            "welcome": {"say": GREETING, "announcements": True, "next": "ask"},
            "ask": {
                "say": T(
                    "Uw buur {partner}, uit {partner_area}, wil u graag leren kennen voor "
                    "{activity}.",
                    "Votre voisin {partner}, de {partner_area}, aimerait vous rencontrer pour "
                    "{activity}.",
                    "Your neighbour {partner}, from {partner_area}, would like to meet you for "
                    "{activity}.",
                ),
                "menu": [
                    {
                        "key": "1",
                        "action": T(
                            "Wilt u nu met {partner} praten",
                            "Pour parler maintenant avec {partner}",
                            "To talk with {partner} now",
                        ),
                        "next": "agree",
                    },
                    NOT_NOW,
                    MORE_INFO_OPTION,
                ],
            },
            "info": {"say": MORE_INFO, "next": "ask"},
            "agree": {
                "outcome": "agreed",
                "say": T(
                    "Fijn! Blijf aan de lijn. We bellen {partner} en verbinden u meteen.",
                    "Très bien ! Restez en ligne. Nous appelons {partner} et vous mettons en "
                    "relation.",
                    "Lovely! Please stay on the line. We are calling {partner} to connect you.",
                ),
            },
            "partner_gone": {
                "outcome": "appointment",
                "say": T(
                    "{partner} kan nu niet aan de telefoon komen. We spreken voor u af: "
                    "{meeting}. We laten het {partner} ook weten. Tot ziens!",
                    "{partner} ne peut pas répondre maintenant. Nous fixons un rendez-vous "
                    "pour vous : {meeting}. Nous prévenons aussi {partner}. Au revoir !",
                    "{partner} cannot come to the phone now. We will make an appointment for "
                    "you: {meeting}. We will let {partner} know too. Goodbye!",
                ),
            },
            "decline": DECLINE,
            "stopped": STOPPED,
            "bye": ENJOY,
        },
    }


def connect() -> dict[str, Any]:
    """The call back to A while B waits in the conference room."""
    return {
        "timeout": 8,
        "start": "welcome",
        "after_conference": "bye",
        "nodes": {
            "welcome": {
                "say": T(
                    "Dag {name}, goed nieuws van de Buurbel! {partner} zegt ook ja en is nu aan "
                    "de lijn.",
                    "Bonjour {name}, bonne nouvelle de la Sonnette de quartier ! {partner} dit "
                    "oui aussi et est en ligne.",
                    "Hello {name}, good news from the Neighbour Bell! {partner} says yes too and "
                    "is on the line now.",
                ),
                "menu": [
                    {
                        "key": "1",
                        "action": T(
                            "Om nu met {partner} te praten",
                            "Pour parler maintenant avec {partner}",
                            "To talk with {partner} now",
                        ),
                        "next": "join",
                    },
                    {
                        "key": "2",
                        "action": T(
                            "Om liever een afspraak te maken",
                            "Pour plutôt fixer un rendez-vous",
                            "To make an appointment instead",
                        ),
                        "next": "later",
                    },
                ],
            },
            "join": {
                "outcome": "joined",
                "say": T(
                    "We verbinden u nu. Veel plezier!",
                    "Nous vous mettons en relation. Bon moment !",
                    "We are connecting you now. Enjoy!",
                ),
            },
            "later": {
                "outcome": "appointment",
                "say": T(
                    "Dat is goed. We spreken voor u af: {meeting}. We laten het {partner} weten. "
                    "Tot ziens!",
                    "C'est noté. Nous fixons un rendez-vous pour vous : {meeting}. Nous prévenons "
                    "{partner}. Au revoir !",
                    "That is fine. We will make an appointment for you: {meeting}. We will let "
                    "{partner} know. Goodbye!",
                ),
            },
            "stopped": STOPPED,
            "partner_gone": {
                "outcome": "appointment",
                "say": T(
                    "{partner} moest helaas ophangen. U zei allebei ja, dus we spreken voor u "
                    "af: {meeting}. Tot ziens!",
                    "{partner} a malheureusement dû raccrocher. Vous avez dit oui tous les deux, "
                    "nous fixons donc un rendez-vous : {meeting}. Au revoir !",
                    "{partner} had to hang up, sadly. You both said yes, so we make an "
                    "appointment for you: {meeting}. Goodbye!",
                ),
            },
            "bye": ENJOY,
        },
    }


def inform() -> dict[str, Any]:
    """Tells A about the appointment made while A could not come to the phone."""
    return {
        "timeout": 8,
        "start": "welcome",
        "voicemail": "voicemail",
        "nodes": {
            "voicemail": {"say": VOICEMAIL, "outcome": "voicemail"},
            "welcome": {
                "say": T(
                    "Dag {name}, hier is de Buurbel. {partner} wil u graag ontmoeten. We "
                    "spraken voor u af: {meeting}.",
                    "Bonjour {name}, ici la Sonnette de quartier. {partner} aimerait vous "
                    "rencontrer. Nous avons fixé un rendez-vous : {meeting}.",
                    "Hello {name}, this is the Neighbour Bell. {partner} would like to meet you. "
                    "We made an appointment for you: {meeting}.",
                ),
                "menu": [
                    {
                        "key": "1",
                        "action": T("Is dat goed", "Si cela vous convient", "If that is fine"),
                        "next": "confirmed",
                    },
                    {
                        "key": "2",
                        "action": T(
                            "Kan u toch niet",
                            "Si vous ne pouvez finalement pas",
                            "If you cannot come after all",
                        ),
                        "next": "declined",
                    },
                ],
            },
            "confirmed": {
                "outcome": "confirmed",
                "say": T(
                    "Fijn! Veel plezier samen. Tot ziens.",
                    "Très bien ! Bon moment ensemble. Au revoir.",
                    "Lovely! Enjoy your time together. Goodbye.",
                ),
            },
            "declined": {
                "outcome": "declined",
                "say": T(
                    "Dat is goed. We laten het {partner} weten. Tot ziens.",
                    "C'est noté. Nous prévenons {partner}. Au revoir.",
                    "That is fine. We will let {partner} know. Goodbye.",
                ),
            },
        },
    }


def followup() -> dict[str, Any]:
    """After the meeting: did you meet, would you meet again?"""
    yes_no_again = [
        {"key": "1", "action": T("Zo ja", "Si oui", "If yes"), "next": "again_yes"},
        {"key": "2", "action": T("Zo nee", "Si non", "If not"), "next": "again_no"},
    ]
    return {
        "timeout": 8,
        "start": "welcome",
        "voicemail": "voicemail",
        "nodes": {
            "voicemail": {"say": VOICEMAIL, "outcome": "voicemail"},
            "welcome": {
                "say": T(
                    "Dag {name}, hier is de Buurbel. We brachten u onlangs in contact met "
                    "{partner}. Hebt u elkaar ontmoet?",
                    "Bonjour {name}, ici la Sonnette de quartier. Nous vous avons récemment mis "
                    "en contact avec {partner}. Vous êtes-vous rencontrés ?",
                    "Hello {name}, this is the Neighbour Bell. We recently put you in touch with "
                    "{partner}. Did you meet?",
                ),
                "menu": [
                    {"key": "1", "action": T("Zo ja", "Si oui", "If yes"), "next": "met"},
                    {"key": "2", "action": T("Zo nee", "Si non", "If not"), "next": "not_met"},
                ],
            },
            "met": {
                "outcome": "met",
                "say": T(
                    "Wat fijn! Wilt u {partner} nog eens zien?",
                    "Formidable ! Aimeriez-vous revoir {partner} ?",
                    "How lovely! Would you like to see {partner} again?",
                ),
                "menu": yes_no_again,
            },
            "not_met": {
                "outcome": "not_met",
                "say": T(
                    "Jammer. Wilt u dat we u aan een andere buur voorstellen?",
                    "Dommage. Voulez-vous que nous vous présentions un autre voisin ?",
                    "What a pity. Would you like us to introduce you to another neighbour?",
                ),
                "menu": yes_no_again,
            },
            "again_yes": {
                "outcome": "again_yes",
                "say": T(
                    "Fijn, dat noteren we. Bedankt en tot ziens.",
                    "Très bien, c'est noté. Merci et au revoir.",
                    "Lovely, we have noted that. Thank you and goodbye.",
                ),
            },
            "again_no": {
                "outcome": "again_no",
                "say": T(
                    "Dat is goed, dat noteren we. Bedankt en tot ziens.",
                    "C'est noté. Merci et au revoir.",
                    "That is fine, we have noted that. Thank you and goodbye.",
                ),
            },
        },
    }


def inbound() -> dict[str, Any]:
    """The Buurbel phone number: a menu for residents who call us."""
    return {
        "timeout": 8,
        "start": "welcome",
        "after_transfer": "bye",
        "nodes": {
            "welcome": {
                "say": T(
                    "Dag {name}, welkom bij de Buurbel van {city}.",
                    "Bonjour {name}, bienvenue à la Sonnette de quartier de {city}.",
                    "Hello {name}, welcome to the Neighbour Bell of {city}.",
                ),
                "next": "menu",
            },
            "welcome_unknown": {
                "say": T(
                    "Welkom bij de Buurbel van {city}.",
                    "Bienvenue à la Sonnette de quartier de {city}.",
                    "Welcome to the Neighbour Bell of {city}.",
                ),
                "next": "menu_unknown",
            },
            "menu": {
                "say": T(
                    "Waarmee kunnen we u helpen?",
                    "Comment pouvons-nous vous aider ?",
                    "How can we help you?",
                ),
                "menu": [
                    {
                        "key": "1",
                        "action": T(
                            "Om de berichten van deze week te horen",
                            "Pour écouter les annonces de la semaine",
                            "To hear this week's announcements",
                        ),
                        "next": "announcements",
                    },
                    {
                        "key": "2",
                        "action": T(
                            "Om aan een buur voorgesteld te worden",
                            "Pour être présenté à un voisin",
                            "To be introduced to a neighbour",
                        ),
                        "next": "wants_intro",
                    },
                    {
                        "key": "3",
                        "action": T(
                            "Om met een medewerker te praten",
                            "Pour parler à un collaborateur",
                            "To talk to a member of staff",
                        ),
                        "next": "staff",
                    },
                ],
            },
            "menu_unknown": {
                "say": T(
                    "We kennen uw nummer nog niet.",
                    "Nous ne connaissons pas encore votre numéro.",
                    "We do not know your number yet.",
                ),
                "menu": [
                    {
                        "key": "1",
                        "action": T(
                            "Om mee te doen, en dan bellen we u terug",
                            "Pour participer, et nous vous rappelons",
                            "To join, and we will call you back",
                        ),
                        "next": "register",
                    },
                    {
                        "key": "2",
                        "action": T(
                            "Om de berichten van deze week te horen",
                            "Pour écouter les annonces de la semaine",
                            "To hear this week's announcements",
                        ),
                        "next": "announcements_unknown",
                    },
                    {
                        "key": "3",
                        "action": T(
                            "Om met een medewerker te praten",
                            "Pour parler à un collaborateur",
                            "To talk to a member of staff",
                        ),
                        "next": "staff",
                    },
                ],
            },
            "announcements": {
                "announcements": True,
                "outcome": "announcements",
                "next": "menu",
            },
            "announcements_unknown": {
                "announcements": True,
                "outcome": "announcements",
                "next": "menu_unknown",
            },
            "wants_intro": {
                "outcome": "wants_intro",
                "say": T(
                    "Fijn! We zoeken een buur voor u en bellen u terug. Tot ziens.",
                    "Très bien ! Nous cherchons un voisin pour vous et vous rappelons. Au revoir.",
                    "Lovely! We will look for a neighbour for you and call you back. Goodbye.",
                ),
            },
            "register": {
                "outcome": "register_request",
                "say": T(
                    "Dank u. Een medewerker belt u terug om u in te schrijven. Tot ziens.",
                    "Merci. Un collaborateur vous rappellera pour vous inscrire. Au revoir.",
                    "Thank you. A member of staff will call you back to sign you up. Goodbye.",
                ),
            },
            "staff": {
                "outcome": "staff",
                "say": T(
                    "Een ogenblik, we verbinden u met een medewerker.",
                    "Un instant, nous vous passons un collaborateur.",
                    "One moment, we are putting you through to a member of staff.",
                ),
            },
            "bye": {
                "say": T("Bedankt en tot ziens.", "Merci et au revoir.", "Thank you and goodbye.")
            },
        },
    }


KINDS = [
    FlowKind(
        FIRST,
        (_("Buurbel: first neighbour")),
        frozenset({"voicemail", "agreed", "declined", NO_INPUT, OPTED_OUT}),
        first,
    ),
    FlowKind(
        SECOND,
        (_("Buurbel: second neighbour")),
        frozenset({"voicemail", "agreed", "declined", "appointment", NO_INPUT, OPTED_OUT}),
        second,
    ),
    FlowKind(
        CONNECT,
        (_("Buurbel: connect the first neighbour")),
        frozenset({"joined", "appointment", NO_INPUT, OPTED_OUT}),
        connect,
    ),
    FlowKind(
        INFORM,
        (_("Buurbel: tell about the appointment")),
        frozenset({"voicemail", "confirmed", "declined", NO_INPUT, OPTED_OUT}),
        inform,
    ),
    FlowKind(
        FOLLOWUP,
        (_("Buurbel: follow-up after meeting")),
        frozenset({"voicemail", "met", "not_met", "again_yes", "again_no", NO_INPUT, OPTED_OUT}),
        followup,
    ),
    FlowKind(
        INBOUND,
        (_("Buurbel: inbound line")),
        frozenset(
            {"announcements", "wants_intro", "register_request", "staff", NO_INPUT, OPTED_OUT}
        ),
        inbound,
    ),
]


def register() -> None:
    for kind in KINDS:
        register_flow_kind(kind)
