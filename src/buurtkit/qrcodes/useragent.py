"""Device class, system and bot flag from a User-Agent header: small, fast, no personal data."""

from __future__ import annotations

import functools
import re

_BOT = re.compile(
    r"bot|crawl|spider|slurp|preview|facebookexternalhit|whatsapp|telegram|curl|wget|"
    r"python-requests|httpclient|headless|monitor|scanner",
    re.I,
)
DEVICES = ("phone", "tablet", "desktop", "other")
SYSTEMS = ("android", "ios", "windows", "macos", "linux", "other")


@functools.lru_cache(maxsize=2048)
def classify(user_agent: str) -> tuple[str, str, bool]:
    """Return ``(device, os, bot)``."""
    ua = user_agent or ""
    bot = bool(_BOT.search(ua)) or not ua
    if "iPad" in ua:
        return "tablet", "ios", bot
    if "iPhone" in ua or "iPod" in ua:
        return "phone", "ios", bot
    if "Android" in ua:
        return ("phone" if "Mobile" in ua else "tablet"), "android", bot
    if "Windows" in ua:
        return "desktop", "windows", bot
    if "Macintosh" in ua or "Mac OS X" in ua:
        return "desktop", "macos", bot
    if "Linux" in ua or "X11" in ua:
        return "desktop", "linux", bot
    return "other", "other", bot
