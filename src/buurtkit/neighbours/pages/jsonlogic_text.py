"""JsonLogic as readable text for the people who edit Buurbel's matching rules.

``{"<=": [{"var": "distance_m"}, 800]}`` becomes ``distance_m ≤ 800``;
``{"if": [{"var": "language_match"}, 1, 0]}`` becomes ``if language_match then 1 else 0``.
Operators it does not know are written as ``name(argument, …)``, so nothing is hidden.
"""

from __future__ import annotations

import json
from typing import Any

from django.utils.translation import gettext as _

COMPARE = {
    "==": "=",
    "===": "=",
    "!=": "≠",
    "!==": "≠",
    "<": "<",
    "<=": "≤",
    ">": ">",
    ">=": "≥",
}
ARITHMETIC = {"+": "+", "-": "−", "*": "×", "/": "÷", "%": "mod"}


def _args(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _atom(value: Any) -> str:
    if value is None:
        return _("empty")
    if value is True:
        return _("yes")
    if value is False:
        return _("no")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str):
        return f"“{value}”"
    return json.dumps(value, ensure_ascii=False)


def _wrap(text: str, inner: bool) -> str:
    return f"({text})" if inner else text


def to_text(expr: Any, inner: bool = False) -> str:
    """One line of text for a JsonLogic expression (``inner``: it is part of a larger one)."""
    if isinstance(expr, list):
        return "[" + ", ".join(to_text(e) for e in expr) + "]"
    if not isinstance(expr, dict) or len(expr) != 1:
        return _atom(expr)
    ((op, raw),) = expr.items()
    args = _args(raw)
    if op == "var":
        name = args[0] if args else ""
        return str(name) if name not in (None, "") else _("(the data)")
    if op in COMPARE and len(args) == 2:
        text = f"{to_text(args[0], True)} {COMPARE[op]} {to_text(args[1], True)}"
        return _wrap(text, inner)
    if op in ("<", "<=") and len(args) == 3:
        sign = COMPARE[op]
        parts = [to_text(a, True) for a in args]
        return _wrap(f"{parts[0]} {sign} {parts[1]} {sign} {parts[2]}", inner)
    if op == "!":
        return _("not %(x)s") % {"x": to_text(args[0] if args else None, True)}
    if op == "!!":
        return to_text(args[0] if args else None, inner)
    if op in ("and", "or"):
        word = _("and") if op == "and" else _("or")
        return _wrap(f" {word} ".join(to_text(a, True) for a in args), inner)
    if op == "if" and args:
        return _wrap(_if_text(args), inner)
    if op in ARITHMETIC and args:
        if op == "-" and len(args) == 1:
            return f"−{to_text(args[0], True)}"
        sign = ARITHMETIC[op]
        return _wrap(f" {sign} ".join(to_text(a, True) for a in args), inner)
    if op in ("min", "max"):
        word = _("smallest of") if op == "min" else _("largest of")
        return f"{word} ({', '.join(to_text(a) for a in args)})"
    if op == "in" and len(args) == 2:
        return _wrap(
            _("%(x)s is in %(y)s") % {"x": to_text(args[0], True), "y": to_text(args[1], True)},
            inner,
        )
    return f"{op}({', '.join(to_text(a) for a in args)})"


def _if_text(args: list[Any]) -> str:
    """``if a then b else if c then d else e``: JsonLogic's chain of conditions and results."""
    parts: list[str] = []
    rest = list(args)
    while len(rest) >= 2:
        condition, result, rest = rest[0], rest[1], rest[2:]
        parts.append(
            _("if %(condition)s then %(result)s")
            % {"condition": to_text(condition, True), "result": to_text(result, True)}
        )
    text = (" " + _("else") + " ").join(parts)
    if rest:
        text += " " + _("else") + " " + to_text(rest[0], True)
    return text


def pretty_json(expr: Any) -> str:
    return json.dumps(expr, indent=2, ensure_ascii=False)
