"""Demo data loaders. Each app registers one; ``buurtkit demo`` runs them in order, once."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from buurtkit.core.registry import Registry


@dataclass(frozen=True)
class DemoLoader:
    name: str
    order: int
    load: Callable[[Any], list[tuple[str, str, str]]]  # community -> [(role, username, password)]


DEMO_LOADERS: Registry[str, DemoLoader] = Registry("demo loaders")

DEMO_PASSWORD = "buurtkit-demo"  # noqa: S105 - every demo login's password, printed on purpose

#: (role, user name) of the demo's logins, as ``buurtkit demo`` prints them when the demo
#: neighbourhood is already there; the loader that makes a login registers it.
DEMO_LOGINS: list[tuple[str, str]] = []


def register_demo_logins(logins: list[tuple[str, str]]) -> None:
    DEMO_LOGINS.extend(login for login in logins if login not in DEMO_LOGINS)


def register_demo_loader(
    name: str, order: int, load: Callable[[Any], list[tuple[str, str, str]]]
) -> None:
    """Add an app's loader; the same loader twice is fine, another under its name is an error."""
    DEMO_LOADERS.register_once(name, DemoLoader(name, order, load))


def demo_loaders() -> list[DemoLoader]:
    """The registered loaders in the order they run."""
    return sorted(DEMO_LOADERS.values(), key=lambda loader: (loader.order, loader.name))


# The demo's recurring work (Buurbel calls …) is the scheduler's (``core.scheduler``): the
# demo runs it with each job's ``demo_every`` schedule (``start_background`` in the demo command).
