"""Reads of Buurbel's matching side."""

from __future__ import annotations

from django.db.models import QuerySet

from buurtkit.core.actor import Actor
from buurtkit.core.scoping import get_scoped
from buurtkit.neighbours.models import MatchRun, Participant, ProposedPair, RuleVersion


def participants(*, actor: Actor) -> QuerySet[Participant]:
    actor.require("neighbours.view")
    return Participant.objects.in_community(actor.community).select_related("person")


def rule_versions(*, actor: Actor) -> QuerySet[RuleVersion]:
    actor.require("neighbours.view")
    return RuleVersion.objects.in_community(actor.community).order_by("-number")


def rule_version_get(*, actor: Actor, version_id: int) -> RuleVersion:
    actor.require("neighbours.view")
    return get_scoped(RuleVersion, actor.community, pk=version_id)


def match_runs(*, actor: Actor) -> QuerySet[MatchRun]:
    actor.require("neighbours.view")
    return MatchRun.objects.in_community(actor.community).select_related("rule_version")


def match_run_get(*, actor: Actor, run_id: int) -> MatchRun:
    actor.require("neighbours.view")
    return get_scoped(MatchRun, actor.community, pk=run_id)


def proposed_pairs(*, actor: Actor, run_id: int) -> QuerySet[ProposedPair]:
    """The pairs of one run, best first, each with its explanation."""
    run = match_run_get(actor=actor, run_id=run_id)
    return (
        ProposedPair.objects.in_community(actor.community).filter(run=run).order_by("-score", "id")
    )
