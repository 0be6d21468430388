"""Where SMS go. A registry: the telephony app adds its provider here."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from django.conf import settings

from buurtkit.core import clock
from buurtkit.core.registry import Registry


@dataclass(frozen=True)
class SmsResult:
    provider_id: str


class SmsProvider(Protocol):
    def send_sms(self, *, to: str, body: str) -> SmsResult: ...


class FileSmsProvider:
    """Appends each SMS as one JSON line to ``SMS_FILE_PATH`` (the default, for demos)."""

    def send_sms(self, *, to: str, body: str) -> SmsResult:
        path = Path(settings.SMS_FILE_PATH)
        path.parent.mkdir(parents=True, exist_ok=True)
        stamp = clock.now().isoformat()
        with path.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps({"at": stamp, "to": to, "body": body}, ensure_ascii=False) + "\n")
        return SmsResult(provider_id=f"file:{stamp}")


class MemorySmsProvider:
    """Keeps SMS in a list; for tests."""

    outbox: list[dict[str, str]] = []

    def send_sms(self, *, to: str, body: str) -> SmsResult:
        self.outbox.append({"to": to, "body": body})
        return SmsResult(provider_id=f"memory:{len(self.outbox)}")


SMS_PROVIDERS: Registry[str, Callable[[], SmsProvider]] = Registry("SMS providers")
SMS_PROVIDERS.register("file", FileSmsProvider)
SMS_PROVIDERS.register("memory", MemorySmsProvider)


def register_sms_provider(name: str, factory: Callable[[], SmsProvider]) -> None:
    SMS_PROVIDERS.register(name, factory)


def sms_provider() -> SmsProvider:
    name = settings.SMS_PROVIDER
    try:
        return SMS_PROVIDERS[name]()
    except KeyError as exc:
        raise RuntimeError(f"SMS_PROVIDER={name!r} is not registered") from exc
