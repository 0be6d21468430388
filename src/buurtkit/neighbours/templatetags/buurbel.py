"""Buurbel's template filters: the default rules' names and texts in the reader's language."""

from __future__ import annotations

from django import template

from buurtkit.neighbours import rules

register = template.Library()


@register.filter
def rule_name(name: str) -> str:
    return rules.shown_name(str(name or ""))


@register.filter
def rule_text(text: str) -> str:
    return rules.shown_text(str(text or ""))
