"""The root URLconf: the admin, the API, the language switch, and every module's pages.

Pages of all modules share the one URL namespace ``web`` (``web:pay_home``, ``web:scan``,
``web:telephony_voice``, …): users, tests and printed QR codes rely on those names and paths.
Each module lists its routes in ``<app>/pages/urls.py``: ``community_urlpatterns`` live under
``/<slug>/``, ``root_urlpatterns`` at the root. ``/<slug>/`` comes last, so the root routes
(``/q/<code>``, ``/healthz``, ``/accounts/…``) are never taken for a community.
"""

from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path

from buurtkit.activities.pages import urls as activities_pages
from buurtkit.conf.api import api
from buurtkit.helpdesk.pages import urls as helpdesk_pages
from buurtkit.helpexchange.pages import urls as helpexchange_pages
from buurtkit.ledger.pages import urls as ledger_pages
from buurtkit.lending.pages import urls as lending_pages
from buurtkit.lending.pages import urls_handovers as lending_handover_pages
from buurtkit.lending.pages import urls_ops as lending_ops_pages
from buurtkit.lending.pages import urls_referrals as lending_referral_pages
from buurtkit.monitoring.pages import urls as monitoring_pages
from buurtkit.neighbours.pages import urls as neighbours_pages
from buurtkit.places.pages import urls as places_pages
from buurtkit.qrcodes.pages import urls as qrcodes_pages
from buurtkit.telephony.pages import urls as telephony_pages
from buurtkit.web import urls as web_pages

community_urlpatterns: list[URLPattern | URLResolver] = [
    # First: one ``helpexchange/`` prefix, the public embed and feeds are hot (see its urls.py).
    *helpexchange_pages.community_urlpatterns,
    *web_pages.community_urlpatterns,
    *places_pages.community_urlpatterns,
    *activities_pages.community_urlpatterns,
    *helpdesk_pages.community_urlpatterns,
    *ledger_pages.community_urlpatterns,
    *lending_pages.community_urlpatterns,
    *lending_ops_pages.community_urlpatterns,
    *qrcodes_pages.community_urlpatterns,
    *neighbours_pages.community_urlpatterns,
    *telephony_pages.community_urlpatterns,
    *lending_referral_pages.community_urlpatterns,
    *lending_handover_pages.community_urlpatterns,
    *monitoring_pages.community_urlpatterns,
]

page_urlpatterns: list[URLPattern | URLResolver] = [
    *web_pages.root_urlpatterns,
    *qrcodes_pages.root_urlpatterns,
    *telephony_pages.root_urlpatterns,
    path("<slug:slug>/", include(community_urlpatterns)),
]

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include((page_urlpatterns, "web"))),
]

handler404 = "buurtkit.web.views.errors.not_found"
handler403 = "buurtkit.web.views.errors.forbidden"
handler500 = "buurtkit.web.views.errors.server_error"
handler400 = "buurtkit.web.views.errors.bad_request"
