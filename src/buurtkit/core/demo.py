"""Demo data loaders. Each app registers one; ``buurtkit demo`` runs them in order, once."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class DemoLoader:
    name: str
    order: int
    load: Callable[[Any], list[tuple[str, str, str]]]  # community -> [(role, username, password)]


DEMO_LOADERS: list[DemoLoader] = []


def register_demo_loader(
    name: str, order: int, load: Callable[[Any], list[tuple[str, str, str]]]
) -> None:
    if any(loader.name == name for loader in DEMO_LOADERS):
        return
    DEMO_LOADERS.append(DemoLoader(name, order, load))
    DEMO_LOADERS.sort(key=lambda loader: loader.order)


# The demo's recurring work (Buurbel calls …) is the scheduler's (``core.scheduler``): the
# demo runs it with each job's ``demo_every`` schedule (``start_background`` in the demo command).
