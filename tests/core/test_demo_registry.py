"""Demo loaders live in a registry that refuses a second, different loader under one name."""

from __future__ import annotations

import pytest

from buurtkit.core.demo import DEMO_LOADERS, demo_loaders, register_demo_loader
from buurtkit.core.registry import DuplicateRegistration


def _load(community: object) -> list[tuple[str, str, str]]:
    return []


def _other(community: object) -> list[tuple[str, str, str]]:
    return []


def test_a_second_loader_under_a_taken_name_is_refused_and_order_is_kept() -> None:
    with DEMO_LOADERS.override("zz-test", DEMO_LOADERS.get("people")):  # restores afterwards
        del DEMO_LOADERS._entries["zz-test"]
        register_demo_loader("zz-test", 1, _load)
        register_demo_loader("zz-test", 1, _load)  # the same loader again (ready() twice): fine
        with pytest.raises(DuplicateRegistration):
            register_demo_loader("zz-test", 1, _other)
        orders = [loader.order for loader in demo_loaders()]
        assert orders == sorted(orders)
        assert demo_loaders()[0].name == "zz-test"
