"""One typed registry for every extension point (providers, QR actions, exporters, jobs…).

A plain dict silently lets a second ``register`` overwrite the first; two apps that pick
the same name would then break each other without a word. :class:`Registry` refuses a
duplicate key at start-up instead, names itself in the error, and keeps the order in
which entries were added (which some registries rely on, e.g. demo loaders by order).

    SMS_PROVIDERS: Registry[str, Callable[[], SmsProvider]] = Registry("SMS providers")
    SMS_PROVIDERS.register("file", FileProvider)
    SMS_PROVIDERS["file"]()

Tests that need a temporary entry use :meth:`Registry.override`, which puts the previous
state back afterwards.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Generic, TypeVar

from django.core.exceptions import ImproperlyConfigured

K = TypeVar("K")
V = TypeVar("V")


class DuplicateRegistration(ImproperlyConfigured):
    """A second entry under a key that is already registered."""


class Registry(Generic[K, V]):
    """An ordered mapping filled at start-up that refuses to overwrite an entry."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._entries: dict[K, V] = {}

    def register(self, key: K, value: V) -> V:
        """Add ``value`` under ``key``; a key that is already there is an error."""
        if key in self._entries:
            raise DuplicateRegistration(
                f"{self.name}: {key!r} is already registered ({self._entries[key]!r})."
            )
        self._entries[key] = value
        return value

    def register_once(self, key: K, value: V) -> V:
        """Add ``value`` unless the very same value is already there (an ``AppConfig.ready()``
        that runs twice in tests); another value under the same key is still an error."""
        if key in self._entries and self._entries[key] == value:
            return self._entries[key]
        return self.register(key, value)

    def __getitem__(self, key: K) -> V:
        try:
            return self._entries[key]
        except KeyError:
            raise KeyError(f"{self.name}: nothing is registered as {key!r}.") from None

    def get(self, key: K, default: V | None = None) -> V | None:
        return self._entries.get(key, default)

    def __contains__(self, key: object) -> bool:
        return key in self._entries

    def __iter__(self) -> Iterator[K]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def keys(self) -> list[K]:
        return list(self._entries)

    def values(self) -> list[V]:
        return list(self._entries.values())

    def items(self) -> list[tuple[K, V]]:
        return list(self._entries.items())

    @contextmanager
    def override(self, key: K, value: V) -> Iterator[V]:
        """Register ``value`` under ``key`` for the duration of a ``with`` block (tests)."""
        saved = dict(self._entries)
        self._entries[key] = value
        try:
            yield value
        finally:
            self._entries = saved

    def __repr__(self) -> str:
        return f"<Registry {self.name}: {len(self._entries)} entries>"
