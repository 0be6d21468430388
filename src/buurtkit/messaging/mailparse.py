"""Turn the bytes of one e-mail into what we keep of it (no database, no network).

Parsed with the standard library's ``email`` package (``policy.default``). Whatever the
mail holds, the result is bounded and safe to show: header texts are cut to their column
sizes, the text and HTML bodies to :data:`MAX_BODY_CHARS`, the HTML is cleaned by ``nh3``
(no scripts, styles, event handlers or ``javascript:`` links), and a part in a broken or
unknown character set is decoded with replacement characters instead of failing. What was
cut, refused or repaired is written in ``notes``.
"""

from __future__ import annotations

import email
import email.policy
import email.utils
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import Message

import nh3

MAX_BODY_CHARS = 200_000
MAX_HEADER_CHARS = 64_000
_SPACE = re.compile(r"\s+")


@dataclass
class Attachment:
    filename: str
    content_type: str
    size: int
    data: bytes | None  # None: refused (see ``refused``)
    refused: str = ""


@dataclass
class ParsedMail:
    message_id: str = ""
    in_reply_to: str = ""
    references: str = ""
    from_address: str = ""
    from_name: str = ""
    to: str = ""
    subject: str = ""
    sent_at: datetime | None = None
    raw_headers: str = ""
    text_body: str = ""
    html_body: str = ""
    attachments: list[Attachment] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _header(msg: Message, name: str, limit: int) -> str:
    try:
        value = msg.get(name)
    except Exception:  # a header the parser cannot make sense of: its raw text
        value = msg.get_all(name, failobj=[""])[0] if hasattr(msg, "get_all") else ""
    if value is None:
        return ""
    text = _SPACE.sub(" ", str(value)).strip()
    return text[:limit]


def _first_id(value: str) -> str:
    """The first ``<…>`` of a Message-ID/In-Reply-To header (or the whole value if none)."""
    found = re.search(r"<[^<>\s]{1,250}>", value)
    return found.group(0) if found else value[:255]


def _decode(part: Message) -> str:
    try:
        content = part.get_content()  # type: ignore[attr-defined]
        if isinstance(content, str):
            return content
    except (LookupError, UnicodeError, ValueError, AssertionError, KeyError):
        pass
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    return payload.decode("utf-8", errors="replace")


def sanitise_html(html: str) -> str:
    """HTML that is safe to show on a page: nh3's allow-list (no script, style, iframe,
    form, event handlers or ``javascript:`` URLs), links opened without the referrer."""
    return nh3.clean(html[:MAX_BODY_CHARS])


def parse(
    raw: bytes,
    *,
    attachment_max_bytes: int,
    attachments_max: int,
    headers_only: bool = False,
) -> ParsedMail:
    """What we keep of ``raw`` (a whole mail, or only its header with ``headers_only``)."""
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    out = ParsedMail()
    header_end = raw.find(b"\r\n\r\n")
    if header_end < 0:
        header_end = raw.find(b"\n\n")
    head = raw if header_end < 0 else raw[:header_end]
    out.raw_headers = head[:MAX_HEADER_CHARS].decode("utf-8", errors="replace")
    out.message_id = _first_id(_header(msg, "Message-ID", 998))
    out.in_reply_to = _first_id(_header(msg, "In-Reply-To", 998))
    out.references = _header(msg, "References", 10_000)
    out.subject = _header(msg, "Subject", 500)
    out.to = _header(msg, "To", 2_000)
    sender = _header(msg, "From", 1_000)
    name, address = email.utils.parseaddr(sender)
    out.from_name = name[:200]
    out.from_address = address.lower()[:254] if "@" in address else ""
    if sender and not out.from_address:
        out.notes.append("no usable sender address")
    try:
        date = _header(msg, "Date", 200)
        sent = email.utils.parsedate_to_datetime(date) if date else None
        if sent is not None and sent.tzinfo is None:
            sent = sent.replace(tzinfo=UTC)
        out.sent_at = sent
    except (TypeError, ValueError, IndexError, OverflowError):
        out.notes.append("unreadable date")
    if headers_only:
        return out
    _walk(msg, out, attachment_max_bytes=attachment_max_bytes, attachments_max=attachments_max)
    if msg.defects:
        out.notes.append("defects: " + ", ".join(sorted({type(d).__name__ for d in msg.defects})))
    return out


def _walk(
    msg: Message, out: ParsedMail, *, attachment_max_bytes: int, attachments_max: int
) -> None:
    texts: list[str] = []
    htmls: list[str] = []
    for part in msg.walk():
        if part.is_multipart():
            continue
        content_type = part.get_content_type()
        disposition = part.get_content_disposition()
        filename = ""
        try:
            filename = (part.get_filename() or "").strip()
        except Exception:
            filename = "attachment"
        is_body = disposition != "attachment" and not filename
        if is_body and content_type == "text/plain":
            texts.append(_decode(part))
        elif is_body and content_type == "text/html":
            htmls.append(_decode(part))
        else:
            _attachment(part, out, content_type, filename, attachment_max_bytes, attachments_max)
    text = "\n\n".join(t.strip() for t in texts if t.strip())
    html = "\n".join(htmls)
    if len(text) > MAX_BODY_CHARS:
        out.notes.append(f"text cut to {MAX_BODY_CHARS} characters")
    out.text_body = text[:MAX_BODY_CHARS]
    if html:
        if len(html) > MAX_BODY_CHARS:
            out.notes.append(f"HTML cut to {MAX_BODY_CHARS} characters")
        out.html_body = sanitise_html(html)
        if not out.text_body:
            out.text_body = nh3.clean(html[:MAX_BODY_CHARS], tags=set()).strip()[:MAX_BODY_CHARS]


def _attachment(
    part: Message,
    out: ParsedMail,
    content_type: str,
    filename: str,
    max_bytes: int,
    max_count: int,
) -> None:
    payload = part.get_payload(decode=True)
    data = payload if isinstance(payload, bytes) else b""
    name = _safe_name(filename) or "attachment"
    kept = [a for a in out.attachments if a.data is not None]
    if len(data) > max_bytes:
        reason = f"too large ({len(data)} bytes, the limit is {max_bytes})"
        out.attachments.append(Attachment(name, content_type[:100], len(data), None, reason))
        out.notes.append(f"attachment {name!r} refused: {reason}")
    elif len(kept) >= max_count:
        reason = f"too many attachments (the limit is {max_count})"
        out.attachments.append(Attachment(name, content_type[:100], len(data), None, reason))
        out.notes.append(f"attachment {name!r} refused: {reason}")
    else:
        out.attachments.append(Attachment(name, content_type[:100], len(data), data))


def _safe_name(filename: str) -> str:
    """A file name to show: no path, no control characters, bounded."""
    name = filename.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable())
    return name.strip(" .")[:255]
