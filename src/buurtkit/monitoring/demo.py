"""The demo's plan: the Digibank Kortrijk plan of seed 004 (two years, its targets, budget and
milestones), measured against what the other modules' demo data recorded. No made-up figures:
home visits are counted by the helpdesk's indicator ``helpdesk.home_visits``."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from buurtkit.core import clock
from buurtkit.core.actor import Actor
from buurtkit.core.indicators import add_months
from buurtkit.monitoring import rollup, rules, selectors, services
from buurtkit.places.models import Municipality

PLAN = "Digibank 2 jaar"

OBJECTIVES = [
    ("Toegang tot digitale technologieën", [
        ("20 volledig operationele digipunten", "places.digipunten_open", "", 20),
        ("400 inwoners bediend met een tweedehands toestel", "lending.devices_handed_out", "", 400),
        ("5 infosessies 'de uitbouw van een digipunt'", "activities.sessions_held",
         "kind:info_session", 5),
        ("500 kwetsbare huishoudens met toegang tot internet", "lending.households_online", "",
         500),
    ]),
    ("Versterken van digitale vaardigheden", [
        ("16 IT-cafés", "activities.sessions_held", "kind:it_cafe", 16),
        ("320 deelnemers aan de IT-cafés", "activities.participations", "kind:it_cafe", 320),
        ("1150 deelnemers aan de gratis basisopleidingen ICT", "activities.participants",
         "kind:course", 1150),
        ("8 repair cafés", "activities.sessions_held", "kind:repair_cafe", 8),
        ("30 opgeleide digibuddy's", "activities.digibuddies_trained", "", 30),
        ("20 Open Lab-sessies", "activities.sessions_held", "kind:open_lab", 20),
    ]),
    ("Toegang tot essentiële diensten", [
        ("1150 deelnemers aan de opleidings- en begeleidingssessies", "activities.participants",
         "kind:essential", 1150),
    ]),
    ("Informatie en communicatie", [
        ("14 informatieve roadshows in zeven wijken", "activities.sessions_held", "kind:roadshow",
         14),
    ]),
]  # fmt: skip

HOME_VISITS_NOTE = (
    "Geteld door de helpdesk: huisbezoeken die plaatsvonden (digibuddy of externe "
    "organisatie; de bezoeker meldde zich af)."
)

BUDGET = [
    ("wages", "Projectcoördinator", 147_576_00),
    ("wages", "Administratief medewerker (deeltijds)", 55_862_56),
    ("running", "Informatie en communicatie", 5_000_00),
    ("running", "Verbruiksgoederen IT-cafés", 5_000_00),
    ("running", "Diverse projectkosten", 10_000_00),
    ("services", "Opleidingen digitale vaardigheden (overheidsopdracht)", 60_000_00),
    ("services", "Opleiding digibuddy's", 2_700_00),
    ("services", "Toegang tot essentiële diensten (overheidsopdracht)", 60_000_00),
    ("services", "Hulp aan huis door een externe organisatie", 10_000_00),
    ("investments", "PC's voor de digipunten (26)", 15_600_00),
    ("investments", "Laptops voor de digipunten (24)", 19_200_00),
    ("investments", "Tablets voor de digipunten (30)", 10_500_00),
]


def load(community: Any) -> list[tuple[str, str, str]]:
    system = Actor.system(community, label="demo")
    today = selectors.local_today()
    start = add_months(today.replace(day=1), -2)
    end = rules.month_end(add_months(start, 23))
    plan = services.plan_create(
        actor=system,
        name=PLAN,
        funder="Departement Werk en Sociale Economie",
        description=(
            "Digibank: toestellen delen, 20 digipunten, opleidingen, repair cafés, "
            "digibuddy's, een helpdesk en hulp aan huis (seed 004)."
        ),
        starts_on=start,
        ends_on=end,
        municipality_ids=Municipality.objects.in_community(community).values_list("pk", flat=True),
    )
    for position, (title, targets) in enumerate(OBJECTIVES, start=1):
        objective = services.objective_create(
            actor=system, plan_id=plan.pk, title=title, position=position
        )
        for target_title, indicator, breakdown, value in targets:
            services.target_create(
                actor=system, plan_id=plan.pk, objective_id=objective.pk, title=target_title,
                indicator=indicator, breakdown=breakdown, value=value,
            )  # fmt: skip
        if position == 3:
            for year in (0, 1):
                services.target_create(
                    actor=system, plan_id=plan.pk, objective_id=objective.pk,
                    title=f"200 hulp-aan-huisvragen behandeld (jaar {year + 1})", value=200,
                    indicator="helpdesk.home_visits",
                    starts_on=add_months(start, 12 * year),
                    ends_on=rules.month_end(add_months(start, 12 * year + 11)), note=HOME_VISITS_NOTE,
                )  # fmt: skip
    lines = {}
    for category, title, cents in BUDGET:
        line = services.budget_line_create(
            actor=system, plan_id=plan.pk, category=category, title=title, planned_cents=cents
        )
        lines[title] = line
    # What was spent so far: the wages of the months gone by, some running costs, PCs bought.
    month = start
    while month <= today.replace(day=1) and month < today:
        pay_day = min(rules.month_end(month), today - timedelta(days=1))
        for title, cents in (
            ("Projectcoördinator", 6_149_00),
            ("Administratief medewerker (deeltijds)", 2_327_61),
        ):
            services.spending_add(
                actor=system, plan_id=plan.pk, line_id=lines[title].pk, spent_on=pay_day,
                amount_cents=cents, note=f"Loon {month:%m/%Y}",
            )  # fmt: skip
        month = add_months(month, 1)
    first_week = start + timedelta(days=10)
    for title, cents, note in (
        ("Informatie en communicatie", 1_850_00, "Banners digipunten"),
        ("Verbruiksgoederen IT-cafés", 420_35, "Verdeelstekkers en kabels"),
        ("PC's voor de digipunten (26)", 7_200_00, "12 pc's"),
    ):
        services.spending_add(
            actor=system, plan_id=plan.pk, line_id=lines[title].pk,
            spent_on=min(first_week, today), amount_cents=cents, note=note,
        )  # fmt: skip
    services.milestone_create(
        actor=system, plan_id=plan.pk, title="Projectcoördinator aangesteld", due_on=start
    )
    hired = plan.milestones.get(title="Projectcoördinator aangesteld")
    services.milestone_update(
        actor=system, plan_id=plan.pk, milestone_id=hired.pk, title=hired.title,
        due_on=hired.due_on, done_on=min(start, today),
    )  # fmt: skip
    services.milestone_create(
        actor=system, plan_id=plan.pk, title="Portaalsite met inschrijfmodule online",
        due_on=add_months(start, 6) - timedelta(days=1),
    )  # fmt: skip
    for n in range(8):  # the steering group meets four times a year
        due = rules.month_end(add_months(start, 3 * n + 2))
        milestone = services.milestone_create(
            actor=system, plan_id=plan.pk, title=f"Stuurgroep {n + 1}", due_on=due
        )
        if due < today:
            services.milestone_update(
                actor=system, plan_id=plan.pk, milestone_id=milestone.pk, title=milestone.title,
                due_on=due, done_on=due - timedelta(days=3),
            )  # fmt: skip
    with clock.frozen(clock.now()):
        rollup.recount_community(community, full=True)
    # The funder's report ("samenvattend sjabloon"), made once so that it can be downloaded
    # from a fresh clone (the worker would make it too; made here it is there at once).
    report = services.report_generate(
        actor=system, plan_id=plan.pk, kind="funder", language="nl",
        idempotency_key="demo-funder-report",
    )  # fmt: skip
    services.report_build(snapshot_id=report.pk)
    return []
