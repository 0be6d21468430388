from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.filter
def get_item(mapping: dict[Any, Any], key: Any) -> Any:
    """``labels|get_item:post.category``: a label by its value."""
    return mapping.get(key, key) if hasattr(mapping, "get") else key
