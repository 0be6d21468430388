"""The demo's reach per target group and surveys: the seed's Kortrijk figures per group (seed
004: 5,200 older residents, 5,982 with a migration background…, ambition 10 %), profiles with
consent for about two in three of the people the modules reached, the digital-skills survey
(the six statements of the activities' self-assessment) and the currency's baseline and
impact survey (seed 000: "nulmeting … impactmeting"), with answers before and after."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

from buurtkit.core import clock
from buurtkit.core.actor import Actor
from buurtkit.core.indicators import add_months
from buurtkit.monitoring import reach, surveys
from buurtkit.monitoring.models import (
    SENIOR_BANDS,
    AgeBand,
    JobSeeking,
    Profile,
    SurveyAnswer,
    SurveyChannel,
    SurveyPhase,
    SurveyResponse,
)
from buurtkit.people.models import Consent, ConsentKind, Person

SCALE_4 = {
    "1": {"nl": "Helemaal niet", "en": "Not at all", "fr": "Pas du tout"},
    "2": {"nl": "Een beetje", "en": "A little", "fr": "Un peu"},
    "3": {"nl": "Best goed", "en": "Quite well", "fr": "Assez bien"},
    "4": {"nl": "Heel goed", "en": "Very well", "fr": "Très bien"},
}
SCALE_5 = {
    "1": {"nl": "Helemaal niet akkoord", "en": "Strongly disagree", "fr": "Pas du tout d'accord"},
    "2": {"nl": "Niet akkoord", "en": "Disagree", "fr": "Pas d'accord"},
    "3": {"nl": "Neutraal", "en": "Neutral", "fr": "Neutre"},
    "4": {"nl": "Akkoord", "en": "Agree", "fr": "D'accord"},
    "5": {"nl": "Helemaal akkoord", "en": "Strongly agree", "fr": "Tout à fait d'accord"},
}
DIGITAL_SKILLS = [
    ("find", {"nl": "Ik vind op het internet de informatie die ik nodig heb.",
              "en": "I find the information I need on the internet.",
              "fr": "Je trouve sur internet les informations dont j'ai besoin."}),
    ("communicate", {"nl": "Ik stuur berichten en e-mails en doe videogesprekken.",
                     "en": "I send messages and e-mails, and make video calls.",
                     "fr": "J'envoie des messages et des e-mails, et je fais des appels vidéo."}),
    ("problems", {"nl": "Ik los zelf een klein probleem met mijn gsm of computer op.",
                  "en": "I solve a small problem with my phone or computer myself.",
                  "fr": "Je résous moi-même un petit problème de téléphone ou d'ordinateur."}),
    ("software", {"nl": "Ik gebruik apps en programma's voor wat ik nodig heb.",
                  "en": "I use apps and programs for what I need.",
                  "fr": "J'utilise des applications et des programmes pour ce dont j'ai besoin."}),
    ("safe", {"nl": "Ik herken valse berichten en houd mijn gegevens veilig.",
              "en": "I recognise fake messages and keep my data safe.",
              "fr": "Je reconnais les faux messages et je protège mes données."}),
    ("repair", {"nl": "Ik houd mijn toestel up-to-date en in goede staat.",
                "en": "I keep my device up to date and in good shape.",
                "fr": "Je tiens mon appareil à jour et en bon état."}),
]  # fmt: skip
CURRENCY = [
    ("neighbours", {"nl": "Ik ken mensen in mijn buurt die ik om hulp kan vragen.",
                    "en": "I know people in my neighbourhood I can ask for help.",
                    "fr": "Je connais des gens dans mon quartier à qui demander de l'aide."}),
    ("contribute", {"nl": "Ik doe iets voor mijn buurt.",
                    "en": "I do something for my neighbourhood.",
                    "fr": "Je fais quelque chose pour mon quartier."}),
    ("shops", {"nl": "Ik koop in de winkels van mijn buurt.",
               "en": "I shop in my neighbourhood's shops.",
               "fr": "J'achète dans les commerces de mon quartier."}),
    ("phone_pay", {"nl": "Ik kan met mijn gsm betalen.",
                   "en": "I can pay with my phone.",
                   "fr": "Je sais payer avec mon téléphone."}),
    ("belong", {"nl": "Ik voel me thuis in mijn buurt.",
                "en": "I feel at home in my neighbourhood.",
                "fr": "Je me sens chez moi dans mon quartier."}),
]  # fmt: skip


def load(community: Any) -> list[tuple[str, str, str]]:
    system = Actor.system(community, label="demo")
    rng = random.Random(f"reach-{community.slug}")
    reach.group_figures_save(
        actor=system,
        figures={g: (n, reach.DEFAULT_AMBITION) for g, n in reach.SEED_POPULATION.items()},
    )
    _profiles(community, rng)
    _surveys(system, community, rng)
    return []


def _profiles(community: Any, rng: random.Random) -> None:
    today = reach._local_today()
    start = add_months(today.replace(day=1), -24)
    reached = set(
        reach.reached_ids(community=community, first=start, after=add_months(today, 1))
        .values_list("subject_id", flat=True)
        .distinct()
    )
    people = list(
        Person.objects.in_community(community)
        .filter(pk__in=reached, anonymised_at__isnull=True)
        .order_by("pk")
    )
    now = clock.now()
    consents, profiles = [], []
    for person in people:
        if rng.random() > 0.65:
            continue  # about a third did not agree: not profiled
        consents.append(
            Consent(
                community=community,
                person=person,
                kind=ConsentKind.PROFILE_STATISTICS,
                granted=True,
                at=now,
                recorded_by="demo",
                channel="counter",
            )
        )
        band = reach.age_band_of(person.birth_year, today) or rng.choice(
            [AgeBand.A18_29, AgeBand.A30_49, AgeBand.A50_64, *SENIOR_BANDS, *SENIOR_BANDS]
        )
        job = ""
        if band not in SENIOR_BANDS and rng.random() < 0.3:
            job = rng.choice(JobSeeking.values)
        profiles.append(
            Profile(
                community=community,
                person=person,
                age_band=band,
                postcode=person.postcode,
                job_seeking=job,
                low_literacy=rng.random() < 0.2,
                low_schooling=rng.random() < 0.35,
                inactive=not job and band not in SENIOR_BANDS and rng.random() < 0.3,
                migration=rng.random() < 0.3,
                second_language=rng.random() < 0.2,
                low_income=rng.random() < 0.4,
                living_alone=rng.random() < 0.35,
                updated_at=now,
            )
        )
    Consent.objects.bulk_create(consents)
    Profile.objects.bulk_create(profiles)


def _surveys(system: Actor, community: Any, rng: random.Random) -> None:
    skills = surveys.survey_define(
        actor=system,
        key="digitale-vaardigheden",
        title={"nl": "Digitale vaardigheden", "en": "Digital skills",
               "fr": "Compétences numériques"},
        questions=DIGITAL_SKILLS, scale_min=1, scale_max=4, scale_labels=SCALE_4,
    )  # fmt: skip
    currency = surveys.survey_define(
        actor=system,
        key="torekes-impact",
        title={"nl": "Torekes: nulmeting en impactmeting",
               "en": "Torekes: baseline and impact survey",
               "fr": "Torekes : mesure de départ et d'impact"},
        questions=CURRENCY, scale_min=1, scale_max=5, scale_labels=SCALE_5,
    )  # fmt: skip
    people = list(
        Person.objects.in_community(community)
        .filter(anonymised_at__isnull=True, user__isnull=True)
        .order_by("pk")
        .values_list("pk", flat=True)[:60]
    )
    now = clock.now()
    for survey, low, high, gain, who in (
        (skills, 1, 4, 1, people[:36]),
        (currency, 1, 5, 1, people[20:50]),
    ):
        questions = list(survey.questions.all())
        rows: list[tuple[SurveyResponse, list[int]]] = []
        for n, person_id in enumerate(who):
            paper = n % 3 == 0  # a third on paper with a pairing code, anonymous
            before = [rng.randint(low, max(low, high - 2)) for _q in questions]
            after = [min(high, v + rng.randint(0, gain)) for v in before]
            phases = [(SurveyPhase.BEFORE, before, 70)]
            if n % 5 != 4:  # one in five did not answer afterwards (yet)
                phases.append((SurveyPhase.AFTER, after, 5))
            for phase, values, days_ago in phases:
                response = SurveyResponse(
                    community=community, survey=survey, phase=phase,
                    person_id=None if paper else person_id,
                    pairing_code=f"D{n:03d}" if paper else "",
                    channel=SurveyChannel.PAPER if paper else rng.choice(
                        [SurveyChannel.SMS, SurveyChannel.KIOSK]
                    ),
                    answered_at=now - timedelta(days=days_ago + rng.randint(0, 4)),
                    entered_by_label="demo",
                )  # fmt: skip
                rows.append((response, values))
        SurveyResponse.objects.bulk_create([r for r, _v in rows])
        SurveyAnswer.objects.bulk_create(
            SurveyAnswer(community=community, response=r, question=q, value=v)
            for r, values in rows
            for q, v in zip(questions, values, strict=True)
        )
