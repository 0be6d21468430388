"""JsonLogic rules over pair facts, evaluated by ``datalogic-py`` (ADR 0010).

A rule set is compiled once into one JsonLogic array: the eligibility conditions (each wrapped
in ``!!`` so JsonLogic's own truthiness decides) followed by the scoring terms. One call to the
engine per pair gives every value the explanation needs.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import datalogic_py
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from buurtkit.core.errors import ValidationFailed
from buurtkit.neighbours.facts import FACTS

_ENGINE = datalogic_py.Engine()
MAX_RULES = 30
MAX_RULE_CHARS = 4000
NAME_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789_")


def _invalid(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, fields={field: message})


def _vars(expr: Any) -> set[str]:
    """Every fact name an expression reads with ``var``."""
    found: set[str] = set()
    if isinstance(expr, Mapping):
        for op, args in expr.items():
            if op == "var":
                name = args[0] if isinstance(args, list) and args else args
                if isinstance(name, str):
                    found.add(name.split(".")[0])
                elif not (isinstance(args, list) and not args) and name is not None:
                    found.add(str(name))
            found |= _vars(args)
    elif isinstance(expr, list):
        for item in expr:
            found |= _vars(item)
    return found


def _check_expr(expr: Any, field: str, name: str) -> None:
    import json

    if len(json.dumps(expr)) > MAX_RULE_CHARS:
        raise _invalid(field, _("Rule “%(name)s” is too long.") % {"name": name})
    unknown = _vars(expr) - set(FACTS)
    if unknown:
        raise _invalid(
            field,
            _("Rule “%(name)s” uses unknown facts: %(facts)s. Known facts: %(known)s.")
            % {"name": name, "facts": ", ".join(sorted(unknown)), "known": ", ".join(FACTS)},
        )
    problems = [p for p in _ENGINE.check(expr, "strict") if p.get("severity") == "error"]
    if problems:
        raise _invalid(
            field,
            _("Rule “%(name)s” is not valid JsonLogic: %(problem)s")
            % {"name": name, "problem": problems[0].get("message", "")},
        )


def clean_rules(
    eligibility: Any, weights: Any
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Check a rule set and return it normalised; errors name the rule."""
    if not isinstance(eligibility, list) or not isinstance(weights, list):
        raise _invalid("eligibility", _("Conditions and scoring terms must be lists."))
    if len(eligibility) + len(weights) > MAX_RULES:
        raise _invalid("eligibility", _("Use at most %(n)d rules.") % {"n": MAX_RULES})
    seen: set[str] = set()
    out: tuple[list[dict[str, Any]], list[dict[str, Any]]] = ([], [])
    for field, items, target in (
        ("eligibility", eligibility, out[0]),
        ("weights", weights, out[1]),
    ):
        for item in items:
            if not isinstance(item, Mapping) or "rule" not in item:
                raise _invalid(field, _("Every rule needs a name and a rule."))
            name = str(item.get("name") or "").strip().lower()
            if not name or len(name) > 60 or set(name) - NAME_CHARS or name in seen:
                raise _invalid(
                    field,
                    _("Give every rule its own short name in lower-case letters, digits and _."),
                )
            seen.add(name)
            _check_expr(item["rule"], field, name)
            clean: dict[str, Any] = {
                "name": name,
                "description": str(item.get("description") or "")[:300],
                "rule": item["rule"],
            }
            if field == "weights":
                weight = item.get("weight", 1)
                if (
                    isinstance(weight, bool)
                    or not isinstance(weight, int | float)
                    or not math.isfinite(weight)
                ):
                    raise _invalid(
                        field, _("Rule “%(name)s” needs a number as weight.") % {"name": name}
                    )
                clean["weight"] = weight
            target.append(clean)
    return out


@dataclass(frozen=True, slots=True)
class Verdict:
    eligible: bool
    score: float
    held: tuple[bool, ...]
    values: tuple[float, ...]


class CompiledRules:
    """A rule set compiled once; :meth:`evaluate` costs one engine call per pair."""

    def __init__(self, eligibility: list[dict[str, Any]], weights: list[dict[str, Any]]) -> None:
        self.eligibility = eligibility
        self.weights = weights
        self._n = len(eligibility)
        self._w = [float(w["weight"]) for w in weights]
        program = [{"!!": [e["rule"]]} for e in eligibility] + [w["rule"] for w in weights]
        self._rule = _ENGINE.compile(program)
        # The fast path: one expression giving the score of an eligible pair, else null.
        conditions = [{"!!": [e["rule"]]} for e in eligibility]
        total = [{"*": [float(w["weight"]), w["rule"]]} for w in weights]
        self._fast = _ENGINE.compile(
            {
                "if": [
                    {"and": conditions} if conditions else True,
                    {"+": total} if total else 0,
                    None,
                ]
            }
        )

    def evaluate(self, facts: Mapping[str, Any]) -> Verdict:
        try:
            result = self._rule.evaluate(facts)
        except datalogic_py.DataLogicError:
            return Verdict(False, 0.0, (False,) * self._n, (0.0,) * len(self._w))
        held = tuple(bool(v) for v in result[: self._n])
        values = tuple(_number(v) for v in result[self._n :])
        score = sum(w * v for w, v in zip(self._w, values, strict=True))
        return Verdict(all(held), score, held, values)

    def score(self, facts: Mapping[str, Any]) -> float | None:
        """The score of an eligible pair, or None: the fast path of a matching run."""
        try:
            result = self._fast.evaluate(facts)
        except datalogic_py.DataLogicError:
            result = False  # a term that is not a number: the slow path treats it as 0
        if result is None:
            return None
        if isinstance(result, int | float) and not isinstance(result, bool):
            return float(result)
        verdict = self.evaluate(facts)
        return verdict.score if verdict.eligible else None

    def explain(self, facts: Mapping[str, Any], verdict: Verdict | None = None) -> dict[str, Any]:
        verdict = verdict or self.evaluate(facts)
        return {
            "facts": dict(facts),
            "eligibility": [
                {"name": e["name"], "held": held}
                for e, held in zip(self.eligibility, verdict.held, strict=True)
            ],
            "terms": [
                {
                    "name": w["name"],
                    "value": value,
                    "weight": w["weight"],
                    "contribution": round(value * float(w["weight"]), 6),
                }
                for w, value in zip(self.weights, verdict.values, strict=True)
            ],
            "score": round(verdict.score, 6),
        }


def _number(value: Any) -> float:
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, int | float) and math.isfinite(value):
        return float(value)
    return 0.0


#: Version 1 for a new community: experts copy and change it.
DEFAULT_ELIGIBILITY: list[dict[str, Any]] = [
    {
        "name": "close_enough",
        "description": gettext_noop(
            "Same neighbourhood, or within both people's maximum distance."
        ),
        "rule": {"or": [{"var": "same_neighbourhood"}, {"var": "within_reach"}]},
    },
    {
        "name": "never_declined",
        "description": gettext_noop("Neither declined the other before."),
        "rule": {"!": [{"var": "declined_before"}]},
    },
    {
        "name": "not_introduced_before",
        "description": gettext_noop("They have not been introduced to each other yet."),
        "rule": {"!": [{"var": "introduced_before"}]},
    },
    {
        "name": "can_be_called",
        "description": gettext_noop("At least an hour a week when both can be called."),
        "rule": {">=": [{"var": "window_overlap_minutes"}, 60]},
    },
    {
        "name": "something_in_common",
        "description": gettext_noop("A shared activity, or help one offers that the other needs."),
        "rule": {
            "or": [
                {">": [{"var": "shared_activities"}, 0]},
                {"var": "one_offers_what_other_needs"},
            ]
        },
    },
]

DEFAULT_WEIGHTS: list[dict[str, Any]] = [
    {
        "name": "shared_interests",
        "description": gettext_noop("Each shared interest."),
        "rule": {"min": [{"var": "shared_interests"}, 5]},
        "weight": 10,
    },
    {
        "name": "same_language",
        "description": gettext_noop("They speak the same language."),
        "rule": {"if": [{"var": "language_match"}, 1, 0]},
        "weight": 30,
    },
    {
        "name": "nearby",
        "description": gettext_noop("Closer is better: up to 20 points, minus one per 100 m."),
        "rule": {
            "if": [
                {"==": [{"var": "distance_m"}, None]},
                {"if": [{"var": "same_neighbourhood"}, 10, 0]},
                {"max": [0, {"-": [20, {"/": [{"var": "distance_m"}, 100]}]}]},
            ]
        },
        "weight": 1,
    },
    {
        "name": "same_neighbourhood",
        "description": gettext_noop("They live in the same neighbourhood."),
        "rule": {"if": [{"var": "same_neighbourhood"}, 1, 0]},
        "weight": 5,
    },
    {
        "name": "call_time",
        "description": gettext_noop("Hours a week both can be called (at most 10)."),
        "rule": {"min": [{"/": [{"var": "window_overlap_minutes"}, 60]}, 10]},
        "weight": 1,
    },
    {
        "name": "shared_activities",
        "description": gettext_noop("Each activity both want."),
        "rule": {"var": "shared_activities"},
        "weight": 5,
    },
    {
        "name": "help_fits",
        "description": gettext_noop("One offers what the other needs."),
        "rule": {"if": [{"var": "one_offers_what_other_needs"}, 1, 0]},
        "weight": 15,
    },
    {
        "name": "both_social",
        "description": gettext_noop("Both look for social contact."),
        "rule": {"if": [{"var": "both_social"}, 1, 0]},
        "weight": 5,
    },
]

_MON_FRI_MORNING = [{"days": [1, 2, 3, 4, 5], "from": "09:00", "to": "12:00"}]
_NEIGHBOUR_A = {
    "language": "nl",
    "call_windows": _MON_FRI_MORNING,
    "interests": ["gardening", "cards", "history"],
    "activities": ["coffee", "walk"],
    "max_distance_m": 1000,
    "wish": "social",
    "neighbourhood": "rabot",
    "lat": 51.0600,
    "lon": 3.7100,
}
_NEIGHBOUR_B = {
    **_NEIGHBOUR_A,
    "interests": ["gardening", "cards", "music"],
    "activities": ["coffee"],
    "lat": 51.0630,
}

DEFAULT_TEST_CASES: list[dict[str, Any]] = [
    {
        "name": "close_neighbours_with_shared_interests",
        "a": _NEIGHBOUR_A,
        "b": _NEIGHBOUR_B,
        "eligible": True,
        "score_min": 80,
        "score_max": 120,
    },
    {
        "name": "declined_before_never_again",
        "a": _NEIGHBOUR_A,
        "b": _NEIGHBOUR_B,
        "history": {"declined_before": True},
        "eligible": False,
    },
    {
        "name": "no_common_call_time",
        "a": _NEIGHBOUR_A,
        "b": {**_NEIGHBOUR_B, "call_windows": [{"days": [6, 7], "from": "14:00", "to": "17:00"}]},
        "eligible": False,
    },
    {
        "name": "too_far_in_another_neighbourhood",
        "a": _NEIGHBOUR_A,
        "b": {**_NEIGHBOUR_B, "neighbourhood": "brugse-poort", "lat": 51.0800},
        "eligible": False,
    },
]


# The default rules and test cases are stored in English (data that experts then edit); pages
# show their names and descriptions in the reader's language. A name or text someone typed is
# shown as typed. Descriptions are marked with gettext_noop above, so gettext finds them.
RULE_LABELS = {
    "close_enough": gettext_lazy("Close enough"),
    "never_declined": gettext_lazy("Never declined"),
    "not_introduced_before": gettext_lazy("Not introduced before"),
    "can_be_called": gettext_lazy("Can be called"),
    "something_in_common": gettext_lazy("Something in common"),
    "shared_interests": gettext_lazy("Shared interests"),
    "same_language": gettext_lazy("Same language"),
    "nearby": gettext_lazy("Nearby"),
    "same_neighbourhood": gettext_lazy("Same neighbourhood"),
    "call_time": gettext_lazy("Call time"),
    "shared_activities": gettext_lazy("Shared activities"),
    "help_fits": gettext_lazy("Help that fits"),
    "both_social": gettext_lazy("Both social"),
    "close_neighbours_with_shared_interests": gettext_lazy(
        "Close neighbours with shared interests"
    ),
    "declined_before_never_again": gettext_lazy("Declined before: never again"),
    "no_common_call_time": gettext_lazy("No common call time"),
    "too_far_in_another_neighbourhood": gettext_lazy("Too far, in another neighbourhood"),
}
DEFAULT_NOTES = gettext_noop("Default rules")


def shown_name(name: str) -> str:
    """A rule's or test case's name as a reader sees it: a default's label in their language."""
    label = RULE_LABELS.get(name)
    return str(label) if label is not None else name


def shown_text(text: str) -> str:
    """A default description or note in the reader's language; typed text as it is."""
    return _(text) if text else text
