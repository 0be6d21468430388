"""X-Twilio-Signature: real signing with Twilio's RequestValidator; bad signature → 403."""

from __future__ import annotations

from buurtkit.telephony.models import CallEvent, CallStatus
from buurtkit.telephony.simulator import sign

PARAMS = {"CallSid": "CA" + "a" * 32, "CallStatus": "ringing", "SequenceNumber": "1"}


def test_valid_signature_is_accepted(community, make_call, signed_post, sim_token):
    call = make_call(community)
    response = signed_post(f"/telephony/status/{call.pk}", PARAMS, token=sim_token)
    assert response.status_code == 204
    call.refresh_from_db()
    assert call.status == CallStatus.RINGING
    assert CallEvent.objects.filter(call=call).count() == 1


def test_wrong_signature_is_refused_and_changes_nothing(community, make_call, signed_post):
    call = make_call(community)
    for kwargs in (
        {"token": "not-the-token"},
        {"signature": ""},
        {"signature": "bm90IGEgc2lnbmF0dXJl"},
    ):
        response = signed_post(f"/telephony/status/{call.pk}", PARAMS, **kwargs)
        assert response.status_code == 403
        response = signed_post(f"/telephony/voice/{call.pk}/start?seq=0", PARAMS, **kwargs)
        assert response.status_code == 403
    call.refresh_from_db()
    assert call.status == CallStatus.INITIATED
    assert call.flow_state == {"seq": 0}
    assert not CallEvent.objects.filter(call=call).exists()


def test_tampered_parameters_are_refused(community, make_call, sim_token):
    from django.test import Client

    call = make_call(community)
    path = f"/telephony/status/{call.pk}"
    signature = sign("http://testserver" + path, PARAMS, sim_token)
    tampered = {**PARAMS, "CallStatus": "completed", "CallDuration": "999"}
    response = Client().post(path, tampered, HTTP_X_TWILIO_SIGNATURE=signature)
    assert response.status_code == 403
    call.refresh_from_db()
    assert call.status == CallStatus.INITIATED


def test_behind_a_proxy_the_public_url_is_what_was_signed(
    community, make_call, signed_post, sim_token, settings
):
    """Twilio signs https://public.example/...; the app sees http://testserver/... ."""
    settings.PUBLIC_URL = "https://buurbel.example.org"
    call = make_call(community)
    path = f"/telephony/voice/{call.pk}/start?seq=0"
    params = {"CallSid": call.provider_sid, "CallStatus": "in-progress"}
    internal = signed_post(path, params, token=sim_token, base="http://testserver")
    assert internal.status_code == 403
    public = signed_post(path, params, token=sim_token, base="https://buurbel.example.org")
    assert public.status_code == 200
    assert public["Content-Type"].startswith("text/xml")
    # The query string is part of what was signed.
    other_seq = signed_post(
        f"/telephony/voice/{call.pk}/start?seq=5",
        params,
        token=sim_token,
        signature=sign("https://buurbel.example.org" + path, params, sim_token),
    )
    assert other_seq.status_code == 403


def test_a_twilio_call_is_checked_with_the_twilio_auth_token(
    community, make_call, signed_post, sim_token
):
    call = make_call(community, provider="twilio")
    path = f"/telephony/status/{call.pk}"
    assert signed_post(path, PARAMS, token=sim_token).status_code == 403
    assert signed_post(path, PARAMS, token="twilio-test-auth-token").status_code == 204


def test_without_an_auth_token_nothing_is_accepted(community, make_call, signed_post, settings):
    settings.TWILIO_AUTH_TOKEN = ""
    call = make_call(community, provider="twilio")
    response = signed_post(f"/telephony/status/{call.pk}", PARAMS, token="x")
    assert response.status_code == 403


def test_webhooks_refuse_get(community, make_call):
    from django.test import Client

    call = make_call(community)
    assert Client().get(f"/telephony/status/{call.pk}").status_code == 405
