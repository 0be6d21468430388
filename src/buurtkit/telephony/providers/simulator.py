"""The simulator provider: no network, scripted residents call our own webhooks over HTTP."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import connections, transaction
from django.http import HttpRequest

from buurtkit.core.tasks_util import enqueue_after_commit
from buurtkit.messaging.providers import FileSmsProvider, SmsResult
from buurtkit.telephony import simulator
from buurtkit.telephony.interface import Verb
from buurtkit.telephony.providers.twilio import validate_signature
from buurtkit.telephony.providers.twiml import render_twiml

if TYPE_CHECKING:
    from buurtkit.telephony.models import Call

logger = logging.getLogger(__name__)


class SimulatorProvider:
    name = "simulator"

    def place_call(self, call: Call) -> str:
        sid = simulator.new_sid()
        if getattr(settings, "TELEPHONY_SIMULATOR_THREADS", False):
            # Like a real phone network, simulated residents run beside the server, so two
            # calls can wait for each other in a conference room without blocking the worker.
            transaction.on_commit(lambda: start_thread(call.pk, sid))
        else:
            enqueue_after_commit("buurtkit.telephony.tasks.simulate_call", call.pk, sid)
        return sid

    def render(
        self,
        verbs: Sequence[Verb],
        step_url: Callable[[str], str],
        conference_callback: str = "",
    ) -> tuple[str, str]:
        return render_twiml(verbs, step_url, conference_callback)

    def validate(self, request: HttpRequest) -> bool:
        return validate_signature(request, simulator.simulator_token())

    def send_sms(self, *, to: str, body: str) -> SmsResult:
        return FileSmsProvider().send_sms(to=to, body=body)

    def redirect_call(self, call: Call, url: str) -> None:
        simulator.request_redirect(call.provider_sid, url)

    def recording_audio(self, *, sid: str, url: str) -> tuple[bytes, str]:
        """A recording the simulator made: its small file under ``BUURTKIT_DATA_DIR``."""
        return simulator.recording_file(sid).read_bytes(), "audio/wav"


def start_thread(call_id: int, sid: str) -> None:
    def run() -> None:
        try:
            simulator.run_call(call_id=call_id, sid=sid)
        except Exception:  # a simulated resident failing must not take the server down
            logger.exception("simulated call %s failed", call_id)
        finally:
            connections.close_all()

    threading.Thread(target=run, name=f"simulated-call-{call_id}", daemon=True).start()
