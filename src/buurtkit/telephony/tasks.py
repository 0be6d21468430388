from __future__ import annotations

from django_tasks import task

from buurtkit.telephony import services, simulator


@task()
def dial_call(call_id: int) -> None:
    services.call_dial(call_id=call_id)


@task()
def simulate_call(call_id: int, sid: str = "") -> None:
    simulator.run_call(call_id=call_id, sid=sid)
