"""Staff pages for Buurbel's matching rules and matching runs.

Rules: the versions list, one version in plain words with its test cases' results, the draft
editor (rows per condition, scoring term and test case; "try the test cases" without saving),
a copy as a new draft, activation (refused while a test case fails). Runs: the list with
"run matching now", and one run's figures and proposed pairs, each with its explanation.
Reading needs ``neighbours.view``; editing ``neighbours.rules``; running ``neighbours.match``.
"""

from __future__ import annotations

from typing import Any

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from buurtkit.core.actor import Actor
from buurtkit.core.apitools import actor_of
from buurtkit.core.errors import Conflict, ServiceError, ValidationFailed
from buurtkit.neighbours import rules, selectors, services
from buurtkit.neighbours.facts import FACTS
from buurtkit.neighbours.models import MatchRun, RuleStatus, RuleVersion
from buurtkit.neighbours.pages import forms as rule_forms
from buurtkit.neighbours.pages.jsonlogic_text import pretty_json, to_text
from buurtkit.web.decorators import community_page
from buurtkit.web.messages import flash
from buurtkit.web.pagination import paginate

PAIRS_PER_PAGE = 20

TIMINGS = [
    ("load_s", gettext_lazy("Reading participants and their history")),
    ("prefilter_s", gettext_lazy("Finding candidates nearby")),
    ("score_s", gettext_lazy("Checking the rules and scoring pairs")),
    ("pairing_s", gettext_lazy("Choosing the best pairs")),
    ("store_s", gettext_lazy("Saving the pairs")),
    ("total_s", gettext_lazy("In all")),
]
FIGURES = [
    ("declined_skipped", gettext_lazy("Pairs left out because one declined the other before")),
    ("components", gettext_lazy("Groups of people who could be paired")),
    ("largest_component", gettext_lazy("People in the largest group")),
    ("split_components", gettext_lazy("Groups too large, paired per neighbourhood")),
    ("parts", gettext_lazy("Parts paired separately")),
    ("greedy_components", gettext_lazy("Groups paired quickly (not exactly)")),
    ("per_person", gettext_lazy("Candidates looked at per person")),
]


# --- showing rules, results and explanations -----------------------------------------------------


def _rule_rows(items: list[dict[str, Any]], term: bool) -> list[dict[str, Any]]:
    return [
        {
            "name": item["name"],
            "description": item.get("description", ""),
            "readable": to_text(item["rule"]),
            "json": pretty_json(item["rule"]),
            "weight": item.get("weight") if term else None,
        }
        for item in items
    ]


def _fact_value(value: Any) -> str:
    if value is None:
        return _("unknown")
    if value is True:
        return _("yes")
    if value is False:
        return _("no")
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "–"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def explain(explanation: dict[str, Any], version: RuleVersion) -> dict[str, Any]:
    """A stored explanation with the rules' descriptions, ready to read."""
    described = {r["name"]: r.get("description", "") for r in version.eligibility}
    described.update({r["name"]: r.get("description", "") for r in version.weights})
    return {
        "conditions": [
            {**c, "description": described.get(c["name"], "")}
            for c in explanation.get("eligibility", [])
        ],
        "terms": [
            {**t, "description": described.get(t["name"], "")} for t in explanation.get("terms", [])
        ],
        "facts": [
            {"name": k, "value": _fact_value(v), "meaning": FACTS.get(k, "")}
            for k, v in (explanation.get("facts") or {}).items()
        ],
        "score": explanation.get("score", 0),
    }


def _results(version: RuleVersion, raw: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Test results with what was expected and what was found, in words."""
    cases = {c["name"]: c for c in version.test_cases}
    out = []
    for result in raw:
        case = cases.get(result["name"], {})
        low, high = case.get("score_min"), case.get("score_max")
        if not case.get("eligible"):
            expected = _("not matched")
        elif low is not None and high is not None:
            expected = _("matched, with a score from %(low)s to %(high)s") % {
                "low": f"{low:g}",
                "high": f"{high:g}",
            }
        elif low is not None:
            expected = _("matched, with a score of at least %(low)s") % {"low": f"{low:g}"}
        elif high is not None:
            expected = _("matched, with a score of at most %(high)s") % {"high": f"{high:g}"}
        else:
            expected = _("matched")
        found = (
            _("matched, score %(score)s") % {"score": f"{result['score']:g}"}
            if result["eligible"]
            else _("not matched")
        )
        out.append(
            {
                "name": result["name"],
                "passed": result["passed"],
                "expected": expected,
                "found": found,
                "explanation": explain(result["explanation"], version),
            }
        )
    return out


def _unsaved_version(actor: Actor, editor: rule_forms.Editor) -> RuleVersion:
    values = editor.values()
    return RuleVersion(
        community=actor.community,
        number=0,
        eligibility=values["eligibility"],
        weights=values["weights"],
        test_cases=values["test_cases"],
    )


# --- versions --------------------------------------------------------------------------------


@community_page("neighbours.view")
def rule_list(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    page = paginate(request, selectors.rule_versions(actor=actor))
    for version in page:  # the rows at hand: no query per version
        results = services.rule_version_results(version)
        version.passing = sum(1 for r in results if r["passed"])
        version.total = len(results)
    context = {
        "page": page,
        "can_edit": actor.has("neighbours.rules"),
        "can_match": actor.has("neighbours.match"),
    }
    return render(request, "neighbours/rules.html", context)


@require_POST
@community_page("neighbours.rules")
def rule_new(request: HttpRequest) -> HttpResponse:
    """A new draft with the suggested rules and test cases (when there is nothing to copy)."""
    actor = actor_of(request)
    version = services.rule_version_create(
        actor=actor,
        eligibility=rules.DEFAULT_ELIGIBILITY,
        weights=rules.DEFAULT_WEIGHTS,
        test_cases=rules.DEFAULT_TEST_CASES,
        notes=_("Suggested rules"),
    )
    flash(
        request,
        _("Version %(n)d is a new draft: change it, then activate it.") % {"n": version.number},
    )
    return redirect("web:buurbel_rule_edit", slug=actor.community.slug, rule_version_id=version.pk)


@community_page("neighbours.view")
def rule_detail(request: HttpRequest, rule_version_id: int) -> HttpResponse:
    actor = actor_of(request)
    version = selectors.rule_version_get(actor=actor, version_id=rule_version_id)
    results = _results(
        version, selectors.rule_version_test_results(actor=actor, version_id=version.pk)
    )
    context = {
        "version": version,
        "conditions": _rule_rows(version.eligibility, False),
        "terms": _rule_rows(version.weights, True),
        "results": results,
        "failing": [r for r in results if not r["passed"]],
        "facts": sorted(FACTS.items()),
        "is_draft": version.status == RuleStatus.DRAFT,
        "can_edit": actor.has("neighbours.rules"),
    }
    return render(request, "neighbours/rule_detail.html", context)


def _editor_page(
    request: HttpRequest, version: RuleVersion, *, trying: bool = False
) -> HttpResponse:
    actor = actor_of(request)
    if version.status != RuleStatus.DRAFT:
        if request.method == "POST":
            raise Conflict(
                _("Version %(n)d has been activated and can no longer change. Make a copy instead.")
                % {"n": version.number},
                code="rules_immutable",
            )
        flash(
            request,
            _("Version %(n)d is in use or retired and cannot change. Make a copy to change it.")
            % {"n": version.number},
            "error",
        )
        return redirect("web:buurbel_rule", slug=actor.community.slug, rule_version_id=version.pk)
    status = 200
    results: list[dict[str, Any]] | None = None
    if request.method == "POST":
        op = request.POST.get("op", "save")
        if trying:
            op = "try"
        editor = rule_forms.editor_from_post(request.POST, op)
        if op not in ("save", "try"):
            editor.clear_errors()
        elif not editor.has_errors:
            try:
                if op == "try":
                    raw = selectors.rule_version_try(
                        actor=actor, **{k: v for k, v in editor.values().items() if k != "notes"}
                    )
                    results = _results(_unsaved_version(actor, editor), raw)
                else:
                    services.rule_version_update(
                        actor=actor, version_id=version.pk, **editor.values()
                    )
                    flash(request, _("The draft is saved."))
                    return redirect(
                        "web:buurbel_rule", slug=actor.community.slug, rule_version_id=version.pk
                    )
            except ServiceError as exc:
                editor.place(exc)
        if editor.has_errors:
            status = 422
    else:
        editor = rule_forms.editor_from_version(version)
    context = {
        "version": version,
        "editor": editor,
        "cases": [
            {"index": i, "case": case, "sides": case.sides(i)}
            for i, case in enumerate(editor.cases)
        ],
        "results": results,
        "failing": [r for r in results or [] if not r["passed"]],
        **rule_forms.choices(),
    }
    return render(request, "neighbours/rule_edit.html", context, status=status)


@community_page("neighbours.rules")
def rule_edit(request: HttpRequest, rule_version_id: int) -> HttpResponse:
    version = selectors.rule_version_get(actor=actor_of(request), version_id=rule_version_id)
    return _editor_page(request, version)


@require_POST
@community_page("neighbours.rules")
def rule_test(request: HttpRequest, rule_version_id: int) -> HttpResponse:
    """The editor's "try the test cases": results for the draft as typed, nothing saved."""
    version = selectors.rule_version_get(actor=actor_of(request), version_id=rule_version_id)
    return _editor_page(request, version, trying=True)


@require_POST
@community_page("neighbours.rules")
def rule_copy(request: HttpRequest, rule_version_id: int) -> HttpResponse:
    actor = actor_of(request)
    source = selectors.rule_version_get(actor=actor, version_id=rule_version_id)
    version = services.rule_version_create(
        actor=actor,
        copy_of_id=source.pk,
        notes=_("Copy of version %(n)d") % {"n": source.number},
    )
    flash(
        request,
        _("Version %(n)d is a new draft: change it, then activate it.") % {"n": version.number},
    )
    return redirect("web:buurbel_rule_edit", slug=actor.community.slug, rule_version_id=version.pk)


@require_POST
@community_page("neighbours.rules")
def rule_activate(request: HttpRequest, rule_version_id: int) -> HttpResponse:
    actor = actor_of(request)
    version = selectors.rule_version_get(actor=actor, version_id=rule_version_id)
    try:
        services.rule_version_activate(actor=actor, version_id=version.pk)
    except (ValidationFailed, Conflict) as exc:
        flash(request, str(exc.detail), "error")
    else:
        flash(
            request,
            _("Version %(n)d is now used for matching.") % {"n": version.number},
        )
    return redirect("web:buurbel_rule", slug=actor.community.slug, rule_version_id=version.pk)


# --- matching runs ---------------------------------------------------------------------------


def _duration(run: MatchRun) -> float | None:
    total = (run.stats or {}).get("total_s")
    if isinstance(total, int | float):
        return float(total)
    if run.finished_at:
        return (run.finished_at - run.started_at).total_seconds()
    return None


@community_page("neighbours.view")
def run_list(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    page = paginate(request, selectors.match_runs(actor=actor))
    for run in page:
        run.duration = _duration(run)
    active = selectors.rule_versions(actor=actor).filter(status=RuleStatus.ACTIVE).first()
    context = {"page": page, "can_match": actor.has("neighbours.match"), "active": active}
    return render(request, "neighbours/runs.html", context)


@require_POST
@community_page("neighbours.match")
def run_start(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    try:
        run = services.matching_run(actor=actor)
    except Conflict as exc:
        flash(request, str(exc.detail), "error")
        return redirect("web:buurbel_runs", slug=actor.community.slug)
    flash(
        request,
        _("The matching is done: %(n)d pairs proposed.") % {"n": run.proposed_pairs},
    )
    return redirect("web:buurbel_run", slug=actor.community.slug, match_run_id=run.pk)


@community_page("neighbours.view")
def run_detail(request: HttpRequest, match_run_id: int) -> HttpResponse:
    actor = actor_of(request)
    run = selectors.match_run_get(actor=actor, run_id=match_run_id)
    q = request.GET.get("q", "").strip()
    pairs = selectors.proposed_pairs_search(actor=actor, run_id=run.pk, q=q)
    page = Paginator(pairs, PAIRS_PER_PAGE).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    page.query = params.urlencode()  # type: ignore[attr-defined]
    version = run.rule_version
    for pair in page:
        pair.readable = explain(pair.explanation, version)  # type: ignore[attr-defined]
    stats = run.stats or {}
    context = {
        "run": run,
        "version": version,
        "duration": _duration(run),
        "page": page,
        "q": q,
        "timings": [(label, stats[key]) for key, label in TIMINGS if key in stats],
        "figures": [(label, stats[key]) for key, label in FIGURES if key in stats],
    }
    return render(request, "neighbours/run_detail.html", context)
