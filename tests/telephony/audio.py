"""Small, valid sound files for upload tests (made here: no binary fixtures in the repository)."""

from __future__ import annotations

import io
import wave


def wav_bytes(frames: int = 800) -> bytes:
    """A tenth of a second of silence as a real WAV file (8 kHz, 16-bit mono)."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(b"\x00\x00" * frames)
    return buffer.getvalue()


#: The start of an MP3 file: an ID3v2 tag header, then an MPEG-1 layer III frame header.
MP3_BYTES = b"ID3\x04\x00\x00\x00\x00\x00\x00" + b"\xff\xfb\x90\x64" + b"\x00" * 400
#: A bare MPEG-1 layer III frame, without a tag in front.
MP3_FRAME_BYTES = b"\xff\xfb\x90\x64" + b"\x00" * 400
