"""Pure checks shared by Buurbel's services and selectors: a participant's matching profile,
a rule version's test cases and running them. No database writes, no permissions.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from buurtkit.core.errors import ValidationFailed
from buurtkit.neighbours import facts as facts_mod
from buurtkit.neighbours import rules
from buurtkit.neighbours.models import Activity, RuleVersion, Wish

MAX_LIST = 30


def _invalid(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, fields={field: message})


def _keys(value: Any, field: str, allowed: set[str] | None = None) -> list[str]:
    if not isinstance(value, list | tuple) or len(value) > MAX_LIST:
        raise _invalid(field, _("Give a list of at most %(n)d items.") % {"n": MAX_LIST})
    out: list[str] = []
    for item in value:
        key = str(item).strip().lower()[:40]
        if not key or (allowed is not None and key not in allowed):
            raise _invalid(field, _("“%(item)s” is not one of the choices.") % {"item": item})
        if key not in out:
            out.append(key)
    return out


def clean_profile(values: Mapping[str, Any], *, field_prefix: str = "") -> dict[str, Any]:
    """Check a participant's matching profile (also used for a test case's example profile)."""
    p = field_prefix
    language = str(values.get("language") or "nl")
    if language not in {code for code, _name in settings.LANGUAGES}:
        raise _invalid(p + "language", _("Choose one of the languages."))
    max_distance = values.get("max_distance_m", 1000)
    if (
        isinstance(max_distance, bool)
        or not isinstance(max_distance, int)
        or not 0 <= max_distance <= 50_000
    ):
        raise _invalid(p + "max_distance_m", _("Give a distance between 0 and 50,000 metres."))
    wish = values.get("wish") or Wish.SOCIAL
    if wish not in Wish.values:
        raise _invalid(p + "wish", _("Choose social contact, practical help or both."))
    lat, lon = values.get("lat"), values.get("lon")
    if (lat is None) != (lon is None) or (
        lat is not None
        and (
            not isinstance(lat, int | float)
            or not isinstance(lon, int | float)
            or not math.isfinite(lat)
            or not math.isfinite(lon)
            or not -90 <= lat <= 90
            or not -180 <= lon <= 180
        )
    ):
        raise _invalid(p + "lat", _("Give both latitude and longitude, or neither."))
    lat, lon = facts_mod.round_location(lat, lon)
    return {
        "language": language,
        "call_windows": facts_mod.clean_windows(
            values.get("call_windows") or [], field=p + "call_windows"
        ),
        "interests": _keys(values.get("interests") or [], p + "interests"),
        "activities": _keys(values.get("activities") or [], p + "activities", set(Activity.values)),
        "max_distance_m": max_distance,
        "wish": wish,
        "can_offer": _keys(values.get("can_offer") or [], p + "can_offer"),
        "needs": _keys(values.get("needs") or [], p + "needs"),
        "neighbourhood": str(values.get("neighbourhood") or "").strip().lower()[:40],
        "lat": lat,
        "lon": lon,
    }


def clean_test_cases(cases: Any) -> list[dict[str, Any]]:
    if not isinstance(cases, list) or len(cases) > 50:
        raise _invalid("test_cases", _("Give at most 50 test cases."))
    out: list[dict[str, Any]] = []
    names: set[str] = set()
    for case in cases:
        if not isinstance(case, Mapping):
            raise _invalid("test_cases", _("Every test case needs a name and two profiles."))
        name = str(case.get("name") or "").strip()[:80]
        if not name or name in names:
            raise _invalid("test_cases", _("Give every test case its own name."))
        names.add(name)
        expected = case.get("eligible")
        if not isinstance(expected, bool):
            raise _invalid("test_cases", _("Say whether “%(name)s” should match.") % {"name": name})
        clean: dict[str, Any] = {
            "name": name,
            "a": clean_profile(case.get("a") or {}, field_prefix="test_cases."),
            "b": clean_profile(case.get("b") or {}, field_prefix="test_cases."),
            "history": {
                "introduced_before": bool((case.get("history") or {}).get("introduced_before")),
                "declined_before": bool((case.get("history") or {}).get("declined_before")),
            },
            "eligible": expected,
        }
        for bound in ("score_min", "score_max"):
            value = case.get(bound)
            if value is not None:
                if isinstance(value, bool) or not isinstance(value, int | float):
                    raise _invalid("test_cases", _("Score bounds must be numbers."))
                clean[bound] = value
        out.append(clean)
    return out


def rule_version_results(version: RuleVersion) -> list[dict[str, Any]]:
    """Run a version's test cases: one result per case with ``passed`` and what was found."""
    compiled = rules.CompiledRules(version.eligibility, version.weights)
    results = []
    for case in version.test_cases:
        a = facts_mod.Profile.from_values(case["a"], pk=1)
        b = facts_mod.Profile.from_values(case["b"], pk=2)
        facts = facts_mod.pair_facts(a, b, **case.get("history", {}))
        verdict = compiled.evaluate(facts)
        problems = []
        if verdict.eligible != case["eligible"]:
            problems.append("eligible" if case["eligible"] else "not eligible")
        if case["eligible"] and verdict.eligible:
            low, high = case.get("score_min"), case.get("score_max")
            if (low is not None and verdict.score < low) or (
                high is not None and verdict.score > high
            ):
                problems.append(f"score in [{low}, {high}]")
        results.append(
            {
                "name": case["name"],
                "passed": not problems,
                "expected": problems,
                "eligible": verdict.eligible,
                "score": round(verdict.score, 3),
                "explanation": compiled.explain(facts, verdict),
            }
        )
    return results
