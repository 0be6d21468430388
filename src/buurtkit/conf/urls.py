from django.contrib import admin
from django.urls import include, path

from buurtkit.conf.api import api

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("buurtkit.web.urls")),
]

handler404 = "buurtkit.web.views.errors.not_found"
handler403 = "buurtkit.web.views.errors.forbidden"
handler500 = "buurtkit.web.views.errors.server_error"
handler400 = "buurtkit.web.views.errors.bad_request"
