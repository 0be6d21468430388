"""Routes of telephony's pages: the provider's webhooks and the recordings' public address at
the root, the call-flow and recording staff pages under ``/<slug>/buurbel/``. The root
URLconf adds them to the ``web`` namespace: ``telephony.links`` reverses ``web:telephony_*``."""

from django.urls import path

from buurtkit.telephony.pages import (
    views,
    views_flows,
    views_recordings,
)

community_urlpatterns = [
    path("buurbel/recordings/", views_recordings.recordings, name="buurbel_recordings"),
    path("buurbel/flows/", views_flows.flow_list, name="buurbel_flows"),
    path("buurbel/flows/<int:flow_id>/", views_flows.flow_detail, name="buurbel_flow"),
    path("buurbel/flows/<int:flow_id>/edit/", views_flows.flow_edit, name="buurbel_flow_edit"),
    path("buurbel/flows/<int:flow_id>/copy/", views_flows.flow_copy, name="buurbel_flow_copy"),
    path(
        "buurbel/flows/<int:flow_id>/activate/",
        views_flows.flow_activate,
        name="buurbel_flow_activate",
    ),
]

root_urlpatterns = [
    path("telephony/voice/<int:call_id>/<str:step>", views.voice, name="telephony_voice"),
    path("telephony/status/<int:call_id>", views.status, name="telephony_status"),
    path("telephony/conference/<int:call_id>", views.conference, name="telephony_conference"),
    path("telephony/inbound", views.inbound, name="telephony_inbound"),
    path("telephony/inbound/status", views.inbound_status, name="telephony_inbound_status"),
    path("telephony/sms/status", views.sms_status, name="telephony_sms_status"),
    path(
        "telephony/recordings/<int:recording_id>/<str:token>",
        views_recordings.recording_public,
        name="telephony_recording",
    ),
]
