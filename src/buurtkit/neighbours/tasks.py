from __future__ import annotations

from django_tasks import task

from buurtkit.neighbours import introductions


@task()
def introductions_tick() -> None:
    """Place the Buurbel calls that are due (inside the callees' windows)."""
    introductions.tick()
