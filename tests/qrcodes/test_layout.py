"""The QR app's modules import each other without a circle (issue 19).

``services`` counts as one module (its submodules collapsed), so a circle through any of them
(services → tasks → services, say) is caught too. Helpers live below the services that use them,
and services name their background tasks by dotted path instead of importing ``tasks``.
"""

from __future__ import annotations

import grimp

APP = "buurtkit.qrcodes"
SERVICES = f"{APP}.services"


def _node(module: str) -> str:
    return SERVICES if module.startswith(SERVICES + ".") else module


def _circles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def test_the_qrcodes_app_has_no_import_circle() -> None:
    graph = grimp.build_graph("buurtkit", cache_dir=None)
    modules = graph.find_descendants(APP) | {APP}
    raw: dict[str, set[str]] = {}
    collapsed: dict[str, set[str]] = {}
    for module in modules:
        for imported in graph.find_modules_directly_imported_by(module):
            if imported in modules and imported != module:
                raw.setdefault(module, set()).add(imported)
                if _node(module) != _node(imported):
                    collapsed.setdefault(_node(module), set()).add(_node(imported))
    assert _circles(raw) == []
    assert _circles(collapsed) == []
    assert f"{APP}.tasks" not in collapsed.get(SERVICES, set())
