"""The ledger app has no import circle (issue 19): its modules import downwards only.

Services name their background tasks by dotted path (``core.tasks_util``) instead of importing
``tasks.py``, and the rules that both services and selectors need live in ``ledger.rules``.
Checked on the module graph that import-linter's ``grimp`` builds, module by module and with
the ``ledger.services`` package taken as one node.
"""

from __future__ import annotations

import grimp

APP = "buurtkit.ledger"


def _cycles(graph: grimp.ImportGraph, *, collapse: bool) -> list[set[str]]:
    modules = {m for m in graph.modules if m == APP or m.startswith(APP + ".")}

    def node(module: str) -> str:
        if collapse and module.startswith(APP + ".services."):
            return APP + ".services"
        return module

    edges: dict[str, set[str]] = {}
    for module in modules:
        for imported in graph.find_modules_directly_imported_by(module):
            if imported in modules and node(module) != node(imported):
                edges.setdefault(node(module), set()).add(node(imported))

    def reachable(start: str) -> set[str]:
        seen: set[str] = set()
        todo = [start]
        while todo:
            for nxt in edges.get(todo.pop(), ()):
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        return seen

    reach = {n: reachable(n) for n in {node(m) for m in modules}}
    circles = {
        frozenset({n} | {m for m in reach[n] if n in reach[m]}) for n in reach if n in reach[n]
    }
    return [set(c) for c in circles]


def test_the_ledger_app_has_no_import_circle() -> None:
    graph = grimp.build_graph("buurtkit", cache_dir=None)
    assert _cycles(graph, collapse=False) == []
    assert _cycles(graph, collapse=True) == []
    # the services use the selectors and the rules, never the other way round
    assert not graph.direct_import_exists(
        importer=f"{APP}.selectors", imported=f"{APP}.services", as_packages=True
    )
    assert not graph.direct_import_exists(
        importer=f"{APP}.rules", imported=f"{APP}.services", as_packages=True
    )
