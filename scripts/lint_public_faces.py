"""An import-linter contract: apps use each other only through their public faces.

An app's public face is its ``services``, ``selectors`` and ``models`` (packages included)
plus the interface and registry modules it declares in ``pyproject.toml``
(``public_modules``). Any other module of an app is private: only the app itself, and the
modules named in ``allowed_importers`` (``buurtkit.conf``, which puts the apps together),
may import it. import-linter loads this file because ``lint-imports`` runs from the
repository root (see ``contract_types`` in pyproject.toml).
"""

from __future__ import annotations

from dataclasses import dataclass

import grimp
from importlinter import Contract, ContractCheck, fields, output
from importlinter.domain import helpers


@dataclass(frozen=True, order=True)
class Break:
    importer: str
    imported: str
    lines: tuple[int, ...]


class PublicFacesContract(Contract):
    """Configuration options:

    - apps: the app packages whose private modules are protected (wildcards allowed).
    - public_modules: modules other apps may import (wildcards allowed); their submodules too.
    - allowed_importers: modules that may import anything (e.g. the URLconf and API assembly).
    """

    type_name = "public_faces"

    apps = fields.ListField(subfield=fields.ModuleExpressionField())
    public_modules = fields.ListField(subfield=fields.ModuleExpressionField())
    allowed_importers = fields.ListField(subfield=fields.ModuleExpressionField(), required=False)

    def check(self, graph: grimp.ImportGraph, verbose: bool) -> ContractCheck:
        apps = {
            m.name
            for m in helpers.module_expressions_to_modules(graph, self.apps)  # type: ignore[arg-type]
        }
        public = {
            m.name
            for m in helpers.module_expressions_to_modules(graph, self.public_modules)  # type: ignore[arg-type]
        }
        allowed = {
            m.name
            for m in helpers.module_expressions_to_modules(graph, self.allowed_importers or [])  # type: ignore[arg-type]
        }

        def app_of(module: str) -> str | None:
            for app in apps:
                if module == app or module.startswith(app + "."):
                    return app
            return None

        def is_public(module: str) -> bool:
            parts = module.split(".")
            return any(".".join(parts[:n]) in public for n in range(len(parts), 0, -1))

        def is_allowed_importer(module: str) -> bool:
            return any(module == a or module.startswith(a + ".") for a in allowed)

        breaks: set[Break] = set()
        for imported in graph.modules:
            owner = app_of(imported)
            if owner is None or imported == owner or is_public(imported):
                continue
            for importer in graph.find_modules_that_directly_import(imported):
                if app_of(importer) == owner or is_allowed_importer(importer):
                    continue
                details = graph.get_import_details(importer=importer, imported=imported)
                lines = tuple(sorted({d["line_number"] for d in details}))
                breaks.add(Break(importer, imported, lines))
        return ContractCheck(kept=not breaks, metadata={"breaks": sorted(breaks)})

    def render_broken_contract(self, check: ContractCheck) -> None:
        output.print_error("Imports of another app's private modules:", bold=False)
        output.new_line()
        for b in check.metadata["breaks"]:
            output.print_error(
                f"- {b.importer} -> {b.imported} (l.{', '.join(map(str, b.lines))})", bold=False
            )
        output.new_line()
        output.print(
            "Import the app's services, selectors or models instead, or declare the module "
            "as part of its public face (an interface or registry) in pyproject.toml."
        )
