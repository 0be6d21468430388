"""Demo data: QR codes on a few objects in Rabot, with three months of scans, ending now.

- a bench in the Blaisantvest park with a "report a problem" form (the city's welfare
  department), and a picnic table that got one of the blank stickers on the spot;
- the library's poster (vanity name ``bib-rabot``): a menu for residents (opening hours, the
  digipunt, the IT café) and another one for staff;
- the community garden's sign: "open now, come in" during opening hours, else when to come;
- a poster for the neighbourhood party, paused since the party is over;
- a roll of 50 blank stickers for new benches and bins;
- scan history for every code in the community (the bakery's counter code from the ledger demo
  included): written in bulk like the scan recorder writes it, each scan resolved through the
  real routes, then rolled up into the daily figures the dashboards read.

Everything goes through :mod:`buurtkit.qrcodes.services` except the scans themselves (a seeder
writes them in bulk; the recorder would too). The same data every time, relative to today.
"""

from __future__ import annotations

import hashlib
import math
import random
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import Any

from buurtkit.core import clock
from buurtkit.core.actor import Actor
from buurtkit.people.models import Organisation
from buurtkit.qrcodes import cache, selectors, services
from buurtkit.qrcodes.models import Code, CodeStatus, Scan, Slot
from buurtkit.qrcodes.recording import local_day
from buurtkit.qrcodes.routing import BRUSSELS, Audience, ScanContext

DAYS = 92  # about three months of scans
CITY = "stad-welzijn"
LIBRARY = "bib-rabot"
GARDEN = "buurtwerk-rabot"
STAFF = Audience(signed_in=True, roles=frozenset({"staff"}))
RESIDENT = Audience(signed_in=True, resident=True)
ANYONE = Audience()

# --- what the codes say -----------------------------------------------------------------------

REPORT_FORM: dict[str, Any] = {
    "title": {
        "nl": "Meld een probleem",
        "fr": "Signaler un problème",
        "en": "Report a problem",
    },
    "fields": [
        {
            "key": "wat",
            "type": "choice",
            "required": True,
            "label": {
                "nl": "Wat is er mis?",
                "fr": "Quel est le problème ?",
                "en": "What is wrong?",
            },
            "choices": [
                {"nl": "kapot", "fr": "cassé", "en": "broken"},
                {"nl": "vuil", "fr": "sale", "en": "dirty"},
                {"nl": "graffiti", "fr": "graffiti", "en": "graffiti"},
                {"nl": "iets anders", "fr": "autre chose", "en": "something else"},
            ],
        },
        {
            "key": "beschrijving",
            "type": "text",
            "required": False,
            "label": {
                "nl": "Vertel wat je zag",
                "fr": "Décrivez ce que vous avez vu",
                "en": "Tell us what you saw",
            },
        },
        {
            "key": "telefoon",
            "type": "phone",
            "required": False,
            "label": {
                "nl": "Je telefoonnummer, als je wil dat we je terugbellen",
                "fr": "Votre numéro, si vous voulez qu'on vous rappelle",
                "en": "Your phone number, if you want us to call you back",
            },
        },
    ],
    "thanks": {
        "nl": "Bedankt! De stad kijkt ernaar binnen twee werkdagen.",
        "fr": "Merci ! La ville s'en occupe dans les deux jours ouvrables.",
        "en": "Thank you! The city will look at it within two working days.",
    },
}

HOURS_HTML = {
    "nl": (
        "<ul><li>maandag: gesloten</li><li>dinsdag: 13 tot 18 uur</li>"
        "<li>woensdag: 10 tot 18 uur</li><li>donderdag: 13 tot 18 uur</li>"
        "<li>vrijdag: 13 tot 18 uur</li><li>zaterdag: 10 tot 13 uur</li></ul>"
        "<p>Rabotstraat 18, 9000 Gent. Bel ons: <a href='tel:+3292660000'>09 266 00 00</a>.</p>"
    ),
    "fr": (
        "<ul><li>lundi : fermé</li><li>mardi : 13 h à 18 h</li>"
        "<li>mercredi : 10 h à 18 h</li><li>jeudi : 13 h à 18 h</li>"
        "<li>vendredi : 13 h à 18 h</li><li>samedi : 10 h à 13 h</li></ul>"
        "<p>Rabotstraat 18, 9000 Gand. Appelez-nous : "
        "<a href='tel:+3292660000'>09 266 00 00</a>.</p>"
    ),
    "en": (
        "<ul><li>Monday: closed</li><li>Tuesday: 1 pm to 6 pm</li>"
        "<li>Wednesday: 10 am to 6 pm</li><li>Thursday: 1 pm to 6 pm</li>"
        "<li>Friday: 1 pm to 6 pm</li><li>Saturday: 10 am to 1 pm</li></ul>"
        "<p>Rabotstraat 18, 9000 Ghent. Call us: <a href='tel:+3292660000'>09 266 00 00</a>.</p>"
    ),
}
DIGIPUNT_HTML = {
    "nl": (
        "<p>In de bib staan <strong>zes computers</strong> die iedereen gratis mag gebruiken: "
        "internet, e-mail, printen en scannen.</p><p>Op <strong>woensdag van 14 tot 17 uur</strong> "
        "helpt een digibuddy je met itsme, je bankapp, formulieren van de stad of je gsm.</p>"
        "<p>Geen afspraak nodig. Breng je identiteitskaart mee als je iets wil aanvragen.</p>"
    ),
    "fr": (
        "<p>La bibliothèque a <strong>six ordinateurs</strong> que tout le monde peut utiliser "
        "gratuitement : internet, e-mail, imprimer et scanner.</p><p>Le <strong>mercredi de 14 h "
        "à 17 h</strong>, un digibuddy vous aide avec itsme, votre application bancaire, les "
        "formulaires de la ville ou votre GSM.</p><p>Sans rendez-vous. Apportez votre carte "
        "d'identité si vous voulez faire une demande.</p>"
    ),
    "en": (
        "<p>The library has <strong>six computers</strong> anyone may use for free: internet, "
        "e-mail, printing and scanning.</p><p>On <strong>Wednesday from 2 to 5 pm</strong> a "
        "digibuddy helps you with itsme, your banking app, the city's forms or your phone.</p>"
        "<p>No appointment needed. Bring your identity card if you want to apply for something.</p>"
    ),
}
ITCAFE_HTML = {
    "nl": (
        "<p>Elke <strong>donderdag van 14 tot 16 uur</strong>: het IT-café. Stel je vragen over "
        "je smartphone, tablet of laptop bij een kop koffie.</p><ul><li>gratis</li>"
        "<li>niet inschrijven, gewoon binnenlopen</li><li>breng je eigen toestel mee</li></ul>"
    ),
    "fr": (
        "<p>Chaque <strong>jeudi de 14 h à 16 h</strong> : le café numérique. Posez vos questions "
        "sur votre smartphone, tablette ou ordinateur autour d'un café.</p><ul><li>gratuit</li>"
        "<li>sans inscription, passez simplement</li><li>apportez votre appareil</li></ul>"
    ),
    "en": (
        "<p>Every <strong>Thursday from 2 to 4 pm</strong>: the IT café. Ask your questions about "
        "your smartphone, tablet or laptop over a cup of coffee.</p><ul><li>free</li>"
        "<li>no need to sign up, just walk in</li><li>bring your own device</li></ul>"
    ),
}
GARDEN_OPEN_HTML = {
    "nl": (
        "<p><strong>De moestuin is nu open.</strong> Kom binnen! Er is altijd iemand die je "
        "rondleidt.</p><p>Wie een uur meehelpt, verdient torekes.</p>"
    ),
    "fr": (
        "<p><strong>Le potager est ouvert maintenant.</strong> Entrez ! Quelqu'un vous fera "
        "visiter.</p><p>Une heure d'aide vous rapporte des torekes.</p>"
    ),
    "en": (
        "<p><strong>The garden is open now.</strong> Come in! Someone will show you around.</p>"
        "<p>Help for an hour and earn torekes.</p>"
    ),
}
GARDEN_CLOSED_HTML = {
    "nl": (
        "<p>De buurtmoestuin is open op <strong>woensdag van 14 tot 18 uur</strong> en "
        "<strong>zaterdag van 10 tot 12 uur</strong>.</p><p>Zin om mee te tuinieren? Kom langs "
        "of bel Buurtwerk Rabot. Wie helpt, verdient torekes.</p>"
    ),
    "fr": (
        "<p>Le potager du quartier est ouvert le <strong>mercredi de 14 h à 18 h</strong> et le "
        "<strong>samedi de 10 h à 12 h</strong>.</p><p>Envie de jardiner ? Passez ou appelez "
        "Buurtwerk Rabot. Qui aide gagne des torekes.</p>"
    ),
    "en": (
        "<p>The community garden is open on <strong>Wednesday from 2 to 6 pm</strong> and "
        "<strong>Saturday from 10 am to noon</strong>.</p><p>Want to garden with us? Drop in or "
        "call Buurtwerk Rabot. Those who help earn torekes.</p>"
    ),
}


def _poster_routes(community: Any) -> list[dict[str, Any]]:
    def shown(what: str) -> str:
        return f"/q/{LIBRARY}?toon={what}&src=menu"

    def info(name: str, what: str, title: dict[str, str], html: dict[str, str]) -> dict[str, Any]:
        return {
            "name": name,
            "conditions": [{"type": "param", "name": "toon", "value": what}],
            "action": "info",
            "params": {"title": title, "html": html},
        }

    hours = {"nl": "Openingsuren", "fr": "Heures d'ouverture", "en": "Opening hours"}
    digipunt = {
        "nl": "Digipunt: gratis computers en hulp",
        "fr": "Point numérique : ordinateurs gratuits et aide",
        "en": "Digipunt: free computers and help",
    }
    itcafe = {
        "nl": "IT-café op donderdag",
        "fr": "Café numérique le jeudi",
        "en": "IT café on Thursday",
    }
    return [
        info("Openingsuren", "uren", hours, HOURS_HTML),
        info("Digipunt", "digipunt", digipunt, DIGIPUNT_HTML),
        info("IT-café", "itcafe", itcafe, ITCAFE_HTML),
        {
            "name": "Personeel",
            "conditions": [{"type": "audience", "value": "staff"}],
            "action": "menu",
            "params": {
                "title": {"nl": "Voor medewerkers", "fr": "Pour le personnel", "en": "For staff"},
                "items": [
                    {
                        "label": {
                            "nl": "Intranet van de bib",
                            "fr": "Intranet de la bibliothèque",
                            "en": "Library intranet",
                        },
                        "url": "https://intranet.example.org/bibliotheek/rabot",
                    },
                    {
                        "label": {
                            "nl": "Een bewoner opzoeken of helpen",
                            "fr": "Chercher ou aider un habitant",
                            "en": "Look up or help a resident",
                        },
                        "url": f"/{community.slug}/people/",
                    },
                    {
                        "label": {
                            "nl": "Een defect aan het gebouw melden",
                            "fr": "Signaler un défaut du bâtiment",
                            "en": "Report a fault in the building",
                        },
                        "url": "https://intranet.example.org/meldingen/gebouwen",
                    },
                ],
            },
        },
        {
            "name": "Bewoners en bezoekers",
            "action": "menu",
            "params": {
                "title": {
                    "nl": "Bibliotheek Rabot",
                    "fr": "Bibliothèque Rabot",
                    "en": "Rabot library",
                },
                "items": [
                    {"label": hours, "url": shown("uren")},
                    {"label": digipunt, "url": shown("digipunt")},
                    {"label": itcafe, "url": shown("itcafe")},
                ],
            },
        },
    ]


def _garden_routes() -> list[dict[str, Any]]:
    title = {"nl": "Buurtmoestuin Rabot", "fr": "Potager du Rabot", "en": "Rabot community garden"}
    return [
        {
            "name": "Open op woensdag",
            "conditions": [{"type": "schedule", "days": [3], "from": "14:00", "to": "18:00"}],
            "action": "info",
            "params": {"title": title, "html": GARDEN_OPEN_HTML},
        },
        {
            "name": "Open op zaterdag",
            "conditions": [{"type": "schedule", "days": [6], "from": "10:00", "to": "12:00"}],
            "action": "info",
            "params": {"title": title, "html": GARDEN_OPEN_HTML},
        },
        {
            "name": "Gesloten",
            "action": "info",
            "params": {"title": title, "html": GARDEN_CLOSED_HTML},
        },
    ]


# --- how people scan ------------------------------------------------------------------------


@dataclass(frozen=True)
class Profile:
    """How often and when a code is scanned, and by whom."""

    per_day: float  # scans by people on an ordinary day
    weekdays: tuple[float, ...]  # factor per weekday, Monday first
    hours: tuple[tuple[int, float], ...]  # (local hour, weight)
    print_share: float = 0.9  # the printed code, the rest a shared link
    bot_share: float = 0.03
    # (weight, query parameters, who): what people do besides a plain scan
    intents: tuple[tuple[float, dict[str, str], Audience], ...] = ((1.0, {}, ANYONE),)
    novelty: float = 0.0  # extra share of scans in the first weeks, fading out
    regular_count: int = 10  # people who come back often (staff, customers, gardeners)


def _hours(*spans: tuple[int, int, float]) -> tuple[tuple[int, float], ...]:
    return tuple((h, w) for start, end, w in spans for h in range(start, end))


PROFILES = {
    "bench": Profile(
        per_day=1.6,
        weekdays=(0.8, 0.8, 1.0, 0.9, 1.0, 1.6, 1.7),
        hours=_hours((8, 12, 1.0), (12, 18, 2.5), (18, 21, 1.5)),
        print_share=0.95,
        intents=((0.93, {}, ANYONE), (0.07, {}, RESIDENT)),
    ),
    "table": Profile(
        per_day=0.8,
        weekdays=(0.6, 0.6, 1.2, 0.6, 0.8, 2.0, 2.2),
        hours=_hours((11, 14, 2.0), (14, 20, 1.5)),
        print_share=1.0,
    ),
    "poster": Profile(
        per_day=9.0,
        weekdays=(0.3, 1.1, 1.4, 1.2, 1.0, 0.9, 0.2),
        hours=_hours((9, 10, 0.5), (10, 13, 1.5), (13, 18, 2.5), (18, 21, 0.6)),
        print_share=0.85,
        intents=(
            (0.52, {}, ANYONE),
            (0.08, {}, RESIDENT),
            (0.06, {}, STAFF),
            (0.14, {"toon": "uren", "src": "menu"}, ANYONE),
            (0.12, {"toon": "digipunt", "src": "menu"}, ANYONE),
            (0.08, {"toon": "itcafe", "src": "menu"}, ANYONE),
        ),
        novelty=1.0,
        regular_count=40,
    ),
    "garden": Profile(
        per_day=2.5,
        weekdays=(0.5, 0.6, 2.5, 0.6, 0.6, 2.0, 0.8),
        hours=_hours((9, 12, 1.0), (12, 14, 0.6), (14, 18, 2.0), (18, 21, 0.8)),
        print_share=0.65,
        bot_share=0.06,  # shared in the garden's chat group: link previews
        regular_count=25,
    ),
    "shop": Profile(
        per_day=4.0,
        weekdays=(0.0, 1.0, 1.0, 1.0, 1.1, 1.6, 0.7),
        hours=_hours((7, 9, 1.5), (9, 12, 2.0), (12, 14, 1.0), (14, 18, 1.2)),
        print_share=1.0,
        bot_share=0.0,
        intents=((0.15, {}, ANYONE), (0.85, {}, RESIDENT)),
        regular_count=60,
    ),
    "party": Profile(
        per_day=6.0,
        weekdays=(0.8, 0.9, 1.0, 1.0, 1.2, 1.4, 1.1),
        hours=_hours((9, 12, 1.0), (12, 22, 1.5)),
        print_share=0.6,
        bot_share=0.08,
        novelty=1.5,
    ),
}
DEFAULT_PROFILE = Profile(per_day=1.0, weekdays=(1.0,) * 7, hours=_hours((8, 20, 1.0)))

# Phones, tablets and computers in the neighbourhood: (device, os, weight)
DEVICES = (
    ("phone", "android", 0.55),
    ("phone", "ios", 0.31),
    ("tablet", "android", 0.04),
    ("tablet", "ios", 0.03),
    ("desktop", "windows", 0.05),
    ("desktop", "macos", 0.02),
)
LANGUAGES = (("nl", 0.65), ("fr", 0.23), ("en", 0.12))


@dataclass
class _Scanner:
    """One device in the neighbourhood; the same device on the same day is one visitor."""

    ref: int
    device: str
    os: str
    language: str


@dataclass
class _CodePlan:
    code: Code
    profile: Profile
    since: datetime
    paused_at: datetime | None = None
    regulars: list[_Scanner] = field(default_factory=list)


def _pick(rng: random.Random, options: Any) -> Any:
    return rng.choices([o[:-1] for o in options], weights=[o[-1] for o in options])[0]


def _population(rng: random.Random, size: int) -> list[_Scanner]:
    people = []
    for ref in range(size):
        device, os_name = _pick(rng, DEVICES)
        (language,) = _pick(rng, LANGUAGES)
        people.append(_Scanner(ref, device, os_name, language))
    return people


def _visitor(day: date, scanner_ref: int) -> str:
    # Looks like the recorder's daily-salted hash: the same device on one day gives one value.
    return hashlib.sha256(f"demo-salt-{day.isoformat()}|{scanner_ref}".encode()).hexdigest()[:16]


def _count(rng: random.Random, mean: float) -> int:
    """A Poisson-like count (Knuth for small means, normal above)."""
    if mean <= 0:
        return 0
    if mean > 30:
        return max(0, round(rng.gauss(mean, math.sqrt(mean))))
    limit, k, p = math.exp(-mean), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def _scans(
    rng: random.Random, plan: _CodePlan, people: list[_Scanner], now: datetime
) -> list[Scan]:
    """Every scan of one code from the day it was put up until now, resolved by its routes."""
    code, profile = plan.code, plan.profile
    compiled = cache.compile_code(code, list(code.routes.all()))
    active = replace(compiled, status=CodeStatus.ACTIVE)
    paused = replace(compiled, status=CodeStatus.PAUSED)
    rows: list[Scan] = []
    first = max(local_day(plan.since), local_day(now) - timedelta(days=DAYS - 1))
    hours = [h for h, _w in profile.hours]
    hour_weights = [w for _h, w in profile.hours]
    intents = [i[1:] for i in profile.intents]
    intent_weights = [i[0] for i in profile.intents]
    day = first
    while day <= local_day(now):
        age = (day - local_day(plan.since)).days
        mean = profile.per_day * profile.weekdays[day.weekday()]
        mean *= 1 + profile.novelty * math.exp(-age / 14)
        if plan.paused_at is not None and day >= local_day(plan.paused_at):
            mean *= 0.25  # the poster still hangs here and there
        for _n in range(_count(rng, mean * (1 + profile.bot_share))):
            at = datetime.combine(
                day,
                time(rng.choices(hours, hour_weights)[0], rng.randrange(60), rng.randrange(60)),
                tzinfo=BRUSSELS,
            )
            if at < plan.since or at > now:
                continue
            rows.append(_scan(rng, plan, people, at, intents, intent_weights, active, paused))
        day += timedelta(days=1)
    return rows


def _scan(
    rng: random.Random,
    plan: _CodePlan,
    people: list[_Scanner],
    at: datetime,
    intents: list[tuple[dict[str, str], Audience]],
    intent_weights: list[float],
    active: Any,
    paused: Any,
) -> Scan:
    profile = plan.profile
    day = local_day(at)
    bot = rng.random() < profile.bot_share
    params, audience = rng.choices(intents, intent_weights)[0]
    if bot:
        scanner = _Scanner(-1 - rng.randrange(5), "other", "other", "en")
        params, audience, source = {}, ANYONE, "link"
    else:
        # Regulars (staff, shop customers, gardeners) come back; others are passers-by.
        if plan.regulars and rng.random() < 0.4:
            scanner = rng.choice(plan.regulars)
        else:
            scanner = rng.choice(people)
        source = params.get("src") or ("print" if rng.random() < profile.print_share else "link")
    ctx = ScanContext(
        now=at,
        language=scanner.language,
        device=scanner.device,
        os=scanner.os,
        bot=bot,
        params=params,
        audience_loader=lambda: audience,
    )
    state = paused if plan.paused_at is not None and at >= plan.paused_at else active
    result = selectors.resolve(state, ctx)
    return Scan(
        community_id=plan.code.community_id,
        code_id=plan.code.pk,
        at=at,
        day=day,
        visitor=_visitor(day, scanner.ref),
        device=scanner.device,
        os=scanner.os,
        language=scanner.language,
        route=result.route.position if result.route else None,
        outcome=result.route.action if result.route else result.reason,
        source=source,
        bot=bot,
    )


# --- the loader -----------------------------------------------------------------------------

SUBMISSIONS = [
    # (days ago, hour, code, language, answers)
    (83, 16, "bench", "nl", {"wat": "1", "beschrijving": "Vuilniszak opengescheurd naast de bank"}),
    (
        71,
        10,
        "bench",
        "nl",
        {"wat": "0", "beschrijving": "Plank van de zitting is gebroken", "telefoon": "0478123456"},
    ),
    (58, 19, "bench", "fr", {"wat": "2", "beschrijving": "Des tags sur le dossier du banc"}),
    (44, 15, "table", "nl", {"wat": "1", "beschrijving": "Resten van een picknick en glas"}),
    (30, 17, "bench", "en", {"wat": "3", "beschrijving": "Broken glass under the bench"}),
    (12, 14, "bench", "nl", {"wat": "0", "telefoon": "09 225 14 87"}),
    (5, 11, "table", "fr", {"wat": "3", "beschrijving": "Une guêpe fait son nid sous la table"}),
    (1, 18, "bench", "nl", {"wat": "2", "beschrijving": "Graffiti op de rugleuning, nog nat"}),
]


def _org(community: Any, slug: str) -> Organisation | None:
    return Organisation.objects.in_community(community).filter(slug=slug).first()


def load(community: Any) -> list[tuple[str, str, str]]:
    """Codes, a form, blank stickers and three months of scans. Adds no logins."""
    rng = random.Random(3003)  # the same scans every time (relative to today)
    system = Actor.system(community, label="demo")
    now = clock.now()
    start = now - timedelta(days=DAYS + 3)
    city, library, garden = _org(community, CITY), _org(community, LIBRARY), _org(community, GARDEN)

    def owner(org: Organisation | None) -> int | None:
        return org.pk if org else None

    plans: dict[str, _CodePlan] = {}
    with clock.frozen(start):
        form = services.form_create(
            actor=system,
            title=REPORT_FORM["title"],
            fields=REPORT_FORM["fields"],
            thanks=REPORT_FORM["thanks"],
            owner_id=owner(city),
        )
        report = [{"name": "Melding", "action": "form", "params": {"form": form.pk}}]
        bench = services.code_create(
            actor=system,
            title="Bank in het Blaisantvestpark",
            description="Houten bank bij de speeltuin. Sticker op de rugleuning, links.",
            tags=["bank", "park", "meldingen"],
            owner_id=owner(city),
            routes=report,
        )
        poster = services.code_create(
            actor=system,
            slug=LIBRARY,
            title="Affiche Bibliotheek Rabot",
            description="Affiche aan de inkom en in het raam van de bib.",
            tags=["bibliotheek", "affiche"],
            owner_id=owner(library),
            link_type="people.organisation" if library else "",
            link_id=str(library.pk) if library else "",
            routes=_poster_routes(community),
        )
        garden_sign = services.code_create(
            actor=system,
            slug="moestuin-rabot",
            title="Bord aan de buurtmoestuin",
            description="Bord aan het hek van de moestuin, Blaisantvest.",
            tags=["moestuin"],
            owner_id=owner(garden),
            routes=_garden_routes(),
        )
        party = services.code_create(
            actor=system,
            title="Affiche buurtfeest",
            description="Affiches in de winkels en aan de school.",
            tags=["affiche", "buurtfeest"],
            owner_id=owner(garden),
            routes=[
                {
                    "name": "Programma",
                    "action": "redirect",
                    "params": {"url": "https://www.example.org/buurtfeest-rabot"},
                }
            ],
        )
    plans["bench"] = _CodePlan(bench, PROFILES["bench"], start)
    plans["poster"] = _CodePlan(poster, PROFILES["poster"], start)
    plans["garden"] = _CodePlan(garden_sign, PROFILES["garden"], start)
    paused_at = now - timedelta(days=24, hours=3)
    plans["party"] = _CodePlan(party, PROFILES["party"], now - timedelta(days=52), paused_at)
    with clock.frozen(paused_at):
        services.code_set_status(actor=system, code_id=party.pk, status=CodeStatus.PAUSED)

    # A roll of blank stickers, made at once (the demo may have no worker running yet).
    with clock.frozen(now - timedelta(days=61)):
        batch = services.batch_create(
            actor=system,
            size=50,
            title="Stickers voor nieuwe banken en vuilbakken",
            owner_id=owner(city),
            tags=["sticker"],
        )
        services.batch_run(batch_id=batch.pk)
    claimed_at = now - timedelta(days=47, hours=5)
    with clock.frozen(claimed_at):
        sticker = Code.objects.in_community(community).filter(batch=batch).order_by("code").first()
        assert sticker is not None
        table = services.code_claim(
            actor=replace(system, label="medewerker"),
            code_id=sticker.pk,
            title="Picknicktafel Blaisantvest",
            routes=report,
        )
    plans["table"] = _CodePlan(table, PROFILES["table"], claimed_at)

    # A room to book and an entrance to check in at, put up a month ago.
    with clock.frozen(now - timedelta(days=30)):
        _presence(community, system, owner(city), now)

    # Codes other apps' demos made (the bakery's counter) and the ones above get scans too.
    for other in Code.objects.in_community(community).exclude(
        pk__in=[p.code.pk for p in plans.values()]
    ):
        if other.status not in (CodeStatus.ACTIVE, CodeStatus.PAUSED):
            continue
        profile = PROFILES["shop"] if other.link_type == "ledger.account" else DEFAULT_PROFILE
        plans[f"code-{other.pk}"] = _CodePlan(other, profile, other.created_at)

    people = _population(rng, 900)
    for plan in plans.values():
        plan.regulars = rng.sample(people, plan.profile.regular_count)
    scans = []
    for plan in plans.values():
        scans += _scans(rng, plan, people, now)
    Scan.objects.bulk_create(scans, batch_size=1000)

    for days_ago, hour, key, language, answers in SUBMISSIONS:
        at = datetime.combine(
            local_day(now) - timedelta(days=days_ago), time(hour, rng.randrange(60)), BRUSSELS
        )
        with clock.frozen(min(at, now)):
            services.submission_create(
                community=community,
                form_id=form.pk,
                code_id=plans[key].code.pk,
                data=answers,
                language=language,
            )
    services.rollup_pending(community_id=community.pk)
    return []


def _presence(community: Any, system: Actor, team: int | None, now: datetime) -> None:
    """A meeting room booked through its code (slots on the coming weekdays, a booking), and
    the community centre's entrance with three people checked in this morning."""
    room_code = services.code_create(
        actor=system,
        slug="vergaderzaal-de-kring",
        title="Vergaderzaal De Kring",
        description="Sticker naast de deur van de vergaderzaal.",
        tags=["reservatie"],
        owner_id=team,
    )
    room = services.resource_create(
        actor=system, name="Vergaderzaal De Kring", capacity=1, code_id=room_code.pk
    )
    services.routes_set(
        actor=system,
        code_id=room_code.pk,
        routes=[{"name": "Reserveren", "action": "reserve", "params": {"resource": room.pk}}],
    )
    today = local_day(now)
    for ahead in range(1, 8):
        day = today + timedelta(days=ahead)
        if day.isoweekday() <= 5:
            services.slots_add(
                actor=system, resource_id=room.pk, day=day, start=time(9), end=time(17)
            )
    first = (
        Slot.objects.in_community(community)
        .filter(resource=room, starts_at__gt=now)
        .order_by("starts_at")
        .first()
    )
    if first is not None:
        services.booking_create(
            community=community, slot_id=first.pk, name="Buurtcomité Rabot", contact="0470 12 34 56"
        )
    door_code = services.code_create(
        actor=system,
        slug="inkom-buurthuis",
        title="Inkom buurthuis Rabot",
        description="Affiche aan de inkom: in- en uitchecken.",
        tags=["inchecken"],
        owner_id=team,
    )
    door = services.point_create(actor=system, name="Buurthuis Rabot", code_id=door_code.pk)
    services.routes_set(
        actor=system,
        code_id=door_code.pk,
        routes=[{"name": "Inchecken", "action": "checkin", "params": {"point": door.pk}}],
    )
    morning = datetime.combine(today, time(9, 15), BRUSSELS)
    for minutes, name in ((0, "Mieke"), (20, "Ahmed"), (45, "Jozef")):
        with clock.frozen(min(morning + timedelta(minutes=minutes), now)):
            services.visit_check_in(community=community, point_id=door.pk, name=name)
