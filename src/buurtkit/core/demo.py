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


@dataclass(frozen=True)
class DemoJob:
    """Work a production install runs from cron or a timer, run by ``buurtkit demo`` itself."""

    name: str
    every_seconds: int
    run: Callable[[], object]


DEMO_JOBS: list[DemoJob] = []


def register_demo_job(name: str, every_seconds: int, run: Callable[[], object]) -> None:
    if any(job.name == name for job in DEMO_JOBS):
        return
    DEMO_JOBS.append(DemoJob(name, every_seconds, run))
