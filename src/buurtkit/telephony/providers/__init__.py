"""Telephony providers: ``twilio`` (real) and ``simulator`` (tests, demos)."""
