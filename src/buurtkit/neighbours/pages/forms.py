"""The Buurbel rule editor's rows: built from a version, read back from the posted form.

The editor is plain HTML: a row per condition, per scoring term and per test case, every field
named ``cond-<i>-…``, ``term-<i>-…``, ``case-<i>-…``. Adding and removing rows posts the form
back, so nothing typed is lost. Errors are found per field here (with the same checks the
services make), so each shows next to what was typed; the service checks the whole again.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.http import QueryDict
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from buurtkit.core.errors import ServiceError
from buurtkit.neighbours import rules, services
from buurtkit.neighbours.facts import FACTS
from buurtkit.neighbours.models import Activity, RuleVersion, Wish
from buurtkit.neighbours.pages.jsonlogic_text import pretty_json, to_text

MAX_ROWS = rules.MAX_RULES
MAX_CASES = 50

#: The example profile's fields: (key, label, kind, help).
PROFILE_FIELDS: list[tuple[str, Any, str, Any]] = [
    ("neighbourhood", gettext_lazy("Neighbourhood"), "text", gettext_lazy("A code, e.g. rabot.")),
    ("lat", gettext_lazy("Latitude"), "number", gettext_lazy("e.g. 51.060; empty: unknown.")),
    ("lon", gettext_lazy("Longitude"), "number", gettext_lazy("e.g. 3.710; empty: unknown.")),
    ("max_distance_m", gettext_lazy("How far they can go (metres)"), "integer", ""),
    ("language", gettext_lazy("Language"), "language", ""),
    ("wish", gettext_lazy("Looking for"), "wish", ""),
    ("activities", gettext_lazy("Activities"), "activities", ""),
    (
        "interests",
        gettext_lazy("Interests"),
        "list",
        gettext_lazy("Separated by commas, e.g. gardening, cards."),
    ),
    ("can_offer", gettext_lazy("Can offer"), "list", gettext_lazy("Separated by commas.")),
    ("needs", gettext_lazy("Would like help with"), "list", gettext_lazy("Separated by commas.")),
    (
        "call_windows",
        gettext_lazy("When we may call"),
        "windows",
        gettext_lazy(
            "One line per time: days 1 (Monday) to 7 (Sunday), then the hours. "
            "For example: 1-5 09:00-12:00"
        ),
    ),
]

WINDOW_RE = re.compile(r"^\s*([1-7](?:\s*[-,]\s*[1-7])*)\s+(\d\d:\d\d)\s*-\s*(\d\d:\d\d)\s*$")


@dataclass
class Row:
    """One condition or scoring term as typed, with its errors (field -> message)."""

    name: str = ""
    description: str = ""
    rule_text: str = ""
    weight: str = ""
    errors: dict[str, str] = field(default_factory=dict)
    parsed_rule: Any = None
    parsed_weight: int | float | None = None

    @property
    def readable(self) -> str:
        return to_text(self.parsed_rule) if self.parsed_rule is not None else ""


@dataclass
class Case:
    """One test case as typed: two example profiles, history, what is expected."""

    name: str = ""
    eligible: str = ""  # "yes" / "no" / "" (not chosen)
    score_min: str = ""
    score_max: str = ""
    introduced_before: bool = False
    declined_before: bool = False
    a: dict[str, Any] = field(default_factory=dict)
    b: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    clean: dict[str, Any] | None = None

    def sides(self, index: int) -> list[dict[str, Any]]:
        """The two profiles' fields, ready for the template."""
        out = []
        for side, label in (("a", _("First neighbour")), ("b", _("Second neighbour"))):
            values = self.a if side == "a" else self.b
            fields = []
            for key, flabel, kind, help_text in PROFILE_FIELDS:
                name = f"case-{index}-{side}-{key}"
                fields.append(
                    {
                        "name": name,
                        "key": key,
                        "label": flabel,
                        "kind": kind,
                        "help": help_text,
                        "value": values.get(key, ""),
                        "error": self.errors.get(f"{side}-{key}", ""),
                    }
                )
            out.append({"side": side, "label": label, "fields": fields})
        return out


@dataclass
class Editor:
    conditions: list[Row]
    terms: list[Row]
    cases: list[Case]
    notes: str = ""
    errors: dict[str, str] = field(default_factory=dict)  # section -> message

    @property
    def has_errors(self) -> bool:
        return bool(
            self.errors
            or any(r.errors for r in self.conditions + self.terms)
            or any(c.errors for c in self.cases)
        )

    def clear_errors(self) -> None:
        """Rows were only added or removed: say nothing yet about what is half typed."""
        self.errors = {}
        for row in [*self.conditions, *self.terms]:
            row.errors = {}
        for case in self.cases:
            case.errors = {}

    def values(self) -> dict[str, Any]:
        """What the service takes (only meaningful without errors)."""
        return {
            "eligibility": [
                {"name": r.name, "description": r.description, "rule": r.parsed_rule}
                for r in self.conditions
            ],
            "weights": [
                {
                    "name": r.name,
                    "description": r.description,
                    "rule": r.parsed_rule,
                    "weight": r.parsed_weight,
                }
                for r in self.terms
            ],
            "test_cases": [c.clean for c in self.cases],
            "notes": self.notes,
        }

    def place(self, exc: ServiceError) -> None:
        """Put a service's error next to the part it is about."""
        placed = False
        for key, message in exc.fields.items():
            section = str(key).split(".")[0]
            if section in ("eligibility", "weights", "test_cases", "notes"):
                self.errors[section] = str(message)
                placed = True
        if not placed:
            self.errors["all"] = str(exc.detail)


# --- from a saved version ----------------------------------------------------------------------


def _number_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def windows_text(windows: list[dict[str, Any]]) -> str:
    lines = []
    for w in windows or []:
        days = sorted(w.get("days") or [])
        if days and days == list(range(days[0], days[-1] + 1)) and len(days) > 1:
            day_text = f"{days[0]}-{days[-1]}"
        else:
            day_text = ",".join(str(d) for d in days)
        lines.append(f"{day_text} {w.get('from')}-{w.get('to')}")
    return "\n".join(lines)


def _profile_text(profile: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, _label, kind, _help in PROFILE_FIELDS:
        value = profile.get(key)
        if kind == "list":
            out[key] = ", ".join(value or [])
        elif kind == "activities":
            out[key] = list(value or [])
        elif kind == "windows":
            out[key] = windows_text(value or [])
        else:
            out[key] = _number_text(value) if kind in ("number", "integer") else (value or "")
    return out


def editor_from_version(version: RuleVersion) -> Editor:
    def row(item: dict[str, Any], term: bool) -> Row:
        return Row(
            name=item.get("name", ""),
            description=item.get("description", ""),
            rule_text=pretty_json(item.get("rule")),
            weight=_number_text(item.get("weight", 1)) if term else "",
            parsed_rule=item.get("rule"),
        )

    cases = []
    for c in version.test_cases:
        history = c.get("history") or {}
        cases.append(
            Case(
                name=c.get("name", ""),
                eligible="yes" if c.get("eligible") else "no",
                score_min=_number_text(c.get("score_min")),
                score_max=_number_text(c.get("score_max")),
                introduced_before=bool(history.get("introduced_before")),
                declined_before=bool(history.get("declined_before")),
                a=_profile_text(c.get("a") or {}),
                b=_profile_text(c.get("b") or {}),
            )
        )
    return Editor(
        conditions=[row(e, False) for e in version.eligibility],
        terms=[row(w, True) for w in version.weights],
        cases=cases,
        notes=version.notes,
    )


def blank_case() -> Case:
    """A new test case starts from two neighbours who would normally match."""
    a = _profile_text(rules.DEFAULT_TEST_CASES[0]["a"])
    b = _profile_text(rules.DEFAULT_TEST_CASES[0]["b"])
    return Case(a=a, b=b)


# --- from the posted form ----------------------------------------------------------------------


def _indices(post: QueryDict, prefix: str) -> list[int]:
    found = set()
    for key in post:
        m = re.fullmatch(rf"{prefix}-(\d+)-name", key)
        if m:
            found.add(int(m.group(1)))
    return sorted(found)[:MAX_CASES]


def _parse_number(text: str, *, integer: bool = False) -> tuple[int | float | None, str]:
    text = text.strip().replace(",", ".")
    if not text:
        return None, ""
    try:
        value: int | float = int(text) if integer else float(text)
    except ValueError:
        return None, _("Give a whole number.") if integer else _("Give a number, e.g. 12.5.")
    if isinstance(value, float) and not math.isfinite(value):
        return None, _("Give a number, e.g. 12.5.")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return value, ""


def parse_windows(text: str) -> tuple[list[dict[str, Any]], str]:
    windows = []
    for line in text.splitlines():
        if not line.strip():
            continue
        m = WINDOW_RE.match(line)
        if not m:
            return [], _("Write each time as days and hours, for example: 1-5 09:00-12:00")
        days: set[int] = set()
        for part in m.group(1).replace(" ", "").split(","):
            if "-" in part:
                low, high = (int(x) for x in part.split("-"))
                days.update(range(min(low, high), max(low, high) + 1))
            else:
                days.add(int(part))
        windows.append({"days": sorted(days), "from": m.group(2), "to": m.group(3)})
    return windows, ""


def _row_from_post(post: QueryDict, prefix: str, i: int, term: bool) -> Row:
    row = Row(
        name=post.get(f"{prefix}-{i}-name", "").strip(),
        description=post.get(f"{prefix}-{i}-description", "").strip()[:300],
        rule_text=post.get(f"{prefix}-{i}-rule", ""),
        weight=post.get(f"{prefix}-{i}-weight", "").strip() if term else "",
    )
    # The name on its own (with a rule that is always fine), then the rule.
    try:
        rules.clean_rules([{"name": row.name, "rule": True}], [])
    except ServiceError as exc:
        row.errors["name"] = str(exc.detail)
    if not row.rule_text.strip():
        row.errors["rule"] = _("Write the rule (JsonLogic).")
    else:
        try:
            row.parsed_rule = json.loads(row.rule_text)
        except ValueError as exc:
            row.errors["rule"] = _("This is not valid JSON: %(problem)s") % {"problem": exc}
        else:
            name = row.name if "name" not in row.errors else "rule"
            try:
                rules.clean_rules([{"name": name, "rule": row.parsed_rule}], [])
            except ServiceError as exc:
                row.errors["rule"] = str(exc.detail)
    if term:
        weight, problem = _parse_number(row.weight)
        if problem or weight is None:
            row.errors["weight"] = problem or _("Give a weight (a number).")
        row.parsed_weight = weight
    return row


def _case_from_post(post: QueryDict, i: int) -> Case:
    p = f"case-{i}-"
    case = Case(
        name=post.get(p + "name", "").strip()[:80],
        eligible=post.get(p + "eligible", ""),
        score_min=post.get(p + "score_min", "").strip(),
        score_max=post.get(p + "score_max", "").strip(),
        introduced_before=bool(post.get(p + "introduced_before")),
        declined_before=bool(post.get(p + "declined_before")),
    )
    if not case.name:
        case.errors["name"] = _("Give the test case a name.")
    if case.eligible not in ("yes", "no"):
        case.errors["eligible"] = _("Say whether these two should be matched.")
    bounds = {}
    for bound in ("score_min", "score_max"):
        value, problem = _parse_number(getattr(case, bound))
        if problem:
            case.errors[bound] = problem
        bounds[bound] = value
    profiles = {}
    for side in ("a", "b"):
        typed: dict[str, Any] = {}
        values: dict[str, Any] = {}
        for key, _label, kind, _help in PROFILE_FIELDS:
            name = f"{p}{side}-{key}"
            if kind == "activities":
                typed[key] = post.getlist(name)
                values[key] = typed[key]
                continue
            text = post.get(name, "")
            typed[key] = text
            if kind in ("number", "integer"):
                number, problem = _parse_number(text, integer=kind == "integer")
                if problem:
                    case.errors[f"{side}-{key}"] = problem
                if number is not None:
                    values[key] = number
            elif kind == "list":
                values[key] = [part.strip() for part in text.split(",") if part.strip()]
            elif kind == "windows":
                windows, problem = parse_windows(text)
                if problem:
                    case.errors[f"{side}-{key}"] = problem
                values[key] = windows
            else:
                values[key] = text.strip()
        setattr(case, side, typed)
        if not any(k.startswith(f"{side}-") for k in case.errors):
            try:
                profiles[side] = services.clean_profile(values, field_prefix=f"{side}-")
            except ServiceError as exc:
                for key, message in exc.fields.items():
                    case.errors[str(key)] = str(message)
    if not case.errors:
        case.clean = {
            "name": case.name,
            "a": profiles["a"],
            "b": profiles["b"],
            "history": {
                "introduced_before": case.introduced_before,
                "declined_before": case.declined_before,
            },
            "eligible": case.eligible == "yes",
            **{k: v for k, v in bounds.items() if v is not None},
        }
    return case


def editor_from_post(post: QueryDict, op: str) -> Editor:
    """Read the posted rows; ``op`` adds or removes one (``add_cond``, ``remove_term-2``, …)."""
    conditions = [
        _row_from_post(post, "cond", i, False)
        for i in _indices(post, "cond")
        if op != f"remove_cond-{i}"
    ]
    terms = [
        _row_from_post(post, "term", i, True)
        for i in _indices(post, "term")
        if op != f"remove_term-{i}"
    ]
    cases = [_case_from_post(post, i) for i in _indices(post, "case") if op != f"remove_case-{i}"]
    seen: set[str] = set()
    for row in conditions + terms:
        if row.name and row.name.lower() in seen and "name" not in row.errors:
            row.errors["name"] = _("Another rule already has this name.")
        seen.add(row.name.lower())
    names: set[str] = set()
    for case in cases:
        if case.name and case.name in names:
            case.errors["name"] = _("Another test case already has this name.")
            case.clean = None
        names.add(case.name)
    if op == "add_cond" and len(conditions) + len(terms) < MAX_ROWS:
        conditions.append(Row(errors={}))
    if op == "add_term" and len(conditions) + len(terms) < MAX_ROWS:
        terms.append(Row(weight="1"))
    if op == "add_case" and len(cases) < MAX_CASES:
        cases.append(blank_case())
    return Editor(
        conditions=conditions,
        terms=terms,
        cases=cases,
        notes=post.get("notes", "")[:2000],
    )


def choices() -> dict[str, Any]:
    """Choices the editor's selects and check boxes offer."""
    return {
        "profile_languages": settings.LANGUAGES,
        "profile_wishes": Wish.choices,
        "profile_activities": Activity.choices,
        "facts": sorted(FACTS.items()),
    }
